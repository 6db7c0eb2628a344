"""Replace individual numbers and PINs in free text with fixed placeholders.

The rule is context-free: this bot is about PINs in every conversation, so a number is judged by its own shape,
never by what the bot asked before (docs: README "Privacy").

1. Detection runs on a normalised copy (``jptext.nfkc_spans``: NFKC one character at a time, every Unicode digit
   as ASCII, keycaps, variation selectors, zero-width and other format characters and stray combining marks
   dropped), which keeps for every normalised character the span of the original it came from. Kanji numerals
   (``KANJI_DIGITS``) and circles used as zero (``ZERO_LOOKALIKES``, and O-shaped letters standing alone) count
   as digits inside a number. Replacements are applied to the ORIGINAL text through that map: everything outside a
   replaced span comes back exactly as typed (a full-width ／ stays ／), and a text with nothing found is returned
   unchanged.
2. Digits broken only by separators are ONE number: spaces of any width and count, line breaks (U+2028/U+2029
   too), tabs, hyphens, dashes and minus signs of every kind (「ー」「ｰ」「−」), 、。・·, slashes and backslashes,
   ~ 〜, dots, commas, : ;, arrows, brackets, quotes, * # + = | _ and other punctuation (``SEPARATORS`` and
   ``_SEPARATOR_CATEGORIES``).
   Kanji numerals mixed with ASCII digits are digits of the run (「一2三4」); a run of kanji numerals alone is a
   number only with at least 4 of them (「一、二、三、四」 is, 一丁目 and 一度 are not).
3. 12 or more digits: an individual number, ``［個人番号］``, always.
4. 4 to 11 digits: a PIN, ``［暗証番号］``, always (no PIN word needed: 「ロックされた。1234と5678を試した」, a bare
   「4917」, each half of a 個人番号 sent in two messages), except
   a. a number directly followed by a unit (``UNITS``: 4桁, 3回, 2025年, 10分) is a count, length or date and is
      kept; digits glued to it by a separator are judged on their own (「1234、3回」: 1234 is a PIN);
   b. in a message WITHOUT a PIN word (``PIN_WORDS``), a clock time ``H:MM``/``HH:MM`` (hour 0-29, minutes 00-59)
      and a date ``M/D``, ``YYYY/M/D``, ``YYYY.M.D`` or ``YYYY-MM-DD`` (valid month and day, year 1900-2099), each
      exactly those groups, are kept, also several of them joined by spaces, 〜 or dashes (「9:00〜17:00」「12/28
      17:30」), so 「17:30に行っても間に合いますか」 still reaches the NLU. Next to a PIN word they are PINs too,
      unless a time word (``TIME_WORDS``: まで, から, 以降 ...) follows (「暗証番号の再設定は17:00までですか」).
   c. ○○○○ (circles only) is a number only next to a PIN word (○○市 is a blank, not a number).
5. A token of 4 to 16 characters mixing ASCII letters and digits (after NFKC) is a PIN, always (the 署名用
   password, PIN1234); next to a PIN word, so is one typed in pieces (「abc-12345」「A B C 1 2 3」, up to 32).
6. The placeholders are never PIN words and never redacted again: ``redact(redact(s)) == redact(s)``.

Over-redaction is accepted: a phone number, a postal code, an address like 2-13-5 or a product name like iPhone15
typed by a resident is replaced as well. The bot's own texts lose only 12-digit numbers
(``redact_individual_numbers``).

Every step is one pass over the characters, and every pattern has one way to match (the comment at each says why):
the time is linear in the length of the text whatever it contains (tests/privacy/test_redact_linear.py).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from jptext import CharCache, nfkc_spans

INDIVIDUAL_NUMBER_PLACEHOLDER = "［個人番号］"
PIN_PLACEHOLDER = "［暗証番号］"
_PLACEHOLDER = re.compile(f"{INDIVIDUAL_NUMBER_PLACEHOLDER}|{PIN_PLACEHOLDER}")
_KIND = {INDIVIDUAL_NUMBER_PLACEHOLDER: "individual_number", PIN_PLACEHOLDER: "pin"}
# A placeholder already in the text stands in the normalised copy as this character: neither digit, letter,
# separator nor part of a word, so no number, token or PIN word runs across it. (Controls other than tab and
# newline are dropped by the normaliser, so it cannot come from the text itself.)
_BREAK = "\x00"

# Kanji numerals typed as digits (一二三四); 〇 is the kanji zero.
KANJI_DIGITS = "〇零一二三四五六七八九"
# Circles residents type for 0 (○ for 〇).
ZERO_LOOKALIKES = "○◯⭕⚪⚬◦∘"
# O-shaped letters (Latin, Greek, Cyrillic): a zero only when no other letter touches them (1 O 2 3, not ORDER).
_LETTER_ZEROS = frozenset("OoΟοОо")

# What residents put between digit groups, as it looks after NFKC: every character of these categories, i.e. spaces
# of any width, line and paragraph separators (U+2028/9), dashes and minus signs (- ‐ – — 〜 〰), brackets and quotes
# (「」【】"'), connectors (_), other punctuation (、。・· . , : ; / \ * #), mathematical and modifier symbols (− ~ + = |
# ` ˗ ∙), other symbols (─ ¦ and emoji or pictographs, 1😀2😀3😀4, 1✨9✨8✨4); the arrow and box-drawing blocks (below,
# unassigned code points too); and SEPARATORS, which no category covers: tab, line break and ー (a letter to Unicode).
_SEPARATOR_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Pd", "Ps", "Pe", "Pi", "Pf", "Pc", "Po", "Sm", "Sk", "So"})
SEPARATORS = "\t\n\u30fc"
_SEPARATOR_BLOCKS = (
    (0x2190, 0x21FF),  # Arrows
    (0x2500, 0x257F),  # Box Drawing (─ │)
    (0x2794, 0x27BF),  # Dingbat arrows (➔ ➡)
    (0x27F0, 0x27FF),  # Supplemental Arrows-A
    (0x2900, 0x297F),  # Supplemental Arrows-B
    (0x2B00, 0x2B4F),  # Miscellaneous Symbols and Arrows (before the stars and ⭕)
    (0x2B5A, 0x2BFF),
    (0x1F800, 0x1F8FF),  # Supplemental Arrows-C
)

# Words after which a number is a count, a length, an amount or a date, not a PIN.
UNITS = tuple(
    "桁 けた ケタ 文字 もじ 字 回 度 件 個 つ 人 名 番目 号 階 枚 通 % 歩 円"  # lengths, counts, amounts
    " 年 月 日 時 分 秒 歳 才 週 ヶ月 ヵ月 か月 カ月 ケ月".split()  # dates, times, ages
)

# Words that make a message about PINs (matched after NFKC, case-insensitively): the forms residents write (incl.
# the IME mis-conversion 暗唱番号) and the PIN-type names the bot itself uses. With one of them in the message a
# clock time or a date is a PIN too (rule 4b); nothing else depends on them.
PIN_WORDS = tuple(
    "暗証 暗唱 暗誦 暗所番号 あんしょう アンショウ パスコード パスワード ぱすわーど パス password passcode pass pw pin"
    " ピン ぴん 番号 ナンバー なんばー コード 署名用 利用者証明用 住民基本台帳用 住基 券面事項入力補助用 券面 電子証明書"
    " 英数字 数字 桁の けたの ケタの".split()
)
# ASCII words stand alone (pin, not pinbot or shopping; pass, not passport), and パス is not パスポート.
_PIN_WORD = re.compile(
    "|".join(
        rf"(?<![a-z]){re.escape(word)}(?![a-z])"
        if word.isascii()
        else re.escape(word) + ("(?!ポ)" if word == "パス" else "")
        for word in (w.casefold() for w in PIN_WORDS)
    )
)

# Words after a clock time or a date that make it one even next to a PIN word (「暗証番号の再設定は17:00まで」).
TIME_WORDS = ("まで", "から", "以降", "以前", "以後", "頃", "ごろ", "過ぎ", "すぎ", "前後", "以内")
# Rule 4b on a run's text: clock times ``H:MM`` (hour 0-29: Japan writes 25:00 for 1 a.m.) and dates ``M/D``,
# ``YYYY/M/D``, ``YYYY.M.D``, ``YYYY-MM-DD``, each exactly its groups (17:30:00, 12/28/5 and 1234-5678 are neither),
# joined by spaces, tildes, dashes, 、 , or ・ (「9:00〜17:00」「12/28、12/29」). Each starts with a digit after a
# non-digit, so a run has one parse (linear); _is_date then checks the days.
_CLOCK = "[0-2]?[0-9]:[0-5][0-9](?!:[0-9])"
_DATE = r"(?:[0-9]{4}/)?[0-9]{1,2}/[0-9]{1,2}(?!/[0-9])|[0-9]{4}([.-])[0-9]{1,2}\1[0-9]{1,2}(?!\1[0-9])"
_TIME_JOINERS = re.escape("~\u301c\u3030-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc、,・")
_CLOCKS_AND_DATES = re.compile(rf"(?:[\s{_TIME_JOINERS}]*(?<![0-9])(?:{_CLOCK}|{_DATE}))+")
_DATES = re.compile(rf"(?<![0-9])(?:{_DATE})")

# Character classes of the normalised text, one letter per character: a number is a run of members (digit D,
# kanji numeral K, zero look-alike Z) broken only by separators S; L is an O-shaped letter, W another letter that
# makes it part of a word (Latin, Greek, Cyrillic, or a placeholder, so a second pass sees the same), O anything else.
_DIGIT, _KANJI, _ZERO, _SEPARATOR, _LETTER_ZERO, _WORD_LETTER, _OTHER = "DKZSLWO"
# An O-shaped letter is a zero unless another letter touches it (1 O 2 3, not ORDER).
_LONE_LETTER_ZERO = re.compile("(?<![LW])L(?![LW])")
# Members and separators are disjoint classes, so a match can only end where a group of members ends: no
# backtracking beyond one block of separators, which the search then passes once more. Linear.
_RUN = re.compile("[DKZ]+(?:S+[DKZ]+)*")
_GROUP = re.compile("[DKZ]+")
# Shorter tokens fail within their 3 characters, longer ones match whole from their first character.
_ALNUM_TOKEN = re.compile("[A-Za-z0-9]{4,}")
# Next to a PIN word, a password typed in pieces: 「abc-12345」「Abc-1234-xyz」, or spaced out 「A B C 1 2 3」. The
# pieces and their joiners are disjoint classes (a single joiner, single characters when spaced): linear.
_JOINED_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)+|[A-Za-z0-9](?: [A-Za-z0-9])+)(?![A-Za-z0-9])"
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
    """Replace every individual number and PIN in ``text`` (a resident's words) with a placeholder."""
    if not _may_hold_a_number(text):
        return Redaction(text=text)
    scan = _Scan(text)
    numbers = [span for span in map(scan.judge, scan.runs()) if span is not None]
    return scan.replace(numbers + [(start, end, PIN_PLACEHOLDER) for start, end in scan.mixed_tokens()])


def redact_individual_numbers(text: str) -> Redaction:
    """Only 12-digit numbers, for the bot's own texts, whose phone numbers, dates and lengths must stay."""
    if not _may_hold_a_number(text):
        return Redaction(text=text)
    scan = _Scan(text)
    numbers = [run for run in scan.runs() if scan.is_number(run) and _members(run) == 12]
    return scan.replace([(run[0][0], run[-1][1], INDIVIDUAL_NUMBER_PLACEHOLDER) for run in numbers])


def contains_placeholder(text: str) -> bool:
    """Tell whether ``text`` already carries a redaction placeholder."""
    return INDIVIDUAL_NUMBER_PLACEHOLDER in text or PIN_PLACEHOLDER in text


def _may_hold_a_number(text: str) -> bool:
    """A cheap test first: every number and every mixed token has a digit, a kanji numeral or a circle.

    Compatibility characters (⑴, 🄁, ㈠, ⼀, the half-width ￮) are one only after NFKC, which runs only when needed.
    """
    members = KANJI_DIGITS + ZERO_LOOKALIKES
    if any(map(str.isdigit, text)) or any(char in text for char in members):
        return True
    folded = "" if text.isascii() else unicodedata.normalize("NFKC", text)
    return any(map(str.isdigit, folded)) or any(char in folded for char in members)


Run = list[tuple[int, int]]  # the groups of digits of one number: [start, end) in the normalised text


def _members(run: Run) -> int:
    return sum(end - start for start, end in run)


class _Scan:
    """One text, normalised with a map back to the original, and the class of every normalised character."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.norm, self.starts, self.ends = _normalise(text)
        self.classes = _LONE_LETTER_ZERO.sub(_ZERO, self.norm.translate(_CLASSES))

    def runs(self) -> Iterator[Run]:
        """Every maximal run of at least 4 members broken only by separators, as its groups (shorter ones are kept)."""
        classes = self.classes
        for match in _RUN.finditer(classes):
            start, end = match.span()
            if end - start - classes.count(_SEPARATOR, start, end) >= 4:
                yield [group.span() for group in _GROUP.finditer(classes, start, end)]

    def is_number(self, run: Run) -> bool:
        """A run with an ASCII digit, or with at least 4 members of which one is a kanji numeral (not ○○ alone)."""
        start, end = run[0][0], run[-1][1]
        if self.classes.count(_DIGIT, start, end):
            return True
        # ○○○○ next to a PIN word is a PIN written with circles; ○○市 or a blank ○○○○ elsewhere is not a number.
        return _members(run) >= 4 and (self.classes.count(_KANJI, start, end) > 0 or self.mentions_pin)

    def judge(self, run: Run, unit_check: bool = True) -> tuple[int, int, str] | None:
        """The span to replace for this run and its placeholder, or None to keep it (rules 3 and 4)."""
        members = _members(run)
        if members < 4 or not self.is_number(run):
            return None
        if members >= 12:
            return run[0][0], run[-1][1], INDIVIDUAL_NUMBER_PLACEHOLDER
        if unit_check and self._word_after(run[-1][1], UNITS):
            # 「1234、3回」: the last group is a count; what comes before it is judged on its own.
            return self.judge(run[:-1], unit_check=False) if len(run) > 1 else None
        if self._clock_or_date(run) and (not self.mentions_pin or self._word_after(run[-1][1], TIME_WORDS)):
            return None
        return run[0][0], run[-1][1], PIN_PLACEHOLDER

    def mixed_tokens(self) -> list[tuple[int, int]]:
        """Spans of 4-16 ASCII letters and digits with at least one of each (rule 5), joined pieces too (5a)."""
        spans = [match.span() for match in _ALNUM_TOKEN.finditer(self.norm) if _is_mixed(match.group(), 16)]
        if self.mentions_pin:
            spans += [match.span() for match in _JOINED_TOKEN.finditer(self.norm) if _is_mixed(match.group(), 32)]
        return spans

    def replace(self, spans: list[tuple[int, int, str]]) -> Redaction:
        """The original text with each span (normalised coordinates) replaced by its placeholder."""
        if not spans:
            return Redaction(text=self.text)
        # In the original's coordinates, overlapping spans merged (a token inside a number, a cluster like ⑩ that
        # became two digits); an individual number wins over a PIN.
        merged: list[tuple[int, int, str]] = []
        for start, end, placeholder in sorted((self.starts[s], self.ends[e - 1], p) for s, e, p in spans):
            if merged and start < merged[-1][1]:
                last_start, last_end, last_placeholder = merged.pop()
                start, end = last_start, max(end, last_end)
                placeholder = placeholder if placeholder == INDIVIDUAL_NUMBER_PLACEHOLDER else last_placeholder
            merged.append((start, end, placeholder))
        pieces, position = [], 0
        for start, end, placeholder in merged:
            pieces += [self.text[position:start], placeholder]
            position = end
        found = frozenset(_KIND[placeholder] for _, _, placeholder in merged)
        return Redaction(text="".join(pieces) + self.text[position:], found=found)

    def _word_after(self, end: int, words: tuple[str, ...]) -> bool:
        """Whether one of ``words`` follows position ``end`` (spaces between allowed)."""
        norm = self.norm
        while end < len(norm) and norm[end].isspace():
            end += 1
        return norm.startswith(words, end)

    @cached_property
    def mentions_pin(self) -> bool:
        """Whether the message has a PIN word (``PIN_WORDS``): the one context the rule looks at, computed once."""
        return _PIN_WORD.search(self.norm.casefold()) is not None

    def _clock_or_date(self, run: Run) -> bool:
        """Rule 4b: the run is clock times and real dates, joined by spaces, 〜 or dashes."""
        start, end = run[0][0], run[-1][1]
        if _CLOCKS_AND_DATES.fullmatch(self.norm, start, end) is None:
            return False
        return all(map(_is_date, _DATES.finditer(self.norm, start, end)))


def _is_mixed(token: str, longest: int) -> bool:
    """4 to ``longest`` ASCII letters and digits (joiners not counted), at least one of each."""
    chars = [char for char in token if char.isalnum()]
    return 4 <= len(chars) <= longest and any(c.isdigit() for c in chars) and any(c.isalpha() for c in chars)


def _is_date(piece: re.Match[str]) -> bool:
    """A real day of 1900-2099; ``M/D`` as in a leap year (29 February unless the year says otherwise)."""
    year, month, day = map(int, (["2000"] if piece.group().count("/") == 1 else []) + re.split("[/.-]", piece.group()))
    try:
        return 1900 <= date(year, month, day).year <= 2099
    except ValueError:
        return False


def _normalise(text: str) -> tuple[str, Sequence[int], Sequence[int]]:
    """``nfkc_spans`` of the text, the characters of each placeholder already in it replaced by ``_BREAK``."""
    norm, starts, ends = nfkc_spans(text)
    pieces: list[str] = []
    done = 0  # normalised characters copied so far
    for placeholder in _PLACEHOLDER.finditer(text):
        # A mark after the closing bracket belongs to its cluster, so to the last character replaced.
        first = bisect_left(starts, placeholder.start(), done)
        beyond = bisect_left(starts, placeholder.end(), first)
        pieces += [norm[done:first], _BREAK * (beyond - first)]
        done = beyond
    return "".join(pieces) + norm[done:], starts, ends


def _class_of(char: str) -> str:
    if "0" <= char <= "9":
        return _DIGIT
    if char in KANJI_DIGITS:
        return _KANJI
    if char in ZERO_LOOKALIKES:
        return _ZERO
    if char in _LETTER_ZEROS:
        return _LETTER_ZERO
    if char in SEPARATORS or unicodedata.category(char) in _SEPARATOR_CATEGORIES:
        return _SEPARATOR
    code = ord(char)
    if any(low <= code <= high for low, high in _SEPARATOR_BLOCKS):
        return _SEPARATOR
    if char == _BREAK or (char.isalpha() and (char.isascii() or "\u0370" <= char <= "\u052f")):
        return _WORD_LETTER
    return _OTHER


# ``str.translate`` table from a character's code to its class letter.
_CLASSES: CharCache[int, str] = CharCache(lambda code: _class_of(chr(code)))
