"""Answers about nationwide rules (the four PINs, the kiosk reset), composed from knowledge/national.yml."""

from __future__ import annotations

from typing import List, Optional

from kb.models import Fact, Source
from kb.store import KnowledgeBase
from replies.contact import source_line
from replies.message import Button, Reply

OFFICE_RESET = Button("窓口での再設定", "/forgot_pin")


def _own_pages(municipality_id: Optional[str], pages: List[Source]) -> List[Source]:
    return [page for page in pages if municipality_id is not None and page.municipality == municipality_id]


def _pin_lines(kb: KnowledgeBase) -> List[str]:
    """One line per PIN: its format, use and lock count."""
    return [
        f"・{pin.label}：{pin.format_text}。{pin.used_for}連続{pin.lock_after}回間違えるとロックされます。"
        for pin in kb.national.pins
    ]


def pin_rules_replies(kb: KnowledgeBase, municipality_id: Optional[str]) -> List[Reply]:
    """The four PINs: format, use and lock count; the city's own page is cited where it states the counts."""
    national = kb.national
    lines = ["マイナンバーカードの暗証番号は4種類です（全国共通）。", *_pin_lines(kb)]
    shared = [note for note in national.pin_notes if len(note.pins) > 1]
    lines += [f"※{note.text}ため、同じ番号にしている方もいます。" for note in shared]
    sources = [pin.source for pin in national.pins] + [note.source for note in shared]
    own = _own_pages(municipality_id, [page for pin in national.pins for page in pin.confirmed_by])
    if own:
        lines.append(
            f"ロックされる回数は、{kb.municipality(municipality_id or '').name}のページにも同じ記載があります。"
        )
    return [Reply("\n".join(lines) + "\n" + source_line(own[:1], sources))]


def own_kiosk_facts(kb: KnowledgeBase, municipality_id: Optional[str]) -> List[Fact]:
    """What the city's own page says about the kiosk reset."""
    see_also = kb.national.store_reset.see_also
    return [fact for fact in see_also if municipality_id is not None and fact.source.municipality == municipality_id]


def page_also_says(kb: KnowledgeBase, facts: List[Fact]) -> str:
    """「三鷹市のページにも「…」とあります。」: the city's own page quoted where it repeats a nationwide rule."""
    quoted = "。".join(fact.text.rstrip("。") for fact in facts)
    return f"{kb.municipality(facts[0].source.municipality or '').name}のページにも「{quoted}」とあります。"


def store_reset_replies(kb: KnowledgeBase, municipality_id: Optional[str]) -> List[Reply]:
    """What a convenience-store kiosk can reset, what it needs, and what only the office can do."""
    store = kb.national.store_reset
    publisher = store.source.publisher or "解説記事"
    lines = [f"コンビニ等での暗証番号の再設定（全国共通。{publisher}のページより）：", store.summary]
    lines += [f"・{note}" for note in store.notes]
    own = own_kiosk_facts(kb, municipality_id)
    if own:
        lines.append(page_also_says(kb, own))
    lines.append("対応店舗や操作手順は、公的個人認証サービスポータルサイトに掲載されています。")
    sources = [fact.source for fact in own]
    return [Reply("\n".join(lines) + "\n" + source_line(sources, [store.source]), [OFFICE_RESET])]
