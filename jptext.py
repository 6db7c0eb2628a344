"""The one normaliser of residents' text: NFKC, digits, case and kana folding (stdlib only: every side imports it)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import Dict, TypeVar

_K = TypeVar("_K")
_V = TypeVar("_V")

# Katakana as hiragana; 龍ケ崎 is written 龍ヶ崎, 竜ヶ崎 and りゅうがさき, so small ヶ/ヵ (ゖ/ゕ) as け/か and 竜 as 龍.
_KANA = {chr(code): chr(code - 0x60) for code in range(ord("ァ"), ord("ヶ") + 1)}
_KANA_FOLD = str.maketrans({**_KANA, "ヶ": "け", "ヵ": "か", "ゖ": "け", "ゕ": "か", "竜": "龍"})
# Characters that are not combining marks but whose NFKC begins with one, so they compose with the character before
# them (ﾊﾟ is パ): they belong to that character's cluster.
_COMPOSING = frozenset("\uff9e\uff9f\u0e33\u0eb3")


class CharCache(Dict[_K, _V]):
    """A per-character cache that computes what it misses; bounded, as residents can send any character."""

    def __init__(self, compute: Callable[[_K], _V]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, char: _K) -> _V:
        if len(self) >= 8192:
            self.clear()
        value = self[char] = self._compute(char)
        return value


def _is_mark(char: str) -> bool:
    return char in _COMPOSING or unicodedata.category(char)[0] == "M"


def _fold_cluster(cluster: str) -> str:
    """NFKC of one character and the marks after it, digits as ASCII, what is invisible or did not compose dropped."""
    out = []
    for char in unicodedata.normalize("NFKC", cluster):
        category = unicodedata.category(char)
        if category[0] == "M" or category == "Cf" or (category == "Cc" and char not in "\n\t"):
            # Zero-width characters, variation selectors, keycaps (1️⃣ is 1 U+FE0F U+20E3) and stray combining marks
            # can sit between digits and hide them from any pattern, so they go.
            continue
        if char.isdigit() and not char.isascii():
            # NFKC leaves some digit systems alone (Arabic-Indic, Devanagari, ...); a PIN typed in them is a PIN.
            char = str(unicodedata.digit(char, char))  # its value (a character without one stays as it is)
        out.append(char)
    return "".join(out)


_MARKS: CharCache[str, bool] = CharCache(_is_mark)
_FOLDED: CharCache[str, str] = CharCache(_fold_cluster)


def nfkc_spans(text: str) -> tuple[str, Sequence[int], Sequence[int]]:
    """`nfkc` of ``text`` and, for every character of the result, the span ``[start, end)`` of ``text`` it came from.

    The text is normalised one cluster at a time (a character and the combining marks after it), so a caller can find
    something in the normalised text and replace it in the original, leaving everything else exactly as typed.
    """
    size = len(text)
    folded = list(map(_FOLDED.__getitem__, text))
    normalised = "".join(folded)
    marks = list(map(_MARKS.__getitem__, text))
    if not any(marks):
        if len(normalised) == size and "" not in folded:
            # The common case, one character for one (ASCII, kana, full-width forms): computed at C speed.
            return normalised, range(size), range(1, size + 1)
        starts = [i for i, chars in enumerate(folded) for _ in chars]
        return normalised, starts, [i + 1 for i in starts]
    heads = [0, *(i for i in range(1, size) if not marks[i])]  # where each cluster starts (the first may be marks)
    out: list[str] = []
    starts = []
    ends: list[int] = []
    for i, j in zip(heads, heads[1:] + [size], strict=True):
        chars = folded[i] if j == i + 1 else _fold_cluster(text[i:j])
        out.append(chars)
        starts += [i] * len(chars)
        ends += [j] * len(chars)
    return "".join(out), starts, ends


def nfkc(text: str) -> str:
    """NFKC, every Unicode digit as ASCII, invisible characters and marks that did not compose dropped.

    Newline and tab are kept; other control and format characters (U+200B between digits) go, as do variation
    selectors and keycap marks. Normalised one cluster at a time, exactly as ``nfkc_spans`` (so Hangul jamo typed
    apart stay apart; nothing here reads Korean).
    """
    return nfkc_spans(text)[0]


def fold(text: str) -> str:
    """`nfkc` plus casefold: for matching residents' words against a vocabulary (E-TAX = e-tax)."""
    return nfkc(text).casefold()


def fold_kana(text: str) -> str:
    """`fold` plus katakana as hiragana, 竜/ヶ variants folded and no whitespace: for names (龍ヶ崎 = 竜ケ崎)."""
    return "".join(fold(text).translate(_KANA_FOLD).split())
