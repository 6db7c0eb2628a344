"""Issues 10 and 20: every way a resident writes a 個人番号 or a PIN that used to reach storage verbatim is redacted."""

from __future__ import annotations

import re

import pytest

from jptext import nfkc
from privacy import redact
from privacy.redact import redact_individual_numbers

NUM = "［個人番号］"
PIN = "［暗証番号］"


def digits(text: str) -> str:
    """The ASCII digits of a text after normalisation, in order."""
    return re.sub(r"\D", "", nfkc(text))


# 12 digits with the separators of the probe (and more): one number, whatever the check digit.
SEPARATED_NUMBERS = [
    "3141 - 5926 - 5352",  # space-hyphen-space
    "2718、2818、2840",
    "1618\n0339\n8874",  # one group per line, as on LINE
    "1618\r\n0339\r\n8874",
    "1234   5678   9018",  # three or more spaces
    "1234\u3000\u3000\u30005678\u30009018",  # ideographic spaces
    "1234~5678~9018",
    "1234〜5678〜9018",
    "1234～5678～9018",
    "1234 / 5678 / 9018",
    "(1234)5678-9018",
    "（1234）5678－9018",
    "「1234」「5678」「9018」",
    "1234ー5678ー9018",
    "1234−5678−9018",  # U+2212 minus
    "1234‐5678‐9018",  # U+2010 hyphen
    "1234–5678–9018",  # en dash
    "1234—5678—9018",  # em dash
    "1234ｰ5678ｰ9018",  # half-width long vowel mark
    "1234.5678.9018",
    "1234。5678。9018",
    "1234・5678・9018",
    "1234,5678,9018",
    "𝟏𝟔𝟏𝟖𝟎𝟑𝟑𝟗𝟖𝟖𝟕𝟒",  # mathematical bold digits
    "١٢٣٤٥٦٧٨٩٠١٨",  # Arabic-Indic digits
    "1\u200b2\u200b3\u200b4 5678 9018",  # zero-width spaces
    "一二三四五六七八九〇一八",  # kanji numerals
]


@pytest.mark.parametrize("number", SEPARATED_NUMBERS)
@pytest.mark.parametrize("frame", ["{}", "マイナンバーは{}です", "私の番号\n{}\nで合っていますか", "{}です。よろしく"])
def test_separated_individual_numbers_are_one_number(number: str, frame: str) -> None:
    result = redact(frame.format(number))
    assert "individual_number" in result.found
    assert NUM in result.text
    assert len(digits(result.text)) < 4, result.text


def test_a_wrong_check_digit_is_still_an_individual_number() -> None:
    assert redact("1234 5678 9019").text == NUM


# PINs without today's keywords: the misspelling, other words for a PIN and the type names the bot itself uses.
PIN_MESSAGES = [
    ("暗唱番号は1234です", "1234"),
    ("暗唱番号を忘れた。たぶん5678", "5678"),
    ("パスコードは2468", "2468"),
    ("PWはabc123です", "abc123"),
    ("pw: Abcd1234", "Abcd1234"),
    ("住民基本台帳用は1357", "1357"),
    ("4桁の方は0523だと思います", "0523"),
    ("署名用はAB12CD34かも", "AB12CD34"),
    ("利用者証明用のほうで、たしか0861です", "0861"),
    ("券面事項入力補助用は9 9 8 8", "9 9 8 8"),
    ("ピンは7777", "7777"),
    ("my PIN is 4 3 2 1", "4 3 2 1"),
    ("暗証番号は\n1\n2\n3\n4", "1234"),
    ("暗証番号1234、3回間違えた", "1234"),
    ("暗証番号は１２３４５６", "123456"),
    ("暗証番号は一二三四", "一二三四"),
]


@pytest.mark.parametrize("text, secret", PIN_MESSAGES)
def test_pins_next_to_any_pin_word_are_redacted(text: str, secret: str) -> None:
    result = redact(text)
    assert "pin" in result.found, result.text
    assert nfkc(secret) not in result.text
    if digits(secret):
        assert digits(secret) not in digits(result.text)


def test_a_pin_in_half_width_circles_is_a_pin_in_circles() -> None:
    """￮ is ○ after NFKC: rule 4c holds for it too (the quick check before the scan once missed it)."""
    assert redact("暗証番号は￮￮￮￮にしてた").text == f"暗証番号は{PIN}にしてた"
    assert redact("￮￮市").text == "￮￮市"


@pytest.mark.parametrize(
    "answer, secret",
    [("たしか4917だったと思う", "4917"), ("たぶん 0 8 6 1 かな", "0861"), ("Abc123だったような", "Abc123")],
)
def test_a_pin_without_a_pin_word_is_redacted(answer: str, secret: str) -> None:
    """Issue 20: the rule is context-free; an answer to 「どの暗証番号ですか」 needs no memory of the question."""
    result = redact(answer)
    assert "pin" in result.found
    assert secret not in digits(result.text) and secret not in result.text


# Counts, lengths and dates stay readable, even in a PIN message (the exceptions are deliberately few).
KEPT = [
    "暗証番号は4桁です",
    "暗証番号を3回間違えました",
    "署名用は6〜16桁ですか",
    "暗証番号は2025年に設定した",
    "4桁の暗証番号を2026年1月5日に変えた",
    "暗証番号は何桁ですか",
    "平日8時30分～17時15分",
    "受付は16:30まで",
]


@pytest.mark.parametrize("text", KEPT)
def test_counts_and_dates_are_kept(text: str) -> None:
    assert redact(text).changed is False


@pytest.mark.parametrize(
    "text, expected",
    [
        # Issue 20 changed these deliberately: without a PIN word a phone number was kept; the rule is now
        # context-free, and a 4-11 digit number is a PIN wherever it stands (README, Privacy: over-redaction).
        ("電話 0422-29-9191", f"電話 {PIN}"),
        ("0572-23-5542（直通）、0572-22-1111（代表）", f"{PIN}（直通）、{PIN}（代表）"),
        ("暗証番号のことで0422-29-9191に電話していい？", f"暗証番号のことで{PIN}に電話していい？"),
    ],
)
def test_over_redaction_of_phone_numbers_is_accepted_and_documented(text: str, expected: str) -> None:
    assert redact(text).text == expected


def test_bot_texts_keep_phone_numbers_and_lengths() -> None:
    text = "暗証番号（数字4桁）は、0422-29-9191（平日8時30分～17時15分）へ。"
    assert redact_individual_numbers(text).changed is False
    assert redact_individual_numbers("番号は1234 5678 9018").text == f"番号は{NUM}"


def test_placeholders_survive_a_second_pass() -> None:
    once = redact("暗証番号は1234、番号は123456789018").text
    assert redact(once).text == once
    assert redact(once).changed is False
