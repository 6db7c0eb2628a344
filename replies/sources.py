"""The last line of an answer: which seed page it comes from, with the page's own update date."""

from __future__ import annotations

from typing import Iterable, List

from kb.models import Source

from replies.labels import date_ja


def describe_source(source: Source) -> str:
    """「三鷹市「…」（2025年4月30日更新）」 style reference to one page."""
    publisher = source.publisher or "解説記事"
    page = f"{publisher}「{source.title}」" if source.title else f"{publisher}のページ"
    updated = f"{date_ja(source.updated)}更新" if source.updated else "更新日の記載なし"
    return f"{page}（{updated}）"


def source_line(sources: Iterable[Source]) -> str:
    """「出典：…」 naming each distinct page once, in order of first use."""
    seen: List[str] = []
    parts: List[str] = []
    for source in sources:
        if source.id in seen:
            continue
        seen.append(source.id)
        parts.append(describe_source(source))
    return "出典：" + "、".join(parts)
