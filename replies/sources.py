"""The last line of an answer: which seed page it comes from, with the page's own update date."""

from __future__ import annotations

from typing import Iterable, List, Optional

from kb.models import Source
from replies.labels import date_ja


def describe_source(source: Source) -> str:
    """「三鷹市「…」（2025年4月30日更新）」 style reference to one page."""
    publisher = source.publisher or "解説記事"
    page = f"{publisher}「{source.title}」" if source.title else f"{publisher}のページ"
    updated = f"{date_ja(source.updated)}更新" if source.updated else "更新日の記載なし"
    return f"{page}（{updated}）"


def nationwide_label(source: Source) -> str:
    """「全国共通。多治見市のページより」: a nationwide rule and the page it was taken from."""
    publisher = source.publisher or "解説記事"
    return f"全国共通。{publisher}のページより"


def _distinct(sources: Iterable[Optional[Source]], skip: Iterable[str] = ()) -> List[Source]:
    seen: List[str] = list(skip)
    out: List[Source] = []
    for source in sources:
        if source is not None and source.id not in seen:
            seen.append(source.id)
            out.append(source)
    return out


def source_line(sources: Iterable[Optional[Source]], nationwide: Iterable[Source] = ()) -> str:
    """「出典：…」 naming each distinct page once, in order of first use; pages of nationwide rules say so (None: no page)."""
    own = _distinct(sources)
    national = _distinct(nationwide, skip=[s.id for s in own])
    if not own and national:
        return "出典（全国共通の内容）：" + "、".join(describe_source(source) for source in national)
    line = "出典：" + "、".join(describe_source(source) for source in own)
    if national:
        line += "／全国共通の内容：" + "、".join(describe_source(source) for source in national)
    return line
