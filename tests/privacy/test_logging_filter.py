"""privacy.logging_filter.RedactingFilter: nothing sensitive reaches a log handler."""

from __future__ import annotations

import io
import json
import logging
from typing import Iterator, Mapping, Optional, Tuple, Union

import pytest

from privacy.logging_filter import RedactingFilter, scrub_line, unescape

NUM = "［個人番号］"
PIN = "［暗証番号］"


# What logging accepts as a record's args (%-style tuple or one mapping).
LogArgs = Optional[Union[Tuple[object, ...], Mapping[str, object]]]


def make_record(msg: object, args: LogArgs = None) -> logging.LogRecord:
    return logging.LogRecord("pinbot.test", logging.INFO, __file__, 1, msg, args, None)


@pytest.fixture
def captured() -> Iterator[Tuple[logging.Logger, io.StringIO]]:
    """A fresh logger whose only handler formats through the redacting filter into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(f"pinbot.test.{id(stream)}")
    logger.handlers = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.handlers = []


@pytest.mark.parametrize(
    "msg, args, expected",
    [
        ("user said %s", ("暗証番号は1234です",), f"user said 暗証番号は{PIN}です"),
        ("number=%s", ("123456789018",), f"number={NUM}"),
        ("%s / %s", ("１２３４ ５６７８ ９０１８", "PIN：９８７６"), f"{NUM} / PIN：{PIN}"),
        # Issue 20: a phone number is a PIN now, in logs as anywhere (it was kept before).
        ("電話 %s", ("0422-29-9191",), f"電話 {PIN}"),
        ("raw text 621498320257 in the format string", None, f"raw text {NUM} in the format string"),
        ("%(text)s", ({"text": "パスワードはAbc12345"},), f"パスワードは{PIN}"),
        ("GET %s", ("/status?token=s3cr3t-value&x=1",), "GET /status?token=***&x=1"),
        ("after the bot asked: %s", ("暗唱番号は 8 6 4 2",), f"after the bot asked: 暗唱番号は {PIN}"),
    ],
)
def test_filter_rewrites_sensitive_records(msg: str, args: LogArgs, expected: str) -> None:
    record = make_record(msg, args)
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == expected
    assert record.msg == expected
    assert record.args is None


@pytest.mark.parametrize(
    "msg, args",
    [
        ("暗証番号は4桁です", None),
        ("office %s opens at %s", ("三鷹駅前市政窓口", "9:00")),
        ("turn kind=%s messages=%d latency_ms=%d", ("text", 2, 140)),
    ],
)
def test_filter_keeps_ordinary_records_untouched(msg: str, args: LogArgs) -> None:
    record = make_record(msg, args)
    assert RedactingFilter().filter(record) is True
    assert record.msg == msg
    assert record.args == args


def test_malformed_record_is_passed_through() -> None:
    record = make_record("%s %s", ("only one",))
    assert RedactingFilter().filter(record) is True
    assert record.msg == "%s %s"
    assert record.args == ("only one",)


def test_handler_output_is_redacted(captured: Tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info("received %s", "マイナンバーは123456789018、暗証番号は1234です")
    logger.info("plain line")
    assert stream.getvalue() == f"INFO received マイナンバーは{NUM}、暗証番号は{PIN}です\nINFO plain line\n"
    assert "123456789018" not in stream.getvalue()


def test_exception_text_is_redacted(captured: Tuple[logging.Logger, io.StringIO]) -> None:
    """logger.exception(...) writes the exception's message; a resident's text inside it must not leak."""
    logger, stream = captured
    try:
        raise ValueError("could not parse '123456789018' / 暗証番号は1234です")
    except ValueError:
        logger.exception("parse failed")
    output = stream.getvalue()
    assert output.startswith("ERROR parse failed\n")
    assert "ValueError" in output
    assert "123456789018" not in output
    assert "1234です" not in output


def test_filter_never_drops_records() -> None:
    records = [make_record(m) for m in ("1234", "123456789018", "thanks", "")]
    assert [RedactingFilter().filter(r) for r in records] == [True, True, True, True]
    assert [r.getMessage() for r in records] == [PIN, NUM, "thanks", ""]


# A tracker as Rasa's structured logs write it: JSON with every non-ASCII character escaped.
TRACKER = {
    "sender_id": "e2e-1",
    "slots": {"note": "ＰＩＮ：９８７６"},
    "events": [
        {"event": "user", "text": "暗証番号は１２３４です", "parse_data": {"text": "暗証番号は１２３４です"}},
        {"event": "user", "text": "マイナンバーは１２３４\n５６７８\n９０１８"},
        {"event": "bot", "text": "電話 0422-29-9191"},
    ],
}
SECRET_FORMS = ("1234", "9876", "9018", "１２３４", "９８７６", "\\uff11\\uff12", "\\uff19\\uff18", "\\uff19\\uff10")


def assert_no_secret(text: str) -> None:
    for form in SECRET_FORMS:
        assert form.lower() not in text.lower(), form


@pytest.mark.parametrize(
    "dump",
    [
        json.dumps(TRACKER),  # \u6697\u8a3c... and \uff11...
        json.dumps({"event": "action.failed", "tracker": json.dumps(TRACKER)}),  # escaped twice: \\u6697
        repr(json.dumps(TRACKER, ensure_ascii=False).encode()),  # bytes: b'...\xe6\x9a\x97...'
    ],
)
def test_a_json_dump_of_a_tracker_comes_out_without_the_digits(
    captured: Tuple[logging.Logger, io.StringIO], dump: str
) -> None:
    logger, stream = captured
    assert "暗証" not in dump and "\\" in dump
    logger.error("Encountered an exception while running action: %s", dump)
    logger.warning(dump)
    output = stream.getvalue()
    assert_no_secret(output)
    assert output.count(PIN) >= 2 and NUM in output


def test_escaped_secrets_in_a_traceback_and_a_stack_are_redacted(captured: Tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    try:
        raise RuntimeError(json.dumps({"text": "暗証番号は１２３４です"}))
    except RuntimeError:
        logger.exception("action failed")
    record = make_record("stack follows")
    record.stack_info = "Stack (most recent call last):\n  " + json.dumps({"text": "マイナンバー 123456789018"})
    RedactingFilter().filter(record)
    assert_no_secret(stream.getvalue())
    assert "RuntimeError" in stream.getvalue()
    assert record.stack_info is not None and "123456789018" not in record.stack_info and NUM in record.stack_info


@pytest.mark.parametrize(
    "line",
    [
        '{"text": "\\u4e09\\u9df9\\u5e02\\u3067\\u3059"}',  # 三鷹市です: nothing to redact
        '{"event": "bot", "text": "\\u96fb\\u8a71\\u3067\\u3069\\u3046\\u305e"}',  # 電話でどうぞ
        "C:\\new\\x41 and \\ud83d\\ude00",
    ],
)
def test_lines_without_secrets_keep_their_escapes(line: str) -> None:
    assert scrub_line(line) == line


@pytest.mark.parametrize(
    "escaped, expected",
    [
        ("\\u6697\\u8a3c", "暗証"),
        ("\\\\u6697\\\\u8a3c", "暗証"),
        ("\\U0001F600\\ud83d\\ude00", "😀😀"),
        ("\\ud83d!", "\ufffd!"),
        ("\\xe6\\x9a\\x97", "暗"),
        ("1234\\xa05678", "1234\xa05678"),  # a str's repr escapes NBSP as Latin-1
        ("1234\\n5678\\\\r\\t9", "1234 5678  9"),
        ("plain", "plain"),
    ],
)
def test_unescape(escaped: str, expected: str) -> None:
    assert unescape(escaped) == expected


def test_a_malformed_record_is_reported_with_its_parts_redacted() -> None:
    """logging prints a record it cannot format (message and arguments) to stderr: redacted first."""
    record = make_record("%s %s %d", ("暗証番号は1234", {"n": "123456789018"}))
    assert RedactingFilter().filter(record) is True
    assert "1234" not in repr(record.args) and "123456789018" not in repr(record.args)
    record = make_record("%(a)s %(b)s", ({"a": "暗証番号は1234"},))
    assert RedactingFilter().filter(record) is True
    assert "1234" not in repr(record.args)


@pytest.mark.parametrize(
    "line",
    [
        "demo page: http://127.0.0.1:8080/",
        '127.0.0.1:54321 - "POST /api/chat/message HTTP/1.1" 200',
        "turn channel=web conversation=a3f9c01b22de kind=text messages=3 latency_ms=1234",
        "2026-12-07 02:10:40,913 INFO rasa.core: Loading model models/pinbot.tar.gz",
        "Rasa replica 1 (127.0.0.1:5006) exited (status 137)",
        "parse took 12.5 ms, 2048 bytes",
    ],
)
def test_a_log_lines_own_numbers_are_kept(line: str) -> None:
    """Addresses, ports, timestamps, HTTP status and measured figures are not PINs: operators must read them."""
    assert scrub_line(line) == line


@pytest.mark.parametrize(
    "line, value",
    [
        ("2026-12-07 02:10:40,913 INFO x: 暗証番号は1234 from 127.0.0.1:5005", "1234"),
        ("user said 4917 latency_ms=12", "4917"),
        ("個人番号 123.456.789.012 from 10.0.0.1", "123456789012"),
        ("value=1234-5678-9012", "123456789012"),
    ],
)
def test_a_secret_beside_a_log_shape_is_still_redacted(line: str, value: str) -> None:
    scrubbed = scrub_line(line)
    assert value not in "".join(ch for ch in scrubbed if ch.isdigit())
    assert "［" in scrubbed
