"""Replace individual numbers and PINs in free text with fixed placeholders."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

INDIVIDUAL_NUMBER_PLACEHOLDER = "［個人番号］"
PIN_PLACEHOLDER = "［暗証番号］"

# Residents type ASCII or full-width digits and letters; both must be caught.
_DIGIT = "[0-9０-９]"
_ALNUM = "[0-9A-Za-z０-９Ａ-Ｚａ-ｚ]"
# Separators residents put between digit groups: spaces, hyphens of every width, the long-vowel mark.
_SEP = "[ \u3000\\-‐‑‒–—―−－ーｰ_.．,，/／・]"

# Any 12 digits, separators allowed between digits, whatever the check digit: a typo'd number is still personal.
_INDIVIDUAL_NUMBER = re.compile(rf"(?<![0-9０-９]){_DIGIT}(?:{_SEP}{{0,2}}{_DIGIT}){{11}}(?![0-9０-９])")

_PIN_WORD = r"(?:暗証番号|暗証|あんしょうばんごう|ｱﾝｼｮｳﾊﾞﾝｺﾞｳ|アンショウバンゴウ|パスワード|ﾊﾟｽﾜｰﾄﾞ|ぱすわーど|[PpＰｐ][IiＩｉ][NnＮｎ]|password|ピン)"
# A unit right after the digits means a length or a date, not a PIN (4桁, 2025年, 3回).
_NOT_A_UNIT = r"(?![0-9A-Za-z０-９Ａ-Ｚａ-ｚ]|\s*(?:桁|けた|ケタ|文字|もじ|回|年|月|日|時|分|秒|歳|才|円|件|個|つ|人|番目|ヶ月|か月|カ月))"

_PIN_CONTEXT = re.compile(_PIN_WORD, re.IGNORECASE)
# In a message that talks about a PIN, every number that could be one is redacted, wherever it stands
# (「1111から2222に変えたい」, 「たしか1234だった」, the next sentence), digits possibly spaced or hyphenated.
_PIN_CANDIDATE = re.compile(
    rf"(?<![0-9A-Za-z０-９Ａ-Ｚａ-ｚ])(?:{_DIGIT}(?:[ \u3000\-－]?{_DIGIT}){{3,15}}"
    rf"|(?={_ALNUM}*[0-9０-９])(?={_ALNUM}*[A-Za-zＡ-Ｚａ-ｚ]){_ALNUM}{{6,16}}){_NOT_A_UNIT}"
)
# A message that is nothing but a 4-digit number or a 6-16 letter-and-digit token is a PIN typed on its own.
_BARE_PIN = re.compile(
    rf"^(?P<pre>[\s　「『\"']*)(?P<value>{_DIGIT}{{4}}|(?={_ALNUM}*[0-9０-９])(?={_ALNUM}*[A-Za-zＡ-Ｚａ-ｚ]){_ALNUM}{{6,16}})(?P<post>[\s　」』\"'。．.!！?？]*(?:です|だよ|です。)?[\s　。．.!！?？]*)$"
)


@dataclass(frozen=True)
class Redaction:
    """The redacted text and which kinds of sensitive data were removed from it."""

    text: str
    found: frozenset[str] = field(default_factory=frozenset)

    @property
    def changed(self) -> bool:
        """Whether anything was replaced."""
        return bool(self.found)


def redact(text: str) -> Redaction:
    """Replace every individual number and PIN in ``text`` with a placeholder."""
    found: set[str] = set()
    # Control characters can hide digits from the patterns (1\u200b2...): drop them before matching.
    cleaned = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\n\t")

    def _number(_: re.Match[str]) -> str:
        found.add("individual_number")
        return INDIVIDUAL_NUMBER_PLACEHOLDER

    def _pin(_: re.Match[str]) -> str:
        found.add("pin")
        return PIN_PLACEHOLDER

    def _bare(match: re.Match[str]) -> str:
        found.add("pin")
        return match.group("pre") + PIN_PLACEHOLDER + match.group("post")

    result = _INDIVIDUAL_NUMBER.sub(_number, cleaned)
    if _PIN_CONTEXT.search(result):
        result = _PIN_CANDIDATE.sub(_pin, result)
    result = _BARE_PIN.sub(_bare, result)
    if not found:
        return Redaction(text=text)
    return Redaction(text=result, found=frozenset(found))


def contains_placeholder(text: str) -> bool:
    """Tell whether ``text`` already carries a redaction placeholder."""
    return INDIVIDUAL_NUMBER_PLACEHOLDER in text or PIN_PLACEHOLDER in text
