"""龍ケ崎市 (seed 004, no update date): renewal and reset, 市民窓口ステーション hours, no phone."""

from __future__ import annotations

from typing import Callable

import pytest

from kb.store import KnowledgeBase
from tests.kb.kb_testutil import doc_names, hours_table, squash


def test_procedures_and_undated_source(kb: KnowledgeBase) -> None:
    assert kb.procedures("ryugasaki") == ["pin_reset", "certificate_renewal"]
    assert kb.requirements("ryugasaki", "pin_change", "self") is None
    source = kb.municipality("ryugasaki").source
    assert source is not None and source.updated is None


@pytest.mark.parametrize(
    ("procedure", "applicant", "names", "visits"),
    [
        ("pin_reset", "self", ["再設定するマイナンバーカード", "暗証番号再設定の申請書", "本人確認書類"], 1),
        (
            "pin_reset",
            "legal_representative",
            [
                "暗証番号を設定するマイナンバーカード",
                "本人（再設定する方）のマイナンバーカード以外の本人確認書類",
                "代理人の本人確認書類",
                "代理権を証する書類",
            ],
            1,
        ),
        (
            "pin_reset",
            "voluntary_proxy",
            ["暗証番号を再設定するご本人分のマイナンバーカード", "委任代理人の本人確認書類", "委任状"],
            2,
        ),
        ("certificate_renewal", "self", ["マイナンバーカード"], None),
        (
            "certificate_renewal",
            "voluntary_proxy",
            [
                "更新する本人のマイナンバー（個人番号）カード",
                "地方公共団体情報システム機構から送付された「署名用電子証明書・利用者証明書 照会書兼回答書」",
                "代理人の本人確認書類Aを1点",
            ],
            None,
        ),
    ],
)
def test_documents(
    kb: KnowledgeBase,
    seed_text: Callable[[str], str],
    procedure: str,
    applicant: str,
    names: list[str],
    visits: int | None,
) -> None:
    req = kb.requirements("ryugasaki", procedure, applicant)
    assert doc_names(req) == names
    assert req is not None and req.covered and req.visits == visits
    assert all(squash(n) in seed_text("ryugasaki") for n in names)


def test_id_rules_per_applicant(kb: KnowledgeBase) -> None:
    self_req = kb.requirements("ryugasaki", "pin_reset", "self")
    legal = kb.requirements("ryugasaki", "pin_reset", "legal_representative")
    assert self_req is not None and legal is not None
    assert self_req.documents[2].note == "Aから1点またはBから2点必要"
    assert legal.documents[2].note == "Aから2点またはAから1点+Bから1点必要"
    # 「本人が15歳未満の場合は戸籍謄本※龍ケ崎市内に本籍がある場合は省略可。」: the 省略可 is for the 戸籍謄本 only.
    assert legal.documents[3].exemption is None
    assert legal.documents[3].options == (
        "本人が15歳未満の場合は戸籍謄本※龍ケ崎市内に本籍がある場合は省略可",
        "成年被後見人を受けている方の場合は登記事項証明書など",
    )
    ids = kb.municipality("ryugasaki").id_documents
    assert ids is not None and [len(c.examples) for c in ids.categories] == [12, 27]


def test_renewal_proxy_is_generic_and_says_so(kb: KnowledgeBase) -> None:
    legal = kb.requirements("ryugasaki", "certificate_renewal", "legal_representative")
    proxy = kb.requirements("ryugasaki", "certificate_renewal", "voluntary_proxy")
    assert legal is not None and proxy is not None
    assert legal.documents == proxy.documents
    assert legal.kb_note and "区別せず" in legal.kb_note
    assert "電子証明書の更新手続きは有効期限の3か月前から可能です。" in legal.procedure_notes


def test_voluntary_proxy_steps(kb: KnowledgeBase) -> None:
    req = kb.requirements("ryugasaki", "pin_reset", "voluntary_proxy")
    assert req is not None and len(req.steps) == 5
    assert req.steps[1] == "市からご本人住所あてに照会書を送付（簡易書留・転送不要）"


def test_offices_and_station_hours(kb: KnowledgeBase, seed_text: Callable[[str], str]) -> None:
    names = ["マイナンバーカードセンター（市役所本庁舎）", "西部出張所", "東部出張所", "市民窓口ステーション"]
    for procedure in ("pin_reset", "certificate_renewal"):
        assert [o.name for o in kb.offices("ryugasaki", procedure)] == names
    assert [o.has_hours for o in kb.offices("ryugasaki", "pin_reset")] == [False, False, False, True]
    station = kb.office("ryugasaki_station")
    assert squash("市民窓口ステーションの受付時間は午前10時30分から午後7時まで") in seed_text("ryugasaki")
    assert hours_table(station) == [("mon,tue,wed,thu,fri,sat,sun", "", "10:30", "19:00", "")]
    assert station.hours_complete is False
    assert [(w.label, w.start) for w in station.no_pin_service][0][0] == "毎月第3土曜日に続く日曜日"
    assert station.no_pin_service[1].start is not None and station.no_pin_service[1].start.hour == 18


def test_contact_has_no_phone(kb: KnowledgeBase, raw_seed: Callable[[str], str]) -> None:
    c = kb.municipality("ryugasaki").contact
    assert (c.department, c.phones, c.hours) == ("市民窓口課", (), None)
    assert "電話" not in raw_seed("ryugasaki").replace("電話でのお問い合わせ", "")
