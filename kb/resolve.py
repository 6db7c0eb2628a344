"""Find municipality mentions in free text (jptext.fold_kana: NFKC, kana-insensitive; substring-safe)."""

from __future__ import annotations

import re
from typing import Iterable, Mapping

from jptext import fold_kana

# A kana alias followed by more kana is usually part of another word (みたかった, いちばん);
# these particles and endings may follow a place name.
KANA_FOLLOWERS = tuple("の に で は が を へ と から まで です だ 在 ね よ さん".split())
# 千葉県 is the prefecture, not 千葉市.
KANJI_BLOCKERS = ("県",)


def _is_kana(char: str) -> bool:
    return "ぁ" <= char <= "ゖ" or char == "ー"


def _boundary_ok(alias: str, text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else ""
    after = text[end:]
    if alias.isascii():
        return not any(char.isascii() and char.isalnum() for char in (before, after[:1]))
    if all(_is_kana(c) for c in alias):
        kana_after = bool(after) and _is_kana(after[0]) and not after.startswith(KANA_FOLLOWERS)
        return not (before and _is_kana(before)) and not kana_after
    return not after.startswith(KANJI_BLOCKERS)


def find_mentions(text: str, aliases: Mapping[str, Iterable[str]]) -> list[str]:
    """Municipality ids mentioned in `text`, in order of first mention, each once."""
    norm = fold_kana(text)
    hits: list[tuple[int, str]] = []
    for mid, names in aliases.items():
        positions = [
            match.start()
            for alias in {fold_kana(a) for a in names} - {""}
            for match in re.finditer(re.escape(alias), norm)
            if _boundary_ok(alias, norm, match.start(), match.end())
        ]
        if positions:
            hits.append((min(positions), mid))
    return [mid for _, mid in sorted(hits)]
