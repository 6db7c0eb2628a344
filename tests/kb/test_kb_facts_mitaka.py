"""三鷹市 (seed 000): documents, visits, offices, hours and contact, against the page."""

from __future__ import annotations

import datetime as dt
from typing import Callable

import pytest

from kb.store import KnowledgeBase
from tests.kb.kb_testutil import doc_names, hours_table, squash

CHANGE_BASE = ["暗証番号を変更するマイナンバーカード", "個人番号カード暗証番号変更申請書"]
RESET_BASE = ["暗証番号を再設定するマイナンバーカード", "個人番号カード暗証番号再設定申請書"]
PROXY_ID = "窓口に来られるかたの本人確認ができるもの"
LEGAL_PROOF = "戸籍謄本や登記事項証明書など、その資格を証明する書類"


def test_procedures(kb: KnowledgeBase) -> None:
    assert kb.procedures("mitaka") == ["pin_reset", "pin_change"]
    assert kb.requirements("mitaka", "certificate_renewal", "self") is None


@pytest.mark.parametrize(
    ("procedure", "applicant", "names", "visits"),
    [
        ("pin_change", "self", CHANGE_BASE, 1),
        ("pin_change", "legal_representative", CHANGE_BASE + [PROXY_ID, LEGAL_PROOF], 1),
        ("pin_change", "voluntary_proxy", CHANGE_BASE + [PROXY_ID, "委任状"], 2),
        (
            "pin_reset",
            "self",
            [
                "暗証番号を再設定するマイナンバーカード",
                "本人のマイナンバーカード以外で本人確認ができるもの",
                "個人番号カード暗証番号再設定申請書",
            ],
            1,
        ),
        ("pin_reset", "legal_representative", RESET_BASE + [PROXY_ID, LEGAL_PROOF], 1),
        ("pin_reset", "voluntary_proxy", RESET_BASE + [PROXY_ID, "委任状"], 2),
    ],
)
def test_documents(
    kb: KnowledgeBase, seed_text: Callable[[str], str], procedure: str, applicant: str, names: list[str], visits: int
) -> None:
    req = kb.requirements("mitaka", procedure, applicant)
    assert doc_names(req) == names
    assert req is not None and req.covered and req.visits == visits
    assert req.source.id == "mitaka" and req.source.updated == dt.date(2025, 4, 30)
    page = seed_text("mitaka")
    assert all(squash(n) in page for n in names)


def test_legal_proof_exemption_and_forms(kb: KnowledgeBase) -> None:
    req = kb.requirements("mitaka", "pin_reset", "legal_representative")
    assert req is not None
    proof = req.documents[-1]
    assert proof.exemption == "本籍地が三鷹市の場合、戸籍謄本は不要です"
    assert req.documents[1].note == "窓口にてお渡しいたします"
    assert req.documents[2].note == "マイナンバーカード、運転免許証、パスポート、健康保険証 など"


def test_voluntary_proxy_steps_mail_a_shokaisho(kb: KnowledgeBase) -> None:
    req = kb.requirements("mitaka", "pin_change", "voluntary_proxy")
    assert req is not None
    assert req.steps == (
        "まず申請を受け付けたのち、市役所から申請者ご本人に照会書を郵送します。",
        "任意代理人のかたが、照会書を持参したときに手続きは完了します。",
    )
    assert any("変更前の暗証番号を記入する欄" in n for n in req.notes)


def test_offices_for_both_procedures(kb: KnowledgeBase) -> None:
    expected = [
        "三鷹市マイナンバーカードセンター",
        "市役所1階4番窓口",
        "三鷹駅前市政窓口",
        "三鷹台市政窓口",
        "東部市政窓口",
        "西部市政窓口",
    ]
    for procedure in ("pin_reset", "pin_change"):
        assert [o.name for o in kb.offices("mitaka", procedure)] == expected


# (office id, phrases the page uses, KB rows: days, nth, open, close, reception_until)
HOURS = [
    (
        "mitaka_card_center",
        [
            "火曜日、水曜日、木曜日、金曜日午前9時から午後7時まで(受付は午後6時30分まで)",
            "土曜日午前9時から午後5時まで(受付は午後4時30分まで)",
            "月曜日、日曜日、祝日、振替休日、年末年始は休館です。",
        ],
        [("tue,wed,thu,fri", "", "09:00", "19:00", "18:30"), ("sat", "", "09:00", "17:00", "16:30")],
    ),
    (
        "mitaka_city_hall",
        ["市役所1階4番窓口月曜日から金曜日(祝日、振替休日、年末年始を除く)午前8時30分から午後5時まで"],
        [("mon,tue,wed,thu,fri", "", "08:30", "17:00", "")],
    ),
    (
        "mitaka_ekimae",
        [
            "月曜日から金曜日(祝日、振替休日、年末年始を除く)午前9時から正午まで、午後1時から午後4時30分まで",
            "土曜日・第2・第3・第4日曜日(祝日、年末年始を除く)午前9時から午前11時まで、午後1時から午後4時30分まで",
            "※第2・第3・第4日曜日と重なる祝日は開館します。",
        ],
        [
            ("mon,tue,wed,thu,fri", "", "09:00", "12:00", ""),
            ("mon,tue,wed,thu,fri", "", "13:00", "16:30", ""),
            ("sat", "", "09:00", "11:00", ""),
            ("sat", "", "13:00", "16:30", ""),
            ("sun", "2,3,4", "09:00", "11:00", ""),
            ("sun", "2,3,4", "13:00", "16:30", ""),
        ],
    ),
]
BRANCH_PHRASE = "三鷹台市政窓口・東部市政窓口・西部市政窓口月曜日から金曜日(祝日、振替休日、年末年始を除く)午前9時から正午まで、午後1時から4時30分まで"
BRANCH_ROWS = [("mon,tue,wed,thu,fri", "", "09:00", "12:00", ""), ("mon,tue,wed,thu,fri", "", "13:00", "16:30", "")]


@pytest.mark.parametrize(
    ("office_id", "phrases", "rows"),
    HOURS + [(b, [BRANCH_PHRASE], BRANCH_ROWS) for b in ("mitaka_mitakadai", "mitaka_tobu", "mitaka_seibu")],
)
def test_hours_match_page(
    kb: KnowledgeBase, seed_text: Callable[[str], str], office_id: str, phrases: list[str], rows: list[tuple[str, ...]]
) -> None:
    page = seed_text("mitaka")
    for phrase in phrases:
        assert squash(phrase) in page
    assert hours_table(kb.office(office_id)) == rows


def test_closing_rules(kb: KnowledgeBase) -> None:
    center = kb.office("mitaka_card_center")
    assert [(r.kind, r.label) for r in center.closed] == [
        ("weekly", "月曜日、日曜日"),
        ("public_holiday", "祝日、振替休日"),
        ("year_end", "年末年始"),
    ]
    ekimae = kb.office("mitaka_ekimae")
    assert ekimae.closed[0].except_label == "第2・第3・第4日曜日と重なる祝日は開館します。"
    assert any("システム停止日" in n for n in ekimae.notes)


def test_contact(kb: KnowledgeBase, raw_seed: Callable[[str], str]) -> None:
    c = kb.municipality("mitaka").contact
    assert (c.department, [p.number for p in c.phones], c.fax, c.address) == (
        "市民部 市民課 届出・証明係",
        ["0422-29-9191"],
        "0422-45-1298",
        "〒181-8555 東京都三鷹市野崎一丁目1番1号",
    )
    assert c.hours is None  # the page gives no phone hours
    assert "電話:0422-29-9191" in raw_seed("mitaka")
    assert kb.office("mitaka_ekimae").phone == "0422-42-5678"
    assert "三鷹駅前市政窓口(0422-42-5678)" in raw_seed("mitaka")
