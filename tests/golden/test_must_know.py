"""The first answer is enough (issue 22): every must-know fact of a case is in the answer the resident reads first.

The city files name, per procedure, applicant and office, the phrases the first answer must carry (`must_know`:
documents and their conditions, visits and what happens between them, every office with its days and hours, the
reservation and old-PIN rules). Buttons are for background: a phrase found only behind a button counts as missing.
"""

from __future__ import annotations

import unicodedata
from typing import List

import pytest

from kb.ids import APPLICANTS, PROCEDURES
from kb.store import KnowledgeBase, load_kb
from tools.render_answers import CITIES, Rendered

CASES = [(city, procedure, applicant) for city in CITIES for procedure in PROCEDURES for applicant in APPLICANTS]


def fold(text: str) -> str:
    """NFKC without whitespace: the answer may wrap or tidy brackets, not change words."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def first_answers(rendered: dict[str, Rendered], city: str, procedure: str, applicant: str) -> List[tuple[str, str]]:
    """(file, text of the first turn) of every rendering of the case (the PIN branches of a self reset too)."""
    prefix = f"case/{city}/{procedure}-{applicant}"
    found = [
        (path, "\n".join(m.get("text") or "" for m in result.turns[0]))
        for path, result in rendered.items()
        if path == f"{prefix}.txt" or path.startswith(f"{prefix}-")
    ]
    assert found, f"no rendering of {prefix}"
    return found


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb()


def missing_facts(
    kb: KnowledgeBase, rendered: dict[str, Rendered], city: str, procedure: str, applicant: str
) -> List[str]:
    """Each must-know phrase of a covered case that a rendering's first turn lacks, as 「file: phrase」."""
    facts = kb.must_know(city, procedure, applicant)
    assert facts, f"{city} {procedure} {applicant}: no must_know in knowledge/municipalities/{city}.yml"
    return [
        f"{path}: 「{fact.text}」"
        for path, text in first_answers(rendered, city, procedure, applicant)
        for fact in facts
        if fold(fact.text) not in fold(text)
    ]


@pytest.mark.parametrize("city, procedure, applicant", CASES, ids=["-".join(case) for case in CASES])
def test_first_answer_carries_every_must_know_fact(
    kb: KnowledgeBase, rendered: dict[str, Rendered], city: str, procedure: str, applicant: str
) -> None:
    """Covered case: every must-know phrase. A case the page does not cover: the phone, or where to ask in person."""
    if kb.requirements(city, procedure, applicant) is not None:
        missing = missing_facts(kb, rendered, city, procedure, applicant)
        assert missing == [], f"{city} {procedure} {applicant}: must-know facts missing from the first answer:\n" + (
            "\n".join(missing)
        )
        return
    contact = kb.municipality(city).contact
    ways = [phone.number for phone in contact.phones] or [contact.in_person or ""]
    for path, text in first_answers(rendered, city, procedure, applicant):
        assert all(way and way in text for way in ways), path


def test_every_city_file_case_is_rendered(kb: KnowledgeBase) -> None:
    """The golden cases are exactly the cities of the knowledge base: a new city is covered by the must-know test."""
    assert sorted(CITIES) == kb.municipality_ids()
