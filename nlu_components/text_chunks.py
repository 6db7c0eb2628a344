"""Split text into pieces SudachiPy accepts, and tell invisible tokens apart.

SudachiPy refuses input longer than 49,149 UTF-8 bytes. Rather than crash the
server on a pasted document we cut the text into chunks below a byte budget,
preferring boundaries no word can straddle (line breaks, sentence ends, spaces),
and remember each chunk's character offset so token offsets stay exact.
"""

import bisect
import unicodedata
from typing import List, Tuple

# SudachiPy 0.6's hard limit is 49,149 bytes; stay well below so that a future
# dictionary change in input normalisation (which can grow the text) is safe.
DEFAULT_MAX_CHUNK_BYTES = 32_000

# How far back from the byte limit we look for a nice boundary. Beyond that a
# hard cut between two characters is acceptable: the text is unlikely to be a
# real question anyway.
_BOUNDARY_LOOKBACK_CHARS = 2_000

_SENTENCE_ENDS = frozenset("\n\r。．！？!?")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cn", "Cs"})
# Characters that modify the one before them; cutting in front of them would
# separate an emoji from its skin tone or a kana from its dakuten.
_JOINING_CATEGORIES = frozenset({"Mn", "Mc", "Me"})
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_ZWJ = "\u200d"


def is_invisible(text: str) -> bool:
    """True if `text` is empty or made only of whitespace, control or format characters."""
    # Variation selectors (U+FE00–FE0F) are category Mn but carry no meaning alone.
    return all(
        ch.isspace() or "\ufe00" <= ch <= "\ufe0f" or unicodedata.category(ch) in _INVISIBLE_CATEGORIES for ch in text
    )


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", errors="surrogatepass"))


def _byte_limited_end(text: str, start: int, max_bytes: int) -> int:
    """Largest end such that text[start:end] fits in `max_bytes` UTF-8 bytes."""
    # A character is at most 4 bytes, so max_bytes // 4 chars always fit and
    # max_bytes chars is an upper bound: binary search in between.
    window_end = min(len(text), start + max_bytes)
    if _utf8_len(text[start:window_end]) <= max_bytes:
        return window_end
    low = start + max(1, max_bytes // 4)
    fits = bisect.bisect_right(range(low, window_end), max_bytes, key=lambda end: _utf8_len(text[start:end]))
    return low + fits - 1


def _can_cut_before(text: str, index: int) -> bool:
    """True if starting a new chunk at `index` keeps combining sequences whole."""
    if index <= 0 or index >= len(text):
        return True
    nxt, prev = text[index], text[index - 1]
    if prev == _ZWJ or nxt == _ZWJ:
        return False
    if "\ufe00" <= nxt <= "\ufe0f" or ord(nxt) in _SKIN_TONES:
        return False
    return unicodedata.category(nxt) not in _JOINING_CATEGORIES


def _best_cut(text: str, start: int, end: int) -> int:
    """Pick a cut point in (start, end], preferring sentence ends, then spaces."""
    floor = max(start + 1, end - _BOUNDARY_LOOKBACK_CHARS)
    for wanted in (lambda ch: ch in _SENTENCE_ENDS, str.isspace, lambda ch: True):
        for cut in range(end, floor - 1, -1):
            if wanted(text[cut - 1]) and _can_cut_before(text, cut):
                return cut
    return end


def split_for_sudachi(text: str, max_bytes: int = DEFAULT_MAX_CHUNK_BYTES) -> List[Tuple[int, str]]:
    """Return (character offset, chunk) pairs covering `text`, each ≤ `max_bytes` bytes."""
    if max_bytes < 4:
        raise ValueError("max_bytes must hold at least one character (4 bytes)")
    chunks: List[Tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = _byte_limited_end(text, start, max_bytes)
        if end < len(text):
            end = _best_cut(text, start, end)
        chunks.append((start, text[start:end]))
        start = end
    return chunks
