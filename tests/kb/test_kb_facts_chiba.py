"""千葉市 (seed 001): PIN reset only; documents per applicant and visit, offices, hours and contact."""

from __future__ import annotations

import datetime as dt
from typing import Callable

import pytest

from kb.store import KnowledgeBase
from tests.kb.kb_testutil import doc_names, hours_table, squash


def test_only_pin_reset_is_covered(kb: KnowledgeBase) -> None:
    assert kb.procedures("chiba") == ["pin_reset"]
    for applicant in ("self", "legal_representative", "voluntary_proxy"):
        assert kb.requirements("chiba", "pin_change", applicant) is None
        assert kb.requirements("chiba", "certificate_renewal", applicant) is None
    assert kb.offices("chiba", "pin_change") == []


@pytest.mark.parametrize(
    ("applicant", "names", "visits"),
    [
        ("self", ["マイナンバーカード", "本人確認書類"], 1),
        (
            "legal_representative",
            ["法定代理人の本人確認書類", "本人のマイナンバーカード", "本人の本人確認書類", "権限確認ができる書類"],
            1,
        ),
    ],
)
def test_documents(
    kb: KnowledgeBase, seed_text: Callable[[str], str], applicant: str, names: list[str], visits: int
) -> None:
    req = kb.requirements("chiba", "pin_reset", applicant)
    assert doc_names(req) == names
    assert req is not None and req.covered and req.visits == visits
    assert req.source.updated == dt.date(2025, 3, 10)
    assert all(squash(n) in seed_text("chiba") for n in names)


def test_voluntary_proxy_two_visits(kb: KnowledgeBase) -> None:
    req = kb.requirements("chiba", "pin_reset", "voluntary_proxy")
    assert req is not None and req.visits == 2 and req.covered
    assert [d.name for d in req.documents_for_visit(1)] == [
        "任意代理人の本人確認書類",
        "本人のマイナンバーカード",
        "委任状",
    ]
    # 「暗証番号変更・暗証番号初期化申請照会書兼回答書」 is mailed to the cardholder after the application: it comes back
    # filled in at the second visit (「暗証番号を再設定する本人宛に郵送した回答書です」), never a first-visit item.
    answer = req.documents_for_visit(2)[3]
    assert (answer.form, answer.remarks) == (
        "暗証番号変更・暗証番号初期化申請照会書兼回答書",
        ("必要事項が記載されていない場合は受付ができません。",),
    )
    assert [d.name for d in req.documents_for_visit(2)] == [
        "任意代理人の本人確認書類",
        "本人のマイナンバーカード",
        "本人の本人確認書類",
        "必要事項を記入した回答書",
        "委任状",
    ]
    first_id = req.documents_for_visit(1)[0]
    assert first_id.note == "運転免許証、パスポート（旅券）など、官公署が発行する顔写真付き本人確認書類から1点"
    assert len(req.documents_for_visit(2)[0].options) == 2


def test_legal_authority_documents(kb: KnowledgeBase) -> None:
    req = kb.requirements("chiba", "pin_reset", "legal_representative")
    assert req is not None
    proof = req.documents[3]
    assert proof.options == (
        "未成年者・・・親権者であることが確認できる戸籍謄抄本",
        "成年被後見人・・・成年後見登記事項証明書",
    )
    assert proof.exemption == "本籍地が千葉市の方で、千葉市の戸籍で親権関係を確認できる場合は不要です。"
    assert "発行日から3か月以内" in (proof.note or "")


def test_id_document_rules_by_applicant_and_visit(kb: KnowledgeBase) -> None:
    """The page's ID rules differ by who comes and, for a 任意代理人, by visit (issue 22: 「2点」 is not the first visit's)."""
    ids = kb.municipality("chiba").id_documents
    assert ids is not None
    assert [c.label for c in ids.categories] == [
        "官公署が発行する顔写真付き本人確認書類",
        "氏名・住所（または生年月日）が記載されている本人確認書類",
    ]
    rules = [(r.applies_to, r.visit, r.text[-3:]) for r in ids.rules]
    assert rules == [
        (("self",), None, "など）"),
        (("legal_representative",), None, "から2点"[-3:]),
        (("legal_representative",), None, "から1点"[-3:]),
        (("voluntary_proxy",), 1, "から1点"[-3:]),
        (("voluntary_proxy",), 2, "から2点"[-3:]),
        (("voluntary_proxy",), 2, "から1点"[-3:]),
        (("legal_representative", "voluntary_proxy"), None, "を1点"),
    ]
    first_visit = [r.text for r in ids.rules if r.fits("pin_reset", "voluntary_proxy") and r.visit == 1]
    assert first_visit == ["運転免許証、パスポート（旅券）など、官公署が発行する顔写真付き本人確認書類から1点"]


def test_offices_and_hours(kb: KnowledgeBase, seed_text: Callable[[str], str]) -> None:
    page = seed_text("chiba")
    assert [o.name for o in kb.offices("chiba", "pin_reset")] == ["各区役所市民総合窓口課", "各市民センター"]
    for phrase in (
        "各区役所市民総合窓口課",
        "月曜日から金曜日(祝日・年末年始を除く)午前8時30分から午後5時30分",
        "毎月第2日曜日・3月下旬の休日午前9時から午前12時30分",
        "各市民センター月曜日から金曜日(祝日・年末年始を除く)午前8時30分から午後5時30分",
    ):
        assert squash(phrase) in page, phrase
    assert hours_table(kb.office("chiba_ward_offices")) == [
        ("mon,tue,wed,thu,fri", "", "08:30", "17:30", ""),
        ("sun", "2", "09:00", "12:30", ""),
    ]
    assert hours_table(kb.office("chiba_citizen_centers")) == [("mon,tue,wed,thu,fri", "", "08:30", "17:30", "")]


def test_contact(kb: KnowledgeBase, raw_seed: Callable[[str], str]) -> None:
    c = kb.municipality("chiba").contact
    assert (c.department, [p.number for p in c.phones], c.hours, c.address) == (
        "千葉市マイナンバーコールセンター",
        ["043-400-3147"],
        "平日8時30分～17時15分",
        None,
    )
    text = raw_seed("chiba")
    assert "電話:043-400-3147" in text and "受付時間:平日8時30分~17時15分" in text
