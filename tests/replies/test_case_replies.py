"""replies.case.case_replies for every municipality × procedure × applicant type."""

from __future__ import annotations

import itertools
from typing import Dict, List, Optional

import pytest

from kb import KnowledgeBase
from replies.case import CaseQuery, Limits, case_details_replies, case_replies
from replies.message import Reply
from tests.replies.replies_expect import (
    CITY_NAMES,
    CONTACT_LINE,
    CONTACT_PHONES,
    FIXED_NOW,
    OWN_SOURCE,
    city_phones_and_offices,
    joined,
    text_of,
)

PROCEDURE_JA = {
    "pin_reset": "暗証番号の再設定",
    "pin_change": "暗証番号の変更",
    "certificate_renewal": "電子証明書の更新",
}
APPLICANT_JA = {"self": "本人", "legal_representative": "法定代理人", "voluntary_proxy": "任意代理人"}

# What each city's page covers (knowledge/municipalities/*.yml): full lists, a mention without lists, or nothing.
COVERAGE: Dict[str, Dict[str, str]] = {
    "mitaka": {"pin_reset": "full", "pin_change": "full", "certificate_renewal": "absent"},
    "chiba": {"pin_reset": "full", "pin_change": "absent", "certificate_renewal": "absent"},
    "tajimi": {"pin_reset": "partial", "pin_change": "partial", "certificate_renewal": "absent"},
    "ryugasaki": {"pin_reset": "full", "pin_change": "absent", "certificate_renewal": "full"},
}

CASES = [(mid, procedure, applicant) for mid in CITY_NAMES for procedure in PROCEDURE_JA for applicant in APPLICANT_JA]
CASE_IDS = [f"{m}-{p}-{a}" for m, p, a in CASES]


def answer(
    kb: KnowledgeBase,
    mid: str,
    procedure: str,
    applicant: str,
    pin_type: Optional[str] = None,
    knows: Optional[bool] = None,
) -> List[Reply]:
    return case_replies(kb, CaseQuery(mid, procedure, applicant, pin_type, knows), FIXED_NOW)


def source_line_of(replies: List[Reply]) -> str:
    last_line = text_of(replies[-1]).splitlines()[-1]
    assert last_line.startswith("出典："), last_line
    return last_line


LIMITS = Limits()
ALLOWED_BUTTONS = {
    "ほかの窓口": "/office_hours",
    "本人確認書類の一覧": "/identity_documents",
    "手続きの流れと注意": "/case_details",
}


def details(kb: KnowledgeBase, mid: str, procedure: str, applicant: str, part: Optional[str] = None) -> List[Reply]:
    return case_details_replies(kb, CaseQuery(mid, procedure, applicant), FIXED_NOW, LIMITS, part)


@pytest.mark.parametrize("mid, procedure, applicant", CASES, ids=CASE_IDS)
def test_city_name_contact_and_own_source(kb: KnowledgeBase, mid: str, procedure: str, applicant: str) -> None:
    replies = answer(kb, mid, procedure, applicant)
    text = joined(replies)
    assert CITY_NAMES[mid] in text_of(replies[0])
    assert CONTACT_LINE[mid] in text_of(replies[-1])
    for phone in CONTACT_PHONES[mid]:
        assert phone in text
    assert source_line_of(replies).startswith("出典：" + OWN_SOURCE[mid])
    # Buttons only on the last bubble (LINE puts every quick reply on the last message), titles ≤ 20 characters.
    assert all(reply.buttons == [] for reply in replies[:-1])
    for button in replies[-1].buttons:
        assert len(button.title) <= 20 and ALLOWED_BUTTONS[button.title] == button.payload


@pytest.mark.parametrize("mid, procedure, applicant", CASES, ids=CASE_IDS)
def test_short_checklist_first_and_a_short_turn(kb: KnowledgeBase, mid: str, procedure: str, applicant: str) -> None:
    replies = answer(kb, mid, procedure, applicant)
    assert len(text_of(replies[0])) <= LIMITS.checklist, text_of(replies[0])
    assert sum(len(text_of(reply)) for reply in replies) <= LIMITS.turn
    assert len(replies) <= 5  # LINE sends at most five messages per reply
    for part in (None, "visit2"):
        assert sum(len(text_of(reply)) for reply in details(kb, mid, procedure, applicant, part)) <= LIMITS.turn


@pytest.mark.parametrize("mid, procedure, applicant", CASES, ids=CASE_IDS)
def test_coverage_of_the_case(kb: KnowledgeBase, mid: str, procedure: str, applicant: str) -> None:
    replies = answer(kb, mid, procedure, applicant)
    text = joined(replies)
    city, proc, who = CITY_NAMES[mid], PROCEDURE_JA[procedure], APPLICANT_JA[applicant]
    coverage = COVERAGE[mid][procedure]
    req = kb.requirements(mid, procedure, applicant)
    assert text_of(replies[0]).startswith(f"【{city}】{proc}（{who}が手続きする場合）\n")
    if coverage == "full":
        assert req is not None and req.covered and req.documents
        first_visit = [d for d in req.documents if (d.visit or 1) == 1]
        for document in first_visit:
            assert f"・{document.name}" in text_of(replies[0])
        offices = kb.offices(mid, procedure)
        assert offices and "窓口：" in text_of(replies[0])
        shown = [office for office in offices if f"■{office.name}" in text]
        assert 1 <= len(shown) <= 2
        titles = [b.title for b in replies[-1].buttons]
        assert ("ほかの窓口" in titles) == (len(offices) > len(shown))
        # Everything the page says about the documents is one button away.
        behind = (
            joined(details(kb, mid, procedure, applicant))
            + joined(details(kb, mid, procedure, applicant, "visit2"))
            + text
        )
        for document in req.documents:
            assert document.name in behind
            for piece in (document.note, *document.options, *document.remarks):
                if piece:
                    assert piece in behind, piece
        assert "掲載されていません" not in text
    elif coverage == "partial":
        assert req is not None and not req.covered
        assert f"{city}のページには、{who}が{proc}をする場合の持ち物の一覧が掲載されていません。" in text_of(replies[0])
        assert CONTACT_LINE[mid] in text_of(replies[-1])
        assert "持ち物：" not in text
        for step in req.steps:
            assert step in text  # 多治見市 任意代理人: the page's two-visit steps even without a document list
    else:
        assert req is None
        assert f"{city}のページには{proc}の案内が掲載されていないため、持ち物や窓口をお答えできません。" in text_of(
            replies[0]
        )
        assert CONTACT_LINE[mid] in text_of(replies[-1])
        assert "持ち物：" not in text


@pytest.mark.parametrize(
    "mid, procedure, applicant, documents",
    [
        (
            "mitaka",
            "pin_reset",
            "self",
            [
                "暗証番号を再設定するマイナンバーカード",
                "本人のマイナンバーカード以外で本人確認ができるもの",
                "個人番号カード暗証番号再設定申請書",
            ],
        ),
        (
            "mitaka",
            "pin_change",
            "voluntary_proxy",
            [
                "暗証番号を変更するマイナンバーカード",
                "個人番号カード暗証番号変更申請書",
                "窓口に来られるかたの本人確認ができるもの",
                "委任状",
            ],
        ),
        ("mitaka", "pin_reset", "legal_representative", ["戸籍謄本や登記事項証明書など、その資格を証明する書類"]),
        ("chiba", "pin_reset", "self", ["マイナンバーカード", "本人確認書類"]),
        (
            "chiba",
            "pin_reset",
            "legal_representative",
            ["法定代理人の本人確認書類", "本人のマイナンバーカード", "本人の本人確認書類", "権限確認ができる書類"],
        ),
        ("ryugasaki", "pin_reset", "self", ["再設定するマイナンバーカード", "暗証番号再設定の申請書", "本人確認書類"]),
        (
            "ryugasaki",
            "certificate_renewal",
            "voluntary_proxy",
            ["更新する本人のマイナンバー（個人番号）カード", "代理人の本人確認書類Aを1点"],
        ),
    ],
)
def test_checklist_names_the_pages_documents(
    kb: KnowledgeBase, mid: str, procedure: str, applicant: str, documents: List[str]
) -> None:
    checklist = text_of(answer(kb, mid, procedure, applicant)[0]) + joined(details(kb, mid, procedure, applicant))
    for name in documents:
        assert f"・{name}" in checklist


@pytest.mark.parametrize(
    "mid, procedure, applicant, expected",
    [
        # Two visits: the page splits the documents by visit.
        (
            "chiba",
            "pin_reset",
            "voluntary_proxy",
            ["1回目の来庁時の持ち物：", "2回目の来庁時の持ち物：", "・必要事項を記入した回答書"],
        ),
        (
            "mitaka",
            "pin_reset",
            "voluntary_proxy",
            [
                "この手続きは即日では完了しません（窓口へ2回）。",
                "1. まず申請を受け付けたのち、市役所から申請者ご本人に照会書を郵送します。",
            ],
        ),
        (
            "ryugasaki",
            "pin_reset",
            "voluntary_proxy",
            ["窓口へ2回お越しいただきます。", "2. 市からご本人住所あてに照会書を送付（簡易書留・転送不要）"],
        ),
        # 龍ケ崎市: 「本人が15歳未満の場合は戸籍謄本※龍ケ崎市内に本籍がある場合は省略可。」 — for the 戸籍謄本 only.
        (
            "ryugasaki",
            "pin_reset",
            "legal_representative",
            [
                "　- 本人が15歳未満の場合は戸籍謄本※龍ケ崎市内に本籍がある場合は省略可\n　- 成年被後見人を受けている方の場合は登記事項証明書など"
            ],
        ),
        # 多治見市: the two visits and the sealed 照会書, although the page lost its document lists.
        ("tajimi", "pin_reset", "voluntary_proxy", ["照会書を同封された封筒に入れて封緘し", "2回お越しいただきます"]),
        ("mitaka", "pin_reset", "legal_representative", ["※本籍地が三鷹市の場合、戸籍謄本は不要です"]),
    ],
)
def test_visits_steps_and_exemptions(
    kb: KnowledgeBase, mid: str, procedure: str, applicant: str, expected: List[str]
) -> None:
    text = (
        joined(answer(kb, mid, procedure, applicant))
        + joined(details(kb, mid, procedure, applicant))
        + joined(details(kb, mid, procedure, applicant, "visit2"))
    )
    for fragment in expected:
        assert fragment in text


def test_mitaka_source_line_has_the_page_date(kb: KnowledgeBase) -> None:
    line = source_line_of(answer(kb, "mitaka", "pin_reset", "self"))
    assert (
        line
        == "出典：三鷹市 市民部 市民課「マイナンバーカードの暗証番号変更・再設定（ロックの解除）」（2025年4月30日更新）"
    )


def test_ryugasaki_source_line_says_no_date(kb: KnowledgeBase) -> None:
    line = source_line_of(answer(kb, "ryugasaki", "pin_reset", "self"))
    assert line == "出典：龍ケ崎市「マイナンバーカードの更新について」（更新日の記載なし）"


def test_tajimi_source_line_has_the_seed_date(kb: KnowledgeBase) -> None:
    """Seed 002 line 2 reads 「更新日:2024年8月30日」."""
    line = source_line_of(answer(kb, "tajimi", "pin_reset", "self"))
    assert line == "出典：多治見市 市民課住基グループのページ（2024年8月30日更新）"


PAIRS = [(mid, other) for mid, other in itertools.permutations(CITY_NAMES, 2)]


NATIONWIDE = "全国共通"


def _without_nationwide_citations(text: str) -> str:
    """The text minus the citations of nationwide rules (「（全国共通。多治見市 市民課住基グループのページより）」, 「／全国共通の内容：…」)."""
    import re

    text = re.sub(r"（全国共通。[^）]*のページより）", "", text)
    return re.sub(r"／全国共通の内容：.*", "", text)


@pytest.mark.parametrize("mid, other", PAIRS, ids=[f"{m}-not-{o}" for m, o in PAIRS])
def test_no_other_citys_phone_office_or_department(
    kb: KnowledgeBase, identifiers: Dict[str, List[str]], mid: str, other: str
) -> None:
    """Another city appears only as the cited page of a nationwide rule, labelled 全国共通."""
    assert identifiers[other], other
    for procedure in PROCEDURE_JA:
        for applicant in APPLICANT_JA:
            text = _without_nationwide_citations(joined(answer(kb, mid, procedure, applicant)))
            leaked = [item for item in identifiers[other] if item in text]
            assert leaked == [], f"{mid}/{procedure}/{applicant} mentions {other}: {leaked}"
            assert CITY_NAMES[other] not in text


@pytest.mark.parametrize("mid", ["mitaka", "chiba", "tajimi"])
def test_renewal_quotes_cite_ryugasaki_as_nationwide(kb: KnowledgeBase, mid: str) -> None:
    """Renewal answers quoting 龍ケ崎市's page (「電子証明書の更新手続きは有効期限の3か月前から可能です。」) cite it."""
    replies = answer(kb, mid, "certificate_renewal", "self")
    text = joined(replies)
    assert "※電子証明書の更新手続きは有効期限の3か月前から可能です（全国共通。龍ケ崎市のページより）。" in text
    assert "※電子申請等の利用ができなくなりますが本人確認書類としての使用は可能です。" in text
    assert source_line_of(replies) == "出典：" + OWN_SOURCE[mid] + "／全国共通の内容：" + OWN_SOURCE["ryugasaki"]


def test_ryugasaki_renewal_says_the_card_stays_an_id(kb: KnowledgeBase) -> None:
    """龍ケ崎市: 「電子申請等の利用ができなくなりますが本人確認書類としての使用は可能です。」"""
    for applicant in APPLICANT_JA:
        replies = answer(kb, "ryugasaki", "certificate_renewal", applicant)
        assert "※電子申請等の利用ができなくなりますが本人確認書類としての使用は可能です。" in joined(replies)
        assert source_line_of(replies) == "出典：" + OWN_SOURCE["ryugasaki"]


STORE_NEEDS = "スマートフォンに専用のアプリケーションをインストール、事前予約、マイナンバーカード"
KIOSK_TABLE = [
    ("signature", True, f"必要なもの：{STORE_NEEDS}、利用者証明用電子証明書の暗証番号"),
    ("user_auth", True, f"必要なもの：{STORE_NEEDS}、署名用電子証明書の暗証番号"),
    (
        "signature",
        False,
        "コンビニ等のキオスク端末での再設定には利用者証明用電子証明書の暗証番号が必要なため（全国共通。多治見市 市民課住基グループのページより）、窓口での手続きをご案内しています。",
    ),
    (
        "user_auth",
        False,
        "コンビニ等のキオスク端末での再設定には署名用電子証明書の暗証番号が必要なため（全国共通。多治見市 市民課住基グループのページより）、窓口での手続きをご案内しています。",
    ),
    (
        "resident_registry",
        None,
        "※住民基本台帳用、券面事項入力補助用暗証番号は、コンビニ等で再設定（初期化）できません（全国共通。多治見市 市民課住基グループのページより）。署名用・利用者証明用の再設定だけであれば",
    ),
    (
        "text_input",
        None,
        "※住民基本台帳用、券面事項入力補助用暗証番号は、コンビニ等で再設定（初期化）できません（全国共通",
    ),
    (
        "four_digit",
        None,
        "※住民基本台帳用、券面事項入力補助用暗証番号は、コンビニ等で再設定（初期化）できません（全国共通",
    ),
    ("all", None, "※住民基本台帳用、券面事項入力補助用暗証番号は、コンビニ等で再設定（初期化）できません（全国共通"),
]


@pytest.mark.parametrize("mid", list(CITY_NAMES))
@pytest.mark.parametrize("pin_type, knows, expected", KIOSK_TABLE, ids=[f"{p}-{k}" for p, k, _ in KIOSK_TABLE])
def test_kiosk_alternative_for_self_reset(
    kb: KnowledgeBase, mid: str, pin_type: str, knows: Optional[bool], expected: str
) -> None:
    replies = answer(kb, mid, "pin_reset", "self", pin_type, knows)
    text = joined(replies)
    assert expected in text
    if knows:
        assert "コンビニでも再設定できます（全国共通。多治見市 市民課住基グループのページより）：" in text
        assert "対応しているコンビニ等のキオスク端末（マルチコピー機）" in text
    else:
        assert "コンビニでも再設定できます" not in text
    line = source_line_of(replies)
    assert line.startswith("出典：" + OWN_SOURCE[mid])
    if mid != "tajimi":
        assert line.endswith("／全国共通の内容：" + OWN_SOURCE["tajimi"])
    assert CONTACT_LINE[mid] in text
    for other in CITY_NAMES:
        if other != mid:
            assert [item for item in city_phones_and_offices(other) if item in text] == [], other


@pytest.mark.parametrize("applicant", ["legal_representative", "voluntary_proxy"])
def test_no_kiosk_route_for_proxies(kb: KnowledgeBase, applicant: str) -> None:
    text = joined(answer(kb, "mitaka", "pin_reset", applicant, "signature", True))
    assert "コンビニでも再設定できます" not in text
    assert "キオスク端末での再設定には" not in text


TAJIMI_AT_HOME = "インターネットに接続されたパソコンとマイナンバーカードの読み取りが可能なカードリーダーまたはマイナンバーカードの読み取りが可能なスマートフォンをお持ちであれば、ご自身で暗証番号の変更手続きが可能です。"


@pytest.mark.parametrize("mid", list(CITY_NAMES))
def test_change_at_home_for_the_cardholder_only(kb: KnowledgeBase, mid: str) -> None:
    """The at-home change (カードリーダー or スマートフォン) is for the cardholder: offered to 本人, never to a proxy."""
    replies = answer(kb, mid, "pin_change", "self")
    text = joined(replies)
    label = "" if mid == "tajimi" else "（全国共通。多治見市 市民課住基グループのページより）"
    assert f"窓口に行かずにご自身で変更する方法{label}：\n・{TAJIMI_AT_HOME}" in text
    assert "多治見市 市民課住基グループのページ（2024年8月30日更新）" in source_line_of(replies)
    for applicant in ("legal_representative", "voluntary_proxy"):
        proxy = joined(answer(kb, mid, "pin_change", applicant)) + joined(details(kb, mid, "pin_change", applicant))
        assert "ご自身で" not in proxy and "カードリーダー" not in proxy


def test_open_status_uses_the_given_moment(kb: KnowledgeBase) -> None:
    """Tuesday 10:00: the card center is open until its 18:30 cut-off."""
    text = joined(answer(kb, "mitaka", "pin_reset", "self"))
    assert "■三鷹市マイナンバーカードセンター" in text
    assert "いま受付中です（本日の受付は18:30まで）。" in text


def test_chiba_proxy_reply_form_is_a_second_visit_item(kb: KnowledgeBase) -> None:
    """千葉市: the 照会書兼回答書 reaches the cardholder by post after the first visit; it is not brought the first time."""
    first = text_of(answer(kb, "chiba", "pin_reset", "voluntary_proxy")[0])
    assert "照会書兼回答書" not in first and "1回目の持ち物：" in first
    second = joined(details(kb, "chiba", "pin_reset", "voluntary_proxy", "visit2"))
    assert (
        "・必要事項を記入した回答書（暗証番号変更・暗証番号初期化申請照会書兼回答書）（暗証番号を再設定する本人宛に郵送した回答書です。"
        in second
    )
    assert "※必要事項が記載されていない場合は受付ができません。" in second
