"""Chunking below Sudachi's byte limit."""

import pytest

from nlu_components.text_chunks import is_invisible, split_for_sudachi


def _check_cover(text: str, chunks: list, max_bytes: int) -> None:
    assert "".join(c for _, c in chunks) == text
    for offset, chunk in chunks:
        assert text[offset : offset + len(chunk)] == chunk
        assert len(chunk.encode("utf-8")) <= max_bytes


def test_short_text_is_one_chunk() -> None:
    assert split_for_sudachi("暗証番号", 100) == [(0, "暗証番号")]


def test_empty_text_has_no_chunks() -> None:
    assert split_for_sudachi("", 100) == []


def test_prefers_sentence_ends() -> None:
    text = "あいう。えおか。きくけ。"
    chunks = split_for_sudachi(text, 20)
    _check_cover(text, chunks, 20)
    assert all(chunk.endswith("。") for _, chunk in chunks)


def test_hard_cut_without_boundaries_still_covers() -> None:
    text = "漢" * 1000
    chunks = split_for_sudachi(text, 100)
    _check_cover(text, chunks, 100)
    assert len(chunks) == 31  # ceil(1000 / 33): 33 three-byte chars fit in 100 bytes


def test_never_separates_emoji_modifiers() -> None:
    text = ("👍🏻" + "👨\u200d👩\u200d👧" + "❤\ufe0f") * 50
    chunks = split_for_sudachi(text, 16)
    _check_cover(text, chunks, 16)
    for _, chunk in chunks:
        assert not chunk.startswith(("\U0001f3fb", "\u200d", "\ufe0f"))


def test_rejects_budget_below_one_character() -> None:
    with pytest.raises(ValueError):
        split_for_sudachi("あ", 3)


@pytest.mark.parametrize(
    "text,expected", [("", True), (" \u3000\n", True), ("\x00\u200b\ufe0f", True), ("あ", False), ("😀", False)]
)
def test_is_invisible(text: str, expected: bool) -> None:
    assert is_invisible(text) is expected
