"""replies.case.case_replies for every municipality × procedure × applicant type (issue 22: the first answer is enough)."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import yaml

from kb.paths import default_knowledge_dir
from kb.store import KnowledgeBase, load_kb
from replies.case import CaseQuery, case_details_replies, case_replies
from replies.layout import BUBBLE_CHARS, TURN_CHARS
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

# What each city's page covers (knowledge/municipalities/*.yml): full lists, lists our copy lost, or nothing.
COVERAGE: Dict[str, Dict[str, str]] = {
    "mitaka": {"pin_reset": "full", "pin_change": "full", "certificate_renewal": "absent"},
    "chiba": {"pin_reset": "full", "pin_change": "absent", "certificate_renewal": "absent"},
    "tajimi": {"pin_reset": "partial", "pin_change": "partial", "certificate_renewal": "absent"},
    "ryugasaki": {"pin_reset": "full", "pin_change": "absent", "certificate_renewal": "full"},
}

CASES = [(mid, procedure, applicant) for mid in CITY_NAMES for procedure in PROCEDURE_JA for applicant in APPLICANT_JA]
CASE_IDS = [f"{m}-{p}-{a}" for m, p, a in CASES]
ALLOWED_BUTTONS = {
    "窓口の詳しい案内": "/office_hours",
    "本人確認書類の一覧": "/identity_documents",
    "手続きの流れと注意": "/case_details",
}


def answer(
    kb: KnowledgeBase,
    mid: str,
    procedure: str,
    applicant: str,
    pin_type: Optional[str] = None,
    knows: Optional[bool] = None,
) -> List[Reply]:
    return case_replies(kb, CaseQuery(mid, procedure, applicant, pin_type, knows), FIXED_NOW)


def first(kb: KnowledgeBase, mid: str, procedure: str, applicant: str, *args: Optional[object]) -> str:
    """The whole first answer as one text."""
    return joined(answer(kb, mid, procedure, applicant, *args))  # type: ignore[arg-type]


def source_line_of(replies: List[Reply]) -> str:
    last_line = text_of(replies[-1]).splitlines()[-1]
    assert last_line.startswith("出典："), last_line
    return last_line


def details(kb: KnowledgeBase, mid: str, procedure: str, applicant: str, part: Optional[str] = None) -> List[Reply]:
    return case_details_replies(kb, CaseQuery(mid, procedure, applicant), FIXED_NOW, TURN_CHARS, part)


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
def test_first_answer_is_phone_sized(kb: KnowledgeBase, mid: str, procedure: str, applicant: str) -> None:
    """Up to three bubbles of at most 350 characters, at most 1,000 in all; the details within one turn too."""
    replies = answer(kb, mid, procedure, applicant)
    assert len(replies) <= 3
    assert [len(text_of(r)) for r in replies if len(text_of(r)) > BUBBLE_CHARS] == []
    assert sum(len(text_of(reply)) for reply in replies) <= TURN_CHARS
    for part in (None, "second_visit"):
        assert sum(len(text_of(reply)) for reply in details(kb, mid, procedure, applicant, part)) <= TURN_CHARS


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
        # Every document of every visit and every office, in the first answer: nothing to pack behind a button.
        for document in req.documents:
            assert f"・{document.name}" in text
        for office in kb.offices(mid, procedure):
            assert office.name in text
        assert "掲載されていません" not in text and "ほか" not in text
    elif coverage == "partial":
        assert req is not None and not req.covered and req.listed_on_page
        # 多治見市's page has the lists; our copy lost them: say this chat cannot list them, never that the page has none.
        assert f"{city}のページには{who}の持ち物の一覧がありますが、このチャットではご案内できません。" in text
        assert "掲載されていません" not in text and "持ち物：" not in text
        for step in req.steps:
            assert step in text  # 多治見市 任意代理人: the page's two-visit steps even without a document list
    else:
        assert req is None
        assert f"{city}のページには{proc}の案内が掲載されていないため、持ち物や窓口をお答えできません。" in text
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
                "本人のマイナンバーカード以外で本人確認ができるもの（運転免許証、パスポート、健康保険証など）",
                "個人番号カード暗証番号再設定申請書（窓口にてお渡しいたします）",
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
        ("chiba", "pin_reset", "self", ["マイナンバーカード", "本人確認書類（マイナンバーカード以外。"]),
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
    checklist = text_of(answer(kb, mid, procedure, applicant)[0])
    for name in documents:
        assert f"・{name}" in checklist


def test_mitaka_first_answer_lists_the_card_center_open_evenings_and_saturdays(kb: KnowledgeBase) -> None:
    """Issue 22: the office a working resident needs was one of 「ほか5か所」; now every office is one line."""
    text = first(kb, "mitaka", "pin_reset", "self")
    assert "◎三鷹市マイナンバーカードセンター（三鷹産業プラザ6階。元気創造プラザではありません）：" in text
    assert "火〜金 9:00〜19:00（受付18:30まで）、土 9:00〜17:00（受付16:30まで）" in text
    assert "◎市役所1階4番窓口（東京都三鷹市野崎一丁目1番1号）：月〜金 8:30〜17:00" in text
    assert "三鷹駅前市政窓口（電話 0422-42-5678）" in text and "土・第2・第3・第4日曜 9:00〜11:00・13:00〜16:30" in text
    assert "三鷹台市政窓口・東部市政窓口・西部市政窓口：月〜金 9:00〜12:00・13:00〜16:30" in text
    assert "ほか" not in text


def test_offices_open_now_come_first(kb: KnowledgeBase) -> None:
    """Tuesday 18:45: nothing takes new applications; the list says when and where the next one opens."""
    import datetime as dt

    evening = FIXED_NOW.replace(hour=18, minute=45)
    text = joined(case_replies(kb, CaseQuery("mitaka", "pin_reset", "self"), evening))
    assert "受付中の窓口はありません。次の受付は6月11日（水）8:30から市役所1階4番窓口" in text
    saturday = FIXED_NOW + dt.timedelta(days=4)
    lines = joined(case_replies(kb, CaseQuery("mitaka", "pin_reset", "self"), saturday)).splitlines()
    marked = [line for line in lines if line.startswith("◎")]
    assert [line.split("（")[0] for line in marked] == ["◎三鷹市マイナンバーカードセンター", "◎三鷹駅前市政窓口"]
    first_office = next(i for i, line in enumerate(lines) if line.startswith(("◎", "・三鷹", "・市役所")))
    assert lines[first_office].startswith("◎")


def test_chiba_legal_representative_documents_with_their_conditions(kb: KnowledgeBase) -> None:
    """Issue 22: 「発行日から3か月以内」, 「マイナンバーカード以外」 and 「1点」 were behind 「手続きの流れと注意」."""
    checklist = text_of(answer(kb, "chiba", "pin_reset", "legal_representative")[0])
    assert "・法定代理人の本人確認書類（官公署が発行する顔写真付き本人確認書類から2点、または" in checklist
    assert "・本人の本人確認書類（マイナンバーカード以外の本人確認書類を1点）" in checklist
    assert "・権限確認ができる書類（発行日から3か月以内。" in checklist
    assert "　※本籍地が千葉市の方で、千葉市の戸籍で親権関係を確認できる場合は不要です。" in checklist
    assert "通り。どれに当たるか" not in checklist


def test_chiba_voluntary_proxy_both_visits_and_the_mailed_reply(kb: KnowledgeBase) -> None:
    """Issue 22: one photo ID and the cardholder's 委任状 at the first visit; the 照会書兼回答書 between the visits."""
    text = first(kb, "chiba", "pin_reset", "voluntary_proxy")
    visit1, visit2 = text.split("2回目の持ち物：")
    assert "1回目の持ち物：\n・任意代理人の本人確認書類（官公署が発行する顔写真付き本人確認書類から1点）" in visit1
    assert "・委任状（マイナンバーカードの変更を行う方が記入したもの）" in visit1
    assert "照会書兼回答書" not in visit1  # mailed to the cardholder after the application
    assert "・必要事項を記入した回答書（照会書兼回答書。本人が必要事項を記入してください）" in visit2
    assert "・委任状（回答書に記入欄があります。本人が記入してください）" in visit2
    assert "本人あてに文書を郵送し、新しい暗証番号の確認を行います（文書照会）。" in visit2


def test_chiba_reservation_rule_is_in_the_first_answer(kb: KnowledgeBase) -> None:
    text = first(kb, "chiba", "pin_reset", "self")
    assert "「区役所窓口優先案内オンライン予約（通称：窓口予約）サービス」" in text
    assert "第2日曜 9:00〜12:30、3月下旬の休日にも開設（日付の記載なし）" in text


@pytest.mark.parametrize("mid", ["mitaka", "tajimi"])
@pytest.mark.parametrize("applicant", list(APPLICANT_JA))
def test_pin_change_says_the_old_pin_is_needed(kb: KnowledgeBase, mid: str, applicant: str) -> None:
    """Issue 22: the old PIN must be entered (else a reset is needed) was hidden or dropped (多治見市)."""
    text = first(kb, mid, "pin_change", applicant)
    expected = {
        "mitaka": "※変更前の暗証番号が正しく入力できなかった場合は、手続きができませんので、ご注意ください。",
        "tajimi": "正しく入力ができなかった場合は、暗証番号の再設定（初期化）の手続きが必要となります。",
    }
    assert "変更前の暗証番号の入力が必要" in text and expected[mid] in text


def test_tajimi_says_the_chat_cannot_list_and_gives_phone_and_address(kb: KnowledgeBase) -> None:
    text = first(kb, "tajimi", "pin_reset", "self")
    assert "お越しの前に市民課住基グループ（0572-23-5542）へお問い合わせください。" in text
    assert "・市民課の窓口（〒507-8787 音羽町1丁目233番地）：受付時間はページに記載がありません" in text


@pytest.mark.parametrize("applicant", list(APPLICANT_JA))
def test_ryugasaki_reset_says_only_the_holder_sets_the_pin(kb: KnowledgeBase, applicant: str) -> None:
    """Issue 22: 「暗証番号は本人しか設定できません」 and the downloadable 申請書 were missing."""
    text = first(kb, "ryugasaki", "pin_reset", applicant)
    assert "※暗証番号は本人しか設定できません。" in text
    assert "事前に申請書をダウンロード（PDF：166KB）" in text
    assert "お問い合わせください" not in text  # the page gives no phone: where to ask in person instead
    assert CONTACT_LINE["ryugasaki"] in text


def test_ryugasaki_renewal_lists_stay_the_renewals(kb: KnowledgeBase) -> None:
    text = first(kb, "ryugasaki", "certificate_renewal", "voluntary_proxy")
    assert (
        "・代理人の本人確認書類Aを1点" in text
        and "※A＝官公署が発行した顔写真付きの書類（旅券、運転免許証など）" in text
    )
    assert "Bから" not in text and "B＝" not in text
    assert "※事前予約は不要です。" in text


def test_ryugasaki_kiosk_difference_is_surfaced(kb: KnowledgeBase) -> None:
    """Issue 22: 龍ケ崎市's page names the kiosk reset for the 署名用 PIN only; the nationwide rule covers both."""
    user_auth = first(kb, "ryugasaki", "pin_reset", "self", "user_auth", True)
    assert (
        "※龍ケ崎市のページには、コンビニでの再設定は署名用電子証明書の暗証番号についてのみ記載があります。" in user_auth
    )
    assert "コンビニでも再設定できます（全国共通）" in user_auth
    four_digit = first(kb, "ryugasaki", "pin_reset", "self", "four_digit")
    assert (
        "※龍ケ崎市のページには、コンビニでの再設定は署名用電子証明書の暗証番号についてのみ記載があります。"
        in four_digit
    )
    signature = first(kb, "ryugasaki", "pin_reset", "self", "signature", True)
    assert (
        "龍ケ崎市のページにも「署名用電子証明書の暗証番号（6桁から16桁）は、コンビニエンスストアでも再設定可能となりました"
        in signature
    )


@pytest.mark.parametrize(
    "mid, procedure, applicant, expected",
    [
        (
            "mitaka",
            "pin_reset",
            "voluntary_proxy",
            [
                "手続きの流れ（窓口へ2回）：",
                "1. まず申請を受け付けたのち、市役所から申請者ご本人に照会書を郵送します。",
            ],
        ),
        (
            "ryugasaki",
            "pin_reset",
            "voluntary_proxy",
            ["手続きの流れ（窓口へ2回）：", "2. 市からご本人住所あてに照会書を送付（簡易書留・転送不要）"],
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
        # 多治見市: the two visits and the sealed 照会書, although our copy lost the document lists.
        (
            "tajimi",
            "pin_reset",
            "voluntary_proxy",
            ["照会書を同封された封筒に入れて封緘し", "手続きの流れ（窓口へ2回）："],
        ),
        ("mitaka", "pin_reset", "legal_representative", ["　※（本籍地が三鷹市の場合、戸籍謄本は不要です）"]),
    ],
)
def test_visits_steps_and_exemptions_in_the_first_answer(
    kb: KnowledgeBase, mid: str, procedure: str, applicant: str, expected: List[str]
) -> None:
    text = first(kb, mid, procedure, applicant)
    for fragment in expected:
        assert fragment in text


def test_details_keep_the_pages_full_wording(kb: KnowledgeBase) -> None:
    """Behind 「手続きの流れと注意」: every note, option and remark of the page, and its background notes."""
    for mid, procedure, applicant in CASES:
        req = kb.requirements(mid, procedure, applicant)
        if req is None or not req.covered:
            continue
        behind = joined(details(kb, mid, procedure, applicant)) + joined(
            details(kb, mid, procedure, applicant, "second_visit")
        )
        for document in req.documents:
            for piece in (document.note, *document.options, *document.remarks):
                if piece:
                    assert piece in behind, (mid, procedure, applicant, piece)
        for note in req.procedure_notes:
            assert note in behind


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


def _without_nationwide_citations(text: str) -> str:
    """The text minus the 出典 of nationwide rules (「／全国共通の内容：…」)."""
    import re

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


RENEWAL_3_MONTHS = "※電子証明書の更新手続きは有効期限の3か月前から可能です"
STILL_AN_ID = "※電子証明書の有効期限が切れると電子申請等の利用ができなくなりますが、マイナンバーカードの本人確認書類としての使用は可能です。"


@pytest.mark.parametrize("mid", ["mitaka", "chiba", "tajimi"])
def test_renewal_quotes_cite_ryugasaki_as_nationwide(kb: KnowledgeBase, mid: str) -> None:
    """Renewal answers quoting 龍ケ崎市's page (「電子証明書の更新手続きは有効期限の3か月前から可能です。」) cite it."""
    replies = answer(kb, mid, "certificate_renewal", "self")
    text = joined(replies)
    assert f"{RENEWAL_3_MONTHS}（全国共通）。" in text
    assert STILL_AN_ID in text
    assert source_line_of(replies) == "出典：" + OWN_SOURCE[mid] + "／全国共通の内容：" + OWN_SOURCE["ryugasaki"]


def test_ryugasaki_renewal_says_the_card_stays_an_id(kb: KnowledgeBase) -> None:
    """Issue 22: the renewal line had no subject; it now says what stops and what stays usable."""
    for applicant in APPLICANT_JA:
        replies = answer(kb, "ryugasaki", "certificate_renewal", applicant)
        assert f"{RENEWAL_3_MONTHS}。" in joined(replies) and STILL_AN_ID in joined(replies)
        assert source_line_of(replies) == "出典：" + OWN_SOURCE["ryugasaki"]


STORE_NEEDS = "スマートフォンに専用のアプリケーションをインストール、事前予約、マイナンバーカード"
KIOSK_TABLE = [
    ("signature", True, f"必要なもの：{STORE_NEEDS}、利用者証明用電子証明書の暗証番号"),
    ("user_auth", True, f"必要なもの：{STORE_NEEDS}、署名用電子証明書の暗証番号"),
    (
        "signature",
        False,
        "コンビニ等のキオスク端末での再設定には利用者証明用電子証明書の暗証番号が必要なため（全国共通）、窓口での手続きをご案内しています。",
    ),
    (
        "user_auth",
        False,
        "コンビニ等のキオスク端末での再設定には署名用電子証明書の暗証番号が必要なため（全国共通）、窓口での手続きをご案内しています。",
    ),
    (
        "resident_registry",
        None,
        "※住民基本台帳用、券面事項入力補助用暗証番号は、コンビニ等で再設定（初期化）できません（全国共通）。署名用・利用者証明用の再設定だけであれば",
    ),
    (
        "text_input",
        None,
        "※住民基本台帳用、券面事項入力補助用暗証番号は、コンビニ等で再設定（初期化）できません（全国共通）",
    ),
    (
        "four_digit",
        None,
        "※住民基本台帳用、券面事項入力補助用暗証番号は、コンビニ等で再設定（初期化）できません（全国共通）",
    ),
    ("all", None, "※住民基本台帳用、券面事項入力補助用暗証番号は、コンビニ等で再設定（初期化）できません（全国共通）"),
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
        assert (
            "コンビニでも再設定できます（全国共通）：対応しているコンビニ等のキオスク端末（マルチコピー機）で再設定できます。"
            in text
        )
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
    text = first(kb, "mitaka", "pin_reset", applicant, "signature", True)
    assert "コンビニでも再設定できます" not in text
    assert "キオスク端末での再設定には" not in text


TAJIMI_AT_HOME = "インターネットに接続されたパソコンとマイナンバーカードの読み取りが可能なカードリーダーまたはマイナンバーカードの読み取りが可能なスマートフォンをお持ちであれば、ご自身で暗証番号の変更手続きが可能です。"


@pytest.mark.parametrize("mid", list(CITY_NAMES))
def test_change_at_home_for_the_cardholder_only(kb: KnowledgeBase, mid: str) -> None:
    """The at-home change (カードリーダー or スマートフォン) is for the cardholder: offered to 本人, never to a proxy."""
    replies = answer(kb, mid, "pin_change", "self")
    text = joined(replies)
    label = "" if mid == "tajimi" else "（全国共通）"
    assert f"窓口に行かずにご自身で変更する方法{label}：\n・{TAJIMI_AT_HOME}" in text
    assert "多治見市 市民課住基グループのページ（2024年8月30日更新）" in source_line_of(replies)
    for applicant in ("legal_representative", "voluntary_proxy"):
        proxy = joined(answer(kb, mid, "pin_change", applicant)) + joined(details(kb, mid, "pin_change", applicant))
        assert "ご自身で" not in proxy and "カードリーダー" not in proxy


def test_open_status_uses_the_given_moment(kb: KnowledgeBase) -> None:
    """Tuesday 10:00: every 三鷹市 office is open, marked ◎ with the moment in the heading."""
    text = first(kb, "mitaka", "pin_reset", "self")
    assert "窓口と受付時間（◎は6月10日（火）10:00現在受付中）：" in text
    assert "◎三鷹市マイナンバーカードセンター" in text


def test_a_lower_turn_limit_drops_only_the_optional_route(kb: KnowledgeBase) -> None:
    """PINBOT_MAX_TURN_CHARS below the answer's length: the kiosk route goes, what to bring, where and when stay."""
    query = CaseQuery("mitaka", "pin_reset", "self", "signature", True)
    full = joined(case_replies(kb, query, FIXED_NOW))
    short = joined(case_replies(kb, query, FIXED_NOW, turn=600))
    assert "コンビニでも再設定できます" in full and "コンビニでも再設定できます" not in short
    for fact in kb.must_know("mitaka", "pin_reset", "self"):
        assert fact.text in short
    assert "出典：三鷹市" in short and "全国共通の内容" not in short  # the dropped route's page is not cited


def test_contact_from_a_second_official_page_is_cited_with_its_date(tmp_path: Path) -> None:
    """A city file may take its contact from a second official page listed in sources.yml, cited with its date."""
    root = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_dir(), root)
    sources_path = root / "sources.yml"
    listed = yaml.safe_load(sources_path.read_text(encoding="utf-8"))
    listed["sources"].append(
        {
            "id": "ryugasaki_contact",
            "seed_id": "998",
            "file": "998_ryugasaki_contact.txt",
            "title": "市民窓口課",
            "publisher": "龍ケ崎市",
            "municipality": "ryugasaki",
            "updated": "2026-01-15",
        }
    )
    sources_path.write_text(yaml.safe_dump(listed, allow_unicode=True, sort_keys=False), encoding="utf-8")
    city_path = root / "municipalities" / "ryugasaki.yml"
    text = city_path.read_text(encoding="utf-8")
    old = "  phones: []           # the page gives no phone number\n"
    assert (
        text.count(old) == 1
        and text.count("  in_person: マイナンバーカードセンター（市役所本庁舎）\n  source: ryugasaki\n") == 1
    )
    text = text.replace(old, "  phones: [{number: 0999-00-0000, label: 市民窓口課}]\n").replace(
        "  in_person: マイナンバーカードセンター（市役所本庁舎）\n  source: ryugasaki\n",
        "  in_person: マイナンバーカードセンター（市役所本庁舎）\n  source: ryugasaki_contact\n",
    )
    city_path.write_text(text, encoding="utf-8")
    replies = case_replies(load_kb(root), CaseQuery("ryugasaki", "pin_reset", "self"), FIXED_NOW)
    footer = text_of(replies[-1])
    assert "お問い合わせ：龍ケ崎市 市民窓口課 電話 0999-00-0000" in footer
    assert source_line_of(replies) == (
        "出典：龍ケ崎市「マイナンバーカードの更新について」（更新日の記載なし）、龍ケ崎市「市民窓口課」（2026年1月15日更新）"
    )
