"""Replace individual numbers and PINs in free text with fixed placeholders.

The rule, in order (docs: README "Privacy"):

1. The text is normalised with ``jptext.nfkc`` (NFKC, every Unicode digit as ASCII, invisible characters dropped).
2. Digits broken only by separators (spaces of any width and count, line breaks, hyphens and dashes of every kind
   including 「ー」, 、, 。, /, ~, dots, commas, brackets, quotes) count as ONE number.
3. A number of 12 or more digits is an individual number (whatever its check digit): ``［個人番号］``.
4. In a message that mentions a PIN word (``PIN_WORDS``), or that answers a bot turn asking about PINs
   (``pin_context=True``), every number of 4-16 digits and every 4-16 character token mixing letters and digits is a
   PIN: ``［暗証番号］``. A number directly followed by a unit (4桁, 3回, 2025年, 10分) is a count, length or date and
   is kept; digits glued to it by a separator are still judged on their own.
5. A message that is nothing but a 4-8 digit number or such a token (「1234」「1234です」) is a PIN too.

Over-redaction is accepted: a phone number or a date in a PIN message is replaced as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from jptext import nfkc

INDIVIDUAL_NUMBER_PLACEHOLDER = "［個人番号］"
PIN_PLACEHOLDER = "［暗証番号］"
_PLACEHOLDERS = re.compile(f"({re.escape(INDIVIDUAL_NUMBER_PLACEHOLDER)}|{re.escape(PIN_PLACEHOLDER)})")

# Characters residents put between digit groups, as they look after NFKC. The colon is left out on purpose:
# it writes times (8:30), and a time next to 暗証番号 would otherwise read as a PIN.
SEPARATORS = (
    " \t\r\n\u00a0"  # spaces (the ideographic space is a plain space after NFKC), tabs, line breaks
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\u2500\ufe63\u2043\u02d7"  # hyphens, dashes, minus, ー, ─
    "_.,、。/\\~\u301c\u3030・*#+=|"  # underscore, dots, commas, 、。, slashes, tildes (~〜〰), ・
    "()[]{}<>「」『』【】〔〕〈〉《》\"'`"  # brackets and quotes
)
_SEP = "[" + re.escape(SEPARATORS) + "]"
# Kanji numerals typed as digits (一二三四): only runs are considered, so 一丁目 or 一度 are not numbers.
_KANJI_DIGITS = "〇零一二三四五六七八九"
_NUMBER = re.compile(rf"[0-9](?:{_SEP}*[0-9])*|[{_KANJI_DIGITS}]{{4,}}")
_LAST_GROUP = re.compile(rf"{_SEP}+[0-9]+$")
# Letters and digits mixed, 4-16 characters: the 署名用 password and PINs written next to letters (PIN1234).
_MIXED_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]*[0-9])(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{4,16}(?![A-Za-z0-9])"
)

# Words after which a number is a count, a length, an amount or a date, not a PIN.
_UNITS = (
    "桁",
    "けた",
    "ケタ",
    "文字",
    "もじ",
    "字",
    "回",
    "度",
    "年",
    "月",
    "日",
    "時",
    "分",
    "秒",
    "歳",
    "才",
    "円",
    "件",
    "個",
    "つ",
    "人",
    "名",
    "番目",
    "ヶ月",
    "ヵ月",
    "か月",
    "カ月",
    "ケ月",
    "週",
    "号",
    "階",
    "枚",
    "通",
    "%",
    "歩",
)
_UNIT_AFTER = re.compile(r"\s*(?:" + "|".join(re.escape(u) for u in _UNITS) + ")")

# Words that make a message about PINs: the forms residents write (incl. the IME mis-conversion 暗唱番号), and the
# PIN-type names the bot itself uses, so that 「住民基本台帳用は1357」 or 「4桁の方は0523」 are caught. 番号 and
# マイナンバー are included: a partial 個人番号 is personal too, and over-redaction is accepted.
PIN_WORDS = (
    "暗証",
    "暗唱",
    "暗誦",
    "暗所番号",
    "あんしょう",
    "アンショウ",
    "パスコード",
    "パスワード",
    "ぱすわーど",
    "パス",
    "password",
    "passcode",
    "pass",
    "pw",
    "pin",
    "ピン",
    "ぴん",
    "番号",
    "ナンバー",
    "なんばー",
    "コード",
    "署名用",
    "利用者証明用",
    "住民基本台帳用",
    "住基",
    "券面事項入力補助用",
    "券面",
    "電子証明書",
    "英数字",
    "数字",
    "桁の",
    "けたの",
    "ケタの",
)
_PIN_WORD = re.compile("|".join(re.escape(w) for w in PIN_WORDS), re.IGNORECASE)
_PIN_TYPE_DIGITS = re.compile(r"[0-9]+\s*(?:桁|けた|ケタ)の")

# A bot turn that asks about a PIN (「どの暗証番号ですか」「暗証番号（数字4桁）はわかりますか」): a question in a
# message that names a PIN. The resident's next message is then treated as a PIN message.
_QUESTION = re.compile(r"(?:か|[?？])\s*(?:[。.．)）」]|\n|$)")

# A message that is nothing but a number or a password-like token, with polite endings around it.
_BARE_WRAPPER = re.compile(
    r"^[\s「『\"'(\[]*(?P<value>.+?)[\s」』\"')\]]*(?:です|でした|だよ|だと思います|かな|かも)?[\s。.!?！？]*$"
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


def mentions_pin(text: str) -> bool:
    """Whether ``text`` mentions a PIN word (normalised first)."""
    return _mentions_pin(nfkc(text))


def _mentions_pin(normalised: str) -> bool:
    return bool(_PIN_WORD.search(normalised) or _PIN_TYPE_DIGITS.search(normalised))


def asks_about_pin(bot_text: str) -> bool:
    """Whether a bot message asks the resident something about a PIN, so that the answer may contain one."""
    normalised = nfkc(bot_text)
    return _mentions_pin(normalised) and bool(_QUESTION.search(normalised))


def redact(text: str, pin_context: bool = False) -> Redaction:
    """Replace every individual number and PIN in ``text`` with a placeholder.

    ``pin_context``: the message answers a bot turn that asked about a PIN (see ``asks_about_pin``).
    """
    if not text:
        return Redaction(text=text)
    found: set[str] = set()
    # Placeholders of an earlier pass are kept as they are (NFKC would turn their brackets into ASCII).
    pieces = _PLACEHOLDERS.split(text)
    normalised = [piece if i % 2 else nfkc(piece) for i, piece in enumerate(pieces)]
    whole = "".join(normalised)
    about_pin = pin_context or _mentions_pin(whole)
    out = [piece if i % 2 else _redact_piece(piece, about_pin, found) for i, piece in enumerate(normalised)]
    if len(out) == 1 and not found:
        bare = _bare(out[0], found)
        out = [bare]
    if not found:
        return Redaction(text=text)
    return Redaction(text="".join(out), found=frozenset(found))


def redact_individual_numbers(text: str) -> Redaction:
    """Only rule 3 (12+ digits): for the bot's own texts, whose phone numbers, dates and lengths must stay."""
    found: set[str] = set()
    normalised = nfkc(text)

    def _number(match: re.Match[str]) -> str:
        if _digit_count(match.group(0)) == 12:
            found.add("individual_number")
            return INDIVIDUAL_NUMBER_PLACEHOLDER
        return match.group(0)

    result = _NUMBER.sub(_number, normalised)
    return Redaction(text=result, found=frozenset(found)) if found else Redaction(text=text)


def _digit_count(run: str) -> int:
    return sum(ch.isdigit() or ch in _KANJI_DIGITS for ch in run)


def _redact_piece(text: str, about_pin: bool, found: set[str]) -> str:
    if about_pin:
        text = _MIXED_TOKEN.sub(_replacer(PIN_PLACEHOLDER, "pin", found), text)

    def _number(match: re.Match[str]) -> str:
        return _judge(match.group(0), text, match.end(), about_pin, found)

    return _NUMBER.sub(_number, text)


def _judge(run: str, text: str, end: int, about_pin: bool, found: set[str]) -> str:
    """Decide one run of digits: individual number, PIN, or kept (with a unit after its last group)."""
    digits = _digit_count(run)
    if digits >= 12:
        found.add("individual_number")
        return INDIVIDUAL_NUMBER_PLACEHOLDER
    if not about_pin or digits < 4:
        return run
    if _UNIT_AFTER.match(text, end):
        # 「1234、3回」: the last group is a count; what comes before it is judged on its own.
        last = _LAST_GROUP.search(run)
        if last is None:
            return run
        head = run[: last.start()]
        head_digits = _digit_count(head)
        if head_digits < 4:
            return run
        found.add("pin")
        return PIN_PLACEHOLDER + run[last.start() :]
    found.add("pin")
    return PIN_PLACEHOLDER


def _bare(text: str, found: set[str]) -> str:
    """A message that is only a PIN-like value (「1234」「Abc12345です」) is a PIN."""
    match = _BARE_WRAPPER.match(text)
    if match is None:
        return text
    value = match.group("value")
    number = _NUMBER.fullmatch(value)
    mixed = _MIXED_TOKEN.fullmatch(value)
    if (number and 4 <= _digit_count(value) <= 8) or mixed:
        found.add("pin")
        return text[: match.start("value")] + PIN_PLACEHOLDER + text[match.end("value") :]
    return text


def _replacer(placeholder: str, kind: str, found: set[str]) -> Callable[[re.Match[str]], str]:
    def _replace(_: re.Match[str]) -> str:
        found.add(kind)
        return placeholder

    return _replace


def contains_placeholder(text: str) -> bool:
    """Tell whether ``text`` already carries a redaction placeholder."""
    return INDIVIDUAL_NUMBER_PLACEHOLDER in text or PIN_PLACEHOLDER in text
