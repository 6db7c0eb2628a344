"""Normalise residents' text: one place for NFKC, digits, case and kana folding."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# 龍ケ崎 is written 龍ヶ崎, 竜ヶ崎 and りゅうがさき; small ゖ/ゕ come from katakana ヶ/ヵ after kana folding.
_KANA_VARIANTS = str.maketrans({"ゖ": "け", "ゕ": "か", "竜": "龍"})


def _ascii_digit(char: str) -> str:
    # NFKC leaves some digit systems alone (Arabic-Indic, Devanagari, ...); a PIN typed in them is still a PIN.
    if char.isdigit() and not char.isascii():
        value = unicodedata.digit(char, None)
        if value is not None:
            return str(value)
    return char


def nfkc(text: str) -> str:
    """NFKC, every Unicode digit as ASCII, invisible format/control characters dropped (newline and tab kept).

    Characters such as U+200B can sit between digits and hide them from patterns, so they go.
    """
    text = unicodedata.normalize("NFKC", text)
    kept = (ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf"))
    return "".join(_ascii_digit(ch) for ch in kept)


def fold(text: str) -> str:
    """`nfkc` plus casefold: for matching residents' words against a vocabulary (E-TAX = e-tax)."""
    return nfkc(text).casefold()


def _to_hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def fold_kana(text: str) -> str:
    """`fold` plus katakana as hiragana, 竜/ヶ variants folded and no whitespace: for names (龍ヶ崎 = 竜ケ崎)."""
    return _SPACES.sub("", _to_hiragana(fold(text)).translate(_KANA_VARIANTS))
