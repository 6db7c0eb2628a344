"""Last touch on every text a resident reads: the page's typos become the correct terms."""

from __future__ import annotations

from kb.store import KnowledgeBase


def for_residents(kb: KnowledgeBase, text: str) -> str:
    """``text`` with each seed-page typo of knowledge/national.yml (page_typos) replaced by the correct term."""
    for typo in kb.national.typos:
        text = text.replace(typo.page, typo.correct)
    return text
