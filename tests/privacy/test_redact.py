"""privacy.redact: individual numbers and PINs become placeholders; ordinary text is left alone."""

from __future__ import annotations

import re

import pytest

from privacy.redact import (
    INDIVIDUAL_NUMBER_PLACEHOLDER,
    PIN_PLACEHOLDER,
    Redaction,
    contains_placeholder,
    redact,
)

NUM = "［個人番号］"
PIN = "［暗証番号］"


def test_placeholders_are_the_documented_ones() -> None:
    assert INDIVIDUAL_NUMBER_PLACEHOLDER == NUM
    assert PIN_PLACEHOLDER == PIN


def _digits_of(value: str) -> str:
    """ASCII digits of a value, whatever width the resident typed."""
    return re.sub(r"\D", "", value.translate(str.maketrans("０１２３４５６７８９", "0123456789")))


def assert_no_raw(result: str, secret: str) -> None:
    """Neither the secret as typed nor its digit run (in either width) survives."""
    assert secret not in result
    digits = _digits_of(secret)
    if digits:
        folded = _digits_of(result)
        assert digits not in folded, f"{digits} leaked in {result!r}"


# (text, expected redacted text, the sensitive value that must be gone)
INDIVIDUAL_NUMBERS = [
    ("123456789018", NUM, "123456789018"),
    ("621498320257", NUM, "621498320257"),
    ("１２３４５６７８９０１８", NUM, "１２３４５６７８９０１８"),
    ("1234 5678 9018", NUM, "1234 5678 9018"),
    ("1234-5678-9018", NUM, "1234-5678-9018"),
    ("1234ー5678ー9018", NUM, "1234ー5678ー9018"),
    ("1234\u30005678\u30009018", NUM, "1234\u30005678\u30009018"),
    ("１２３４－５６７８－９０１８", NUM, "１２３４－５６７８－９０１８"),
    ("私のマイナンバーは123456789018です", f"私のマイナンバーは{NUM}です", "123456789018"),
    ("番号 6214 9832 0257 で申請しました", f"番号 {NUM} で申請しました", "6214 9832 0257"),
    # a typo'd number (wrong check digit) is still personal data
    ("123456789019", NUM, "123456789019"),
    # the full-width colon is kept as typed: only the number is replaced (issue 20)
    ("マイナンバー：1234-5678-9019", f"マイナンバー：{NUM}", "1234-5678-9019"),
    # zero-width characters hidden between the digits
    ("1234\u200b5678\u200b9018", NUM, "123456789018"),
]


@pytest.mark.parametrize("text, expected, secret", INDIVIDUAL_NUMBERS)
def test_individual_numbers_are_redacted(text: str, expected: str, secret: str) -> None:
    result = redact(text)
    assert isinstance(result, Redaction)
    assert result.text == expected
    assert result.found == frozenset({"individual_number"})
    assert result.changed is True
    assert_no_raw(result.text, secret)


PINS = [
    ("暗証番号は1234です", f"暗証番号は{PIN}です", "1234"),
    ("PIN：９８７６", f"PIN：{PIN}", "９８７６"),
    ("パスワードはAbc12345", f"パスワードは{PIN}", "Abc12345"),
    ("1234", PIN, "1234"),
    ("abc12345", PIN, "abc12345"),
    ("1234が暗証番号です", f"{PIN}が暗証番号です", "1234"),
    ("暗証番号は１２３４です", f"暗証番号は{PIN}です", "１２３４"),
    ("暗証番号：0000", f"暗証番号：{PIN}", "0000"),
    ("暗証番号を1234にしたい", f"暗証番号を{PIN}にしたい", "1234"),
    ("利用者証明用の暗証番号1234を忘れた", f"利用者証明用の暗証番号{PIN}を忘れた", "1234"),
    ("暗証番号は「5678」", f"暗証番号は「{PIN}」", "5678"),
    ("署名用パスワードはabc123", f"署名用パスワードは{PIN}", "abc123"),
    ("PIN 4321", f"PIN {PIN}", "4321"),
    ("1234です", f"{PIN}です", "1234"),
    ("「2580」", f"「{PIN}」", "2580"),
]


@pytest.mark.parametrize("text, expected, secret", PINS)
def test_pins_are_redacted(text: str, expected: str, secret: str) -> None:
    result = redact(text)
    assert result.text == expected
    assert result.found == frozenset({"pin"})
    assert_no_raw(result.text, secret)


def test_number_and_pin_in_one_message() -> None:
    result = redact("マイナンバー123456789018、暗証番号は1234です")
    assert result.text == f"マイナンバー{NUM}、暗証番号は{PIN}です"
    assert result.found == frozenset({"individual_number", "pin"})


NOT_SENSITIVE = [
    "暗証番号は4桁です",
    "2026年5月6日",
    "3回間違えた",
    "署名用は6〜16桁",
    "e-Tax",
    "thanks",
    "",
    "暗証番号を忘れました",
    "暗証番号を3回間違えてロックされた",
    "署名用電子証明書の暗証番号は英数字6文字以上16文字以下",
    "2025年4月30日更新",
    "受付は16:30まで",
    # Phone numbers and postal codes were kept here before issue 20; they are PINs now
    # (test_redact_formats.test_over_redaction_of_phone_numbers_is_accepted_and_documented).
    "東京都三鷹市野崎一丁目1番1号",
    "平日8時30分～17時15分",
    "暗証番号は2025年に設定した",
    "暗証番号は何桁ですか",
]


@pytest.mark.parametrize("text", NOT_SENSITIVE)
def test_ordinary_text_is_left_alone(text: str) -> None:
    result = redact(text)
    assert result.text == text
    assert result.found == frozenset()
    assert result.changed is False
    assert contains_placeholder(result.text) is False


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"暗証番号は{PIN}です", True),
        (f"番号は{NUM}", True),
        ("暗証番号は4桁です", False),
        ("", False),
    ],
)
def test_contains_placeholder(text: str, expected: bool) -> None:
    assert contains_placeholder(text) is expected


def test_redaction_is_idempotent() -> None:
    once = redact("マイナンバー123456789018、暗証番号は1234です").text
    again = redact(once)
    assert again.text == once
    assert again.changed is False


# Real-world phrasings that must not leak. Each of these currently leaks a value (see the report):
# a second PIN in the same sentence, a hedge word between 暗証番号 and the value, English, spaced
# digits, and individual numbers grouped with commas or slashes.
LEAKS = [
    ("暗証番号を1111から2222に変えたい", ["1111", "2222"]),
    ("PINは1234と5678です", ["1234", "5678"]),
    ("暗証番号が1234か5678かわからない", ["1234", "5678"]),
    ("暗証番号は1234、署名用はAbc12345", ["Abc12345"]),
    ("暗証番号、たしか1234だったと思う", ["1234"]),
    ("暗証番号はたぶん1234", ["1234"]),
    ("暗証番号が違うみたい。1234と入れた", ["1234"]),
    ("my pin is 1234", ["1234"]),
    ("暗証番号は 1 2 3 4 です", ["1 2 3 4"]),
    ("暗証番号 1-2-3-4", ["1-2-3-4"]),
    ("マイナンバーは1234,5678,9018です", ["1234,5678,9018"]),
    ("マイナンバーは1234/5678/9018です", ["1234/5678/9018"]),
]


LEAK_IDS = [
    "change_from_old_to_new",
    "two_pins_with_to",
    "two_pins_with_ka",
    "pin_then_signature_password",
    "hedge_tashika",
    "hedge_tabun",
    "pin_in_next_sentence",
    "english_my_pin_is",
    "digits_with_spaces",
    "digits_with_hyphens",
    "number_grouped_with_commas",
    "number_grouped_with_slashes",
]


@pytest.mark.parametrize("text, secrets", LEAKS, ids=LEAK_IDS)
def test_real_world_phrasings_do_not_leak(text: str, secrets: list[str]) -> None:
    result = redact(text).text
    for secret in secrets:
        assert_no_raw(result, secret)
