"""多治見市 (seed 002): our copy of the page lost its document lists, so the KB says so instead of guessing."""

from __future__ import annotations

import datetime as dt
from typing import Callable

import pytest

from kb.calendar import opening_status
from kb.models import Certainty
from kb.store import KnowledgeBase
from replies.hours import describe_hours
from tests.kb.kb_testutil import squash


@pytest.mark.parametrize("procedure", ["pin_reset", "pin_change"])
@pytest.mark.parametrize("applicant", ["self", "legal_representative", "voluntary_proxy"])
def test_no_documents_and_flagged(kb: KnowledgeBase, procedure: str, applicant: str) -> None:
    req = kb.requirements("tajimi", procedure, applicant)
    assert req is not None
    assert req.documents == () and req.covered is False
    # The page has the lists (「以下の持ち物をご持参のうえ」 under each heading); the stored copy lost them.
    assert req.listed_on_page is True
    assert req.coverage_note and "保存した写しでは失われています" in req.coverage_note
    assert req.source.updated == dt.date(2024, 8, 30)


def test_surviving_notes(kb: KnowledgeBase) -> None:
    legal = kb.requirements("tajimi", "pin_reset", "legal_representative")
    proxy = kb.requirements("tajimi", "pin_change", "voluntary_proxy")
    assert legal is not None and proxy is not None
    assert legal.notes == ("申請者本人が15歳未満もしくは成年被後見人である場合",)
    assert proxy.visits == 2 and len(proxy.steps) == 2
    assert any("(A)2点または(A)1点と(B)1点" in squash(n) for n in proxy.notes)
    assert any("変更前の暗証番号を記入する欄" in n for n in proxy.notes)
    assert kb.requirements("tajimi", "pin_reset", "self").visits is None  # type: ignore[union-attr]


def test_certificate_renewal_not_covered(kb: KnowledgeBase) -> None:
    assert kb.procedures("tajimi") == ["pin_reset", "pin_change"]
    assert kb.requirements("tajimi", "certificate_renewal", "self") is None


def test_id_document_lists(kb: KnowledgeBase, seed_text: Callable[[str], str]) -> None:
    ids = kb.municipality("tajimi").id_documents
    assert ids is not None
    a, b = ids.categories
    assert (a.id, a.label, len(a.examples)) == ("A", "官公庁の顔写真付きの証明書", 10)
    assert (b.id, b.label, b.examples[-1]) == (
        "B",
        "「氏名、生年月日」または「氏名、住所」が記載されているもの",
        "診察券",
    )
    assert squash(
        "(例)運転免許証、運転経歴証明書、旅券、身体障害者手帳、精神障害者保健福祉手帳、療育手帳、在留カード、特別永住者証明書、一時庇護許可書または仮滞在許可書"
    ) in seed_text("tajimi")
    assert ids.rules[0].applies_to == ("voluntary_proxy",)


def test_office_without_hours(kb: KnowledgeBase) -> None:
    offices = kb.offices("tajimi", "pin_reset")
    assert [o.name for o in offices] == ["市民課の窓口"]
    assert offices[0].has_hours is False and describe_hours(offices[0]) == []
    status = opening_status(offices[0], dt.datetime(2026, 6, 16, 10, 0))
    assert (status.certainty, status.is_open, status.next_open) == (Certainty.NO_HOURS, False, None)


def test_contact(kb: KnowledgeBase, raw_seed: Callable[[str], str]) -> None:
    c = kb.municipality("tajimi").contact
    assert (c.department, [(p.number, p.label) for p in c.phones], c.fax) == (
        "市民課住基グループ",
        [("0572-23-5542", "直通"), ("0572-22-1111", "代表")],
        "0572-24-2290",
    )
    assert c.hours is None
    assert "電話:0572-23-5542(直通)または0572-22-1111(代表)" in raw_seed("tajimi")
