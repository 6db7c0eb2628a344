"""Helpers shared by the knowledge-base tests (named uniquely so it cannot shadow other test helpers)."""

from __future__ import annotations

import unicodedata

from kb.models import Office, Requirements


def squash(text: str) -> str:
    """NFKC and no whitespace: the KB tidies full-width brackets and spacing, nothing else."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def doc_names(req: Requirements | None) -> list[str]:
    """Document names of a Requirements answer, in order."""
    assert req is not None
    return [d.name for d in req.documents]


def hours_table(office: Office) -> list[tuple[str, str, str, str, str]]:
    """(days, nth, open, close, reception_until) rows of an office, as plain strings."""
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    rows = []
    for rule in office.hours:
        days = ",".join(names[d] for d in sorted(rule.selector.days))
        nth = ",".join(str(n) for n in sorted(rule.selector.nth)) if rule.selector.nth else ""
        until = rule.reception_until.strftime("%H:%M") if rule.reception_until else ""
        rows.append((days, nth, rule.open.strftime("%H:%M"), rule.close.strftime("%H:%M"), until))
    return rows
