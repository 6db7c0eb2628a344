"""jptext: the one normaliser, and its map from every normalised character back to the original (issue 20)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jptext import fold, fold_kana, nfkc, nfkc_spans

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("１２３４", "1234"),
        ("١٢٣٤", "1234"),  # Arabic-Indic digits: NFKC keeps them, nfkc makes them ASCII
        ("𝟏𝟐", "12"),
        ("1\u200b2\u2060\ufeff3", "123"),  # zero-width and format characters go
        ("1\ufe0f\u20e32\ufe0f\u20e3", "12"),  # keycaps: 1️⃣2️⃣
        ("1\u03012\u0308", "12"),  # combining marks that compose with nothing go
        ("ﾊﾟｽﾜｰﾄﾞ", "パスワード"),  # half-width voiced marks compose with the kana before them
        ("か\u3099", "が"),
        ("ＰＩＮ：", "PIN:"),
        ("a\tb\nc\rd\x00e", "a\tb\ncde"),
        ("⑩", "10"),
        ("", ""),
    ],
)
def test_nfkc(text: str, expected: str) -> None:
    assert nfkc(text) == expected
    assert nfkc_spans(text)[0] == expected


def test_fold_and_fold_kana_are_built_on_nfkc() -> None:
    assert fold("Ｅ－ＴＡＸ") == "e-tax"
    assert fold_kana("竜ケ崎 市") == fold_kana("龍ヶ崎市") == "龍け崎市"


def test_spans_point_back_to_the_characters_each_normalised_character_came_from() -> None:
    text = "a１\u200b2ﾊﾟ⑩"
    normalised, starts, ends = nfkc_spans(text)
    assert normalised == "a12パ10"
    assert [text[s:e] for s, e in zip(starts, ends, strict=True)] == ["a", "１", "2", "ﾊﾟ", "⑩", "⑩"]


_CHARS = st.one_of(
    st.characters(),
    st.sampled_from(list("１２ｱｲﾊﾟﾞ⑩㍻ｶﾞか\u3099\u0301\u20e3\ufe0f\u200bＡ０〇一") + ["\r\n", "1\ufe0f\u20e3"]),
)
texts = st.lists(_CHARS, max_size=30).map("".join)


@PROPERTY
@given(texts)
def test_every_normalised_character_maps_to_an_ordered_span_of_the_original(text: str) -> None:
    normalised, starts, ends = nfkc_spans(text)
    assert len(normalised) == len(starts) == len(ends)
    assert list(starts) == sorted(starts) and list(ends) == sorted(ends)
    for char, start, end in zip(normalised, starts, ends, strict=True):
        assert 0 <= start < end <= len(text)
        # The character is what its span normalises to (a span is one character and the marks after it).
        assert char in nfkc(text[start:end])
    # The spans of different clusters never overlap, so a replacement through them is well defined.
    spans = list(zip(starts, ends, strict=True))
    for index in range(1, len(spans)):
        assert spans[index] == spans[index - 1] or spans[index - 1][1] <= spans[index][0]


# Hangul jamo compose with each other without being marks: per character they stay apart (no Korean here).
_HANGUL_JAMO = "".join(
    chr(c)
    for lo, hi in ((0x1100, 0x11FF), (0x3131, 0x318E), (0xA960, 0xA97F), (0xD7B0, 0xD7FF), (0xFFA0, 0xFFDC))
    for c in range(lo, hi + 1)
)


@PROPERTY
@given(
    st.text(alphabet=st.characters(categories=["L", "N", "P", "S", "Zs"], exclude_characters=_HANGUL_JAMO), max_size=30)
)
def test_without_marks_nfkc_is_unicode_nfkc_with_ascii_digits(text: str) -> None:
    """Normalising one character at a time changes nothing for text without combining marks."""
    expected = "".join(
        str(unicodedata.digit(c)) if c.isdigit() and not c.isascii() and unicodedata.digit(c, None) is not None else c
        for c in unicodedata.normalize("NFKC", text)
        if unicodedata.category(c)[0] != "M" and unicodedata.category(c) not in ("Cf", "Cc")
    )
    assert nfkc(text) == expected
