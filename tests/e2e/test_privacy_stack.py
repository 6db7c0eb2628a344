"""Issue 10 against the real servers: generated 個人番号 and PINs in every format never reach the SQLite tracker
store, any log file or the gateway's database; Rasa's HTTP API is locked; its writes are redacted too."""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
from hypothesis import HealthCheck, given, settings

from jptext import nfkc
from tests.e2e.helpers import payload_for, readable
from tests.e2e.stack import Stack, http_json
from tests.privacy.strategies import follow_up_message, individual_number_message, pin_message

E2E = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Every secret sent in this module: checked against storage and logs at the end (and along the way).
SENT: List[str] = []


@pytest.fixture(scope="module")
def gateway_stack(stack: Stack) -> Iterator[Stack]:
    """The module's Rasa + action server, with the public gateway in front."""
    stack.start_gateway()
    yield stack
    stack.stop("gateway")


def status_of(method: str, url: str, body: Optional[Any] = None) -> int:
    """The HTTP status of one request (errors included)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def new_sender() -> str:
    return f"e2e-{uuid.uuid4().hex}"


def stored_texts(stack: Stack) -> List[str]:
    """Every string the tracker store holds about what residents wrote: user events (text, parse data, metadata,
    entities) and slot values. The bot's own texts (phone numbers, dates) are not the residents' numbers."""
    out: List[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in {"message_id", "model_id", "assistant_id", "timestamp"}:
                    walk(key)
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    with sqlite3.connect(stack.tracker_db) as conn:
        for (data,) in conn.execute("SELECT data FROM events WHERE type_name IN ('user', 'slot', 'entities')"):
            event = json.loads(data)
            walk({k: event.get(k) for k in ("text", "parse_data", "metadata", "value", "entities", "input_channel")})
    return out


def log_lines(stack: Stack) -> List[str]:
    """Every line of every log file the stack wrote, JSON escapes read (Rasa's structured lines write １ as \\uff11)."""
    lines: List[str] = []
    for path in sorted(stack.state_dir.rglob("*.log*")):
        lines.extend(readable(line) for line in path.read_text(errors="replace").splitlines())
    return lines


def gateway_db_text(stack: Stack) -> str:
    """The gateway's database files (WAL included) as text."""
    parts = []
    for suffix in ("", "-wal"):
        path = Path(str(stack.gateway_db) + suffix)
        if path.exists():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", nfkc(text))


def _bounded(text: str) -> "re.Pattern[str]":
    """``text`` not touching a letter or digit on either side (a number inside a longer one is another number)."""
    return re.compile(rf"(?<![0-9A-Za-z]){re.escape(text)}(?![0-9A-Za-z])")


def assert_never_kept(stack: Stack, secret: str, message: Optional[str] = None) -> None:
    """``secret`` is in no stored resident text, no log line and not in the gateway's database, in any form."""
    value = nfkc(secret)
    is_number = value.isdigit()
    for text in stored_texts(stack):
        if is_number:
            assert value not in digits_of(text), (secret, text)
        else:
            assert value.lower() not in nfkc(text).lower(), (secret, text)
    bounded = _bounded(value)
    # Bounded like the secret: a message of bare digits must not match inside a client port (127.0.0.1:40000).
    whole_message = _bounded(nfkc(message)) if message is not None else None
    for line in log_lines(stack) + gateway_db_text(stack).splitlines():
        if whole_message is not None:
            assert not whole_message.search(nfkc(line)), (secret, line)
        if is_number and len(value) >= 12:
            assert value not in digits_of(line), (secret, line)  # separated forms too
        else:
            assert not bounded.search(nfkc(line)), (secret, line)


def test_rasa_http_api_is_locked(stack: Stack) -> None:
    """Without (or with a wrong) token, Rasa's HTTP API and our delete route refuse: 401/403."""
    sender = new_sender()
    calls = [
        ("POST", f"/conversations/{sender}/messages", {"text": "こんにちは", "sender": "user"}),
        ("GET", f"/conversations/{sender}/tracker", None),
        ("POST", f"/conversations/{sender}/tracker/events", [{"event": "user", "text": "こんにちは"}]),
        ("POST", f"/conversations/{sender}/trigger_intent", {"name": "greet"}),
        ("PUT", f"/conversations/{sender}/tracker/events", []),
        ("POST", "/model/parse", {"text": "こんにちは"}),
        ("GET", "/status", None),
        ("DELETE", f"/webhooks/rest/conversations/{sender}", None),
    ]
    for method, path, body in calls:
        assert status_of(method, stack.rasa_url + path, body) in {401, 403}, (method, path)
        assert status_of(method, f"{stack.rasa_url}{path}?token=wrong-token", body) in {401, 403}, (method, path)
    # The resident's channel itself stays open (the gateway calls it), and the token opens the API.
    assert stack.say(sender, "こんにちは")
    assert stack.tracker(sender)["sender_id"] == sender


def test_writes_through_the_http_api_are_redacted(stack: Stack) -> None:
    """/conversations/<id>/messages and /tracker/events go through the redacting tracker store."""
    sender = new_sender()
    secrets = ["314159265352", "8642", "271828182840", "5310"]
    SENT.extend(secrets)
    stack.api(
        "POST", f"/conversations/{sender}/messages", {"text": "マイナンバーは3141 - 5926 - 5352", "sender": "user"}
    )
    stack.api(
        "POST",
        f"/conversations/{sender}/tracker/events",
        [
            {
                "event": "user",
                "text": "暗唱番号は8642",
                "parse_data": parse("暗唱番号は8642"),
                "metadata": {"memo": "2718、2818、2840"},
            },
            {"event": "bot", "text": "どの暗証番号ですか。"},
            {"event": "user", "text": "たしか5310だったと思う", "parse_data": parse("たしか5310だったと思う")},
        ],
    )
    texts = [e.get("text") for e in stack.tracker(sender)["events"] if e["event"] == "user"]
    assert texts == ["マイナンバーは［個人番号］", "暗唱番号は［暗証番号］", "たしか［暗証番号］だったと思う"]
    for secret in secrets:
        assert_never_kept(stack, secret)


def parse(text: str) -> Dict[str, Any]:
    """Parse data as an API client would send it (Rasa requires it for user events)."""
    return {
        "text": text,
        "intent": {"name": "greet", "confidence": 1.0},
        "entities": [{"entity": "note", "value": text}],
    }


def test_metadata_of_the_rest_channel_is_redacted(stack: Stack) -> None:
    sender = new_sender()
    SENT.append("161803398874")
    stack.say(sender, "こんにちは", metadata={"note": "番号 1618\n0339\n8874", "nested": [{"x": "𝟏𝟔𝟏𝟖𝟎𝟑𝟑𝟗𝟖𝟖𝟕𝟒"}]})
    assert_never_kept(stack, "161803398874")


def test_delete_route_forgets_a_conversation(stack: Stack) -> None:
    sender = new_sender()
    stack.say(sender, "暗証番号を忘れました")
    assert stack.tracker(sender)["events"]
    assert stack.api("DELETE", f"/webhooks/rest/conversations/{sender}")["deleted"] > 0
    with sqlite3.connect(stack.tracker_db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0] == 0
    # Rasa's GET /tracker starts a fresh session for an unknown id: nothing of what was said comes back.
    assert [e for e in stack.tracker(sender)["events"] if e["event"] in {"user", "bot"}] == []


def _pin_question_via_rasa(stack: Stack, sender: str) -> None:
    """Walk the real dialogue to the bot's own 「どの暗証番号ですか」."""
    replies = stack.say(sender, "マイナンバーカードの暗証番号を忘れてしまいました")
    replies = stack.say(sender, payload_for(replies, "本人"))
    replies = stack.say(sender, payload_for(replies, "三鷹市"))
    assert any("どの暗証番号" in r.get("text", "") for r in replies)


def test_answer_to_the_bots_pin_question_is_redacted_by_rasa(stack: Stack) -> None:
    """「たしか4917だったと思う」 straight to Rasa's REST channel after the bot's PIN question."""
    sender = new_sender()
    _pin_question_via_rasa(stack, sender)
    SENT.append("4917")
    stack.say(sender, "たしか4917だったと思う")
    user_texts = [e.get("text") for e in stack.tracker(sender)["events"] if e["event"] == "user"]
    assert user_texts[-1] == "たしか［暗証番号］だったと思う"
    assert_never_kept(stack, "4917")


def _gateway_say(stack: Stack, session: str, text: str) -> Dict[str, Any]:
    return http_json("POST", f"{stack.gateway_url}/api/chat/message", {"session_id": session, "text": text})


def _gateway_session(stack: Stack) -> str:
    return str(http_json("POST", f"{stack.gateway_url}/api/chat/session", {})["session_id"])


@E2E
@given(case=individual_number_message())
def test_generated_individual_numbers_through_the_gateway(gateway_stack: Stack, case: tuple) -> None:
    message, number = case
    SENT.append(number)
    reply = _gateway_say(gateway_stack, _gateway_session(gateway_stack), message)
    assert number not in digits_of(json.dumps(reply, ensure_ascii=False))
    assert reply["you"]["redacted"] is True
    assert_never_kept(gateway_stack, number, message)


@E2E
@given(case=pin_message())
def test_generated_pins_through_the_gateway(gateway_stack: Stack, case: tuple) -> None:
    message, pin = case
    SENT.append(pin)
    reply = _gateway_say(gateway_stack, _gateway_session(gateway_stack), message)
    assert reply["you"]["redacted"] is True and nfkc(pin) not in nfkc(reply["you"]["text"])
    assert_never_kept(gateway_stack, pin, message)


@E2E
@given(case=follow_up_message())
def test_generated_answers_to_the_pin_question_through_the_gateway(gateway_stack: Stack, case: tuple) -> None:
    message, pin = case
    SENT.append(pin)
    session = _gateway_session(gateway_stack)
    _gateway_say(gateway_stack, session, "マイナンバーカードの暗証番号を忘れてしまいました")
    _gateway_say(gateway_stack, session, "本人です")
    reply = _gateway_say(gateway_stack, session, "三鷹市です")
    assert any("どの暗証番号" in m["text"] for m in reply["messages"]), reply
    reply = _gateway_say(gateway_stack, session, message)
    assert reply["you"]["redacted"] is True, (message, reply["you"])
    assert_never_kept(gateway_stack, pin, message)


def test_nothing_sent_in_this_module_was_kept_anywhere(gateway_stack: Stack) -> None:
    """A last sweep over every file, once all turns (and the servers' logging of them) are done."""
    assert len(SENT) >= 40
    for secret in SENT:
        assert_never_kept(gateway_stack, secret)
