"""Every fact string in the KB appears in the seed page it cites (after NFKC and whitespace folding)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Callable, Iterator

import pytest

from kb.models import Municipality, MustKnow
from kb.store import KnowledgeBase, load_kb
from tests.kb.kb_testutil import squash

MUNICIPALITIES = ["mitaka", "chiba", "tajimi", "ryugasaki"]


def municipality_facts(m: Municipality) -> Iterator[tuple[str, str]]:
    """(where, text) for every page-derived string of a municipality (editor's notes excluded)."""
    c = m.contact
    assert c.department is not None, "the schema requires a contact department"
    yield "contact.department", c.department
    for p in c.phones:
        yield "contact.phones", p.number
    for key in ("hours", "address", "fax", "in_person"):
        if getattr(c, key):
            yield f"contact.{key}", getattr(c, key)
    if m.id_documents:
        ids = m.id_documents
        for cat in ids.categories:
            yield f"id_documents.{cat.id}.label", cat.label
            for ex in cat.examples:
                yield f"id_documents.{cat.id}.examples", ex
        for ex in ids.examples:
            yield "id_documents.examples", ex
        for rule in ids.rules:
            yield "id_documents.rules", rule.text
            if rule.label:
                yield "id_documents.rules.label", rule.label
        for note in ids.notes:
            yield "id_documents.notes", note
    for pid, proc in m.procedures.items():
        for note in (*proc.notes, *proc.key_notes):
            yield f"{pid}.notes", note
        for aid, app in proc.applicants.items():
            where = f"{pid}.{aid}"
            for doc in app.documents:
                yield f"{where}.documents.name", doc.name
                for text in (doc.note, doc.exemption, doc.form, *doc.options, *doc.remarks):
                    if text:
                        yield f"{where}.documents[{doc.name}]", text
            for step in app.steps:
                yield f"{where}.steps", step
            for note in app.notes:
                yield f"{where}.notes", note
    for office in m.offices:
        yield f"offices.{office.id}.name", office.name
        for text in (office.location, office.address, office.phone, *office.notes, *office.key_notes):
            if text:
                yield f"offices.{office.id}", text
        # The one-line list's short location: each sentence of it is the page's.
        for piece in (office.brief or "").split("。"):
            if piece:
                yield f"offices.{office.id}.brief", piece
        for closed in office.closed:
            yield f"offices.{office.id}.closed", closed.label
            if closed.except_label:
                yield f"offices.{office.id}.closed.except_label", closed.except_label
        for window in office.no_pin_service:
            yield f"offices.{office.id}.no_pin_service", window.label
            yield f"offices.{office.id}.no_pin_service", window.reason
        for span in office.uncertain_days:
            yield f"offices.{office.id}.uncertain_days", span.note
            if span.label:
                yield f"offices.{office.id}.uncertain_days.label", span.label


@pytest.mark.parametrize("mid", MUNICIPALITIES)
def test_municipality_strings_are_in_their_seed(kb: KnowledgeBase, seed_text: Callable[[str], str], mid: str) -> None:
    m = kb.municipality(mid)
    assert m.source is not None, "the validated KB gives every city its page"
    page = seed_text(m.source.id)
    facts = list(municipality_facts(m))
    assert len(facts) > 20
    missing = [(where, text) for where, text in facts if squash(text) not in page]
    assert missing == []


@pytest.mark.parametrize("mid", MUNICIPALITIES)
def test_municipality_name_or_contact_is_on_the_page(
    kb: KnowledgeBase, seed_text: Callable[[str], str], mid: str
) -> None:
    m = kb.municipality(mid)
    assert m.source is not None, "the validated KB gives every city its page"
    page = seed_text(m.source.id)
    # 多治見市's stored page never names the city; its contact block is the anchor instead.
    assert squash(m.name) in page or squash(m.contact.department or m.name) in page


def test_national_strings_are_in_their_seeds(kb: KnowledgeBase, seed_text: Callable[[str], str]) -> None:
    n = kb.national
    facts: list[tuple[str, str, str]] = []
    for pin in n.pins:
        facts += [(pin.id, pin.source.id, pin.format_text), (pin.id, pin.source.id, pin.used_for)]
    for fact in (*n.pin_notes, *n.change_at_home, *n.reset_at_office, *n.store_reset.see_also):
        facts.append(("fact", fact.source.id, fact.text))
    sr = n.store_reset
    for text in (sr.summary, sr.place or "", *sr.needs, *sr.notes):
        facts.append(("store_reset", sr.source.id, text))
    facts.append(("validity", n.validity.source.id, n.validity.text))
    facts.append(("validity.until", n.validity.source.id, n.validity.until))
    for text in (n.renewal.text, n.renewal.notice or "", *n.renewal.notes):
        facts.append(("renewal", n.renewal.source.id, text))
    if still := n.renewal.still_an_id:
        facts.append(("renewal.still_an_id", n.renewal.source.id, still.page or still.text))
    missing = [(where, sid, text) for where, sid, text in facts if squash(text) not in seed_text(sid)]
    assert missing == []


def test_page_typos_are_on_their_pages_and_corrections_are_known_terms(
    kb: KnowledgeBase, seed_text: Callable[[str], str]
) -> None:
    typos = kb.national.typos
    assert {t.page for t in typos} == {
        "利用者証明書用電子証明書",
        "任意代理人のとなる",
        "ではありませんお間違えのないよう",  # 三鷹市: a missing 。
        "ご注意してください",  # 龍ケ崎市
    }
    for typo in typos:
        assert squash(typo.page) in seed_text(typo.source.id)
    assert any(t.correct == pin.label for t in typos for pin in kb.national.pins)


def test_pin_labels_appear_in_some_seed(kb: KnowledgeBase, seed_text: Callable[[str], str]) -> None:
    pages = [seed_text(s) for s in kb.sources]
    for pin in kb.national.pins:
        assert any(squash(pin.label) in page for page in pages), pin.label


def test_lock_counts_match_the_explainer(kb: KnowledgeBase, seed_text: Callable[[str], str]) -> None:
    page = seed_text("explainer")
    labels = {
        "signature": "署名用電子証明書",
        "user_auth": "利用者証明用電子証明書",
        "resident_registry": "住民基本台帳事務用",
        "text_input": "券面事項入力補助用",
    }
    for pin in kb.national.pins:
        assert f"{labels[pin.id]}{pin.lock_after}回連続で間違えたとき" in page


def test_source_dates_match_the_pages(kb: KnowledgeBase, raw_seed: Callable[[str], str], seeds_dir: Path) -> None:
    for sid, source in kb.sources.items():
        assert (seeds_dir / source.file).is_file(), source.file
        text = raw_seed(sid)
        stated = re.findall(r"更新日:(\d{4})年(\d{1,2})月(\d{1,2})日", text)
        if source.updated is None:
            assert stated == [], sid
        else:
            assert [(source.updated.year, source.updated.month, source.updated.day)] == [
                tuple(map(int, s)) for s in stated
            ]


def test_source_dates_explicit(kb: KnowledgeBase) -> None:
    assert {sid: (s.seed_id, s.updated.isoformat() if s.updated else None) for sid, s in kb.sources.items()} == {
        "mitaka": ("000", "2025-04-30"),
        "chiba": ("001", "2025-03-10"),
        "tajimi": ("002", "2024-08-30"),
        "explainer": ("003", None),
        "ryugasaki": ("004", None),
    }


def must_know_facts(kb: KnowledgeBase, m: Municipality) -> Iterator[tuple[str, MustKnow]]:
    """(where, fact) for every must-know phrase of a municipality: procedures, applicants, offices."""
    for pid, proc in m.procedures.items():
        for fact in proc.must_know:
            yield pid, fact
        for aid, app in proc.applicants.items():
            for fact in app.must_know:
                yield f"{pid}.{aid}", fact
    for office in m.offices:
        for fact in office.must_know:
            yield f"offices.{office.id}", fact


@pytest.mark.parametrize("mid", MUNICIPALITIES)
def test_must_know_facts_are_the_pages(kb: KnowledgeBase, seed_text: Callable[[str], str], mid: str) -> None:
    """A must-know phrase quotes the city's page; one in the answer's own wording (9:00〜19:00) names the page's."""
    m = kb.municipality(mid)
    assert m.source is not None, "the validated KB gives every city its page"
    page = seed_text(m.source.id)
    facts = list(must_know_facts(kb, m))
    assert len(facts) > 10
    quoted = [(where, fact.page or fact.text) for where, fact in facts]
    assert [(where, text) for where, text in quoted if squash(text) not in page] == []
    reworded = [fact for _, fact in facts if fact.page is not None]
    assert all(fact.text != fact.page for fact in reworded)


def test_must_know_wording_matches_the_page_wording() -> None:
    """An hour written as the answer writes it (9:00〜19:00) is the page's hour (午前9時から午後7時まで)."""
    clock = re.compile(r"(\d{1,2}):(\d{2})")
    for mid in MUNICIPALITIES:
        for _, fact in must_know_facts(load_kb(), load_kb().municipality(mid)):
            if fact.page is None or not clock.search(fact.text):
                continue
            said = [(int(h), int(mm)) for h, mm in clock.findall(fact.text)]
            assert sorted(set(said)) == sorted(set(page_times(fact.page))), (mid, fact)


JA_TIME = re.compile(r"(午前|午後)?(\d{1,2})時(?:(\d{1,2})分)?|正午")


def page_times(text: str) -> list[tuple[int, int]]:
    """(hour, minute) of every time the page writes 午前9時, 午後4時30分, 正午, or 「午後1時から4時30分」 (午後 carried)."""
    times: list[tuple[int, int]] = []
    meridiem = ""
    for match in JA_TIME.finditer(unicodedata.normalize("NFKC", text)):
        if match.group(0) == "正午":
            times.append((12, 0))
            continue
        meridiem = match.group(1) or meridiem
        hour = int(match.group(2))
        times.append((hour + 12 if meridiem == "午後" and hour < 12 else hour, int(match.group(3) or 0)))
    return times


# A count or a period a document's short form states must be one its page text states.
COUNTS = re.compile(r"\d+(?:点|か月|回)")


@pytest.mark.parametrize("mid", MUNICIPALITIES)
def test_briefs_add_no_count(kb: KnowledgeBase, mid: str) -> None:
    """A document's `brief` (the first answer's short form) states no 「2点」 or 「3か月」 its page text does not."""
    for proc in kb.municipality(mid).procedures.values():
        for app in proc.applicants.values():
            for doc in app.documents:
                if doc.brief:
                    page = " ".join(x for x in (doc.name, doc.note or "", *doc.options, *doc.remarks))
                    assert set(COUNTS.findall(doc.brief)) <= set(COUNTS.findall(page)), (mid, doc.name)
