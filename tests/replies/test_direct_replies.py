"""replies.direct: office hours, ID documents, contact and out-of-scope answers."""

from __future__ import annotations

from typing import List, Optional, Tuple

import pytest

from kb.store import KnowledgeBase
from replies.direct import (
    asked_weekdays,
    contact_replies,
    identity_documents_replies,
    office_hours_replies,
    out_of_scope_replies,
)
from replies.offices import office_block
from tests.replies.replies_expect import (
    CITY_NAMES,
    CONTACT_LINE,
    FIXED_NOW,
    OWN_SOURCE,
    city_identifiers,
    joined,
    text_of,
)

MITAKA_OFFICES = [
    "三鷹市マイナンバーカードセンター",
    "市役所1階4番窓口",
    "三鷹駅前市政窓口",
    "三鷹台市政窓口",
    "東部市政窓口",
    "西部市政窓口",
]
CHIBA_OFFICES = ["各区役所市民総合窓口課", "各市民センター"]
RYUGASAKI_OFFICES = ["マイナンバーカードセンター（市役所本庁舎）", "西部出張所", "東部出張所", "市民窓口ステーション"]


@pytest.mark.parametrize(
    "text, days",
    [
        ("土曜日もやってる?", (5,)),
        ("土曜もあいてますか", (5,)),
        ("どようびは?", (5,)),
        ("日曜日", (6,)),
        ("日曜は開いてる？", (6,)),
        ("土日は?", (5, 6)),
        ("週末", (5, 6)),
        ("平日だけ?", (0, 1, 2, 3, 4)),
        ("何時まで？", ()),
        ("", ()),
    ],
)
def test_asked_weekdays(text: str, days: Tuple[int, ...]) -> None:
    assert asked_weekdays(text) == days


# (city, question, offices that must be listed, offices that must not, first line of the answer)
OFFICE_HOURS = [
    (
        "mitaka",
        "土曜日もやってる?",
        ["三鷹市マイナンバーカードセンター", "三鷹駅前市政窓口"],
        ["市役所1階4番窓口", "三鷹台市政窓口", "東部市政窓口", "西部市政窓口"],
        "【三鷹市】土曜日に暗証番号の手続きができる窓口：",
    ),
    (
        "mitaka",
        "日曜日は?",
        ["三鷹駅前市政窓口"],
        ["三鷹市マイナンバーカードセンター", "市役所1階4番窓口", "三鷹台市政窓口", "東部市政窓口", "西部市政窓口"],
        "【三鷹市】日曜日に暗証番号の手続きができる窓口：",
    ),
    (
        "mitaka",
        "土日もあいてる？",
        ["三鷹市マイナンバーカードセンター", "三鷹駅前市政窓口"],
        ["市役所1階4番窓口", "三鷹台市政窓口"],
        "【三鷹市】土曜日・日曜日に暗証番号の手続きができる窓口：",
    ),
    ("mitaka", "受付時間を教えて", MITAKA_OFFICES, [], "【三鷹市】暗証番号の手続きができる窓口："),
    (
        "chiba",
        "日曜日",
        ["各区役所市民総合窓口課"],
        ["各市民センター"],
        "【千葉市】日曜日に暗証番号の手続きができる窓口：",
    ),
    ("chiba", "受付時間は?", CHIBA_OFFICES, [], "【千葉市】暗証番号の手続きができる窓口："),
    ("ryugasaki", "どこでできますか", RYUGASAKI_OFFICES, [], "【龍ケ崎市】暗証番号の手続きができる窓口："),
]


@pytest.mark.parametrize("mid, question, listed, absent, head", OFFICE_HOURS)
def test_office_hours(
    kb: KnowledgeBase, mid: str, question: str, listed: List[str], absent: List[str], head: str
) -> None:
    replies = office_hours_replies(kb, mid, FIXED_NOW, question)
    more = office_hours_replies(kb, mid, FIXED_NOW, question, part="more") if replies[-1].buttons else []
    text = joined(replies) + joined(more)  # offices that do not fit one turn are behind 「ほかの窓口（続き）」
    assert sum(len(text_of(r)) for r in replies) <= 1000 and sum(len(text_of(r)) for r in more) <= 1000
    assert text_of(replies[0]).startswith(head)
    assert len(replies) <= 5  # LINE sends at most five messages per reply
    for name in listed:  # offices with the same hours share one block: 「■三鷹台市政窓口・東部市政窓口・西部市政窓口」
        assert name in text
    for name in absent:
        assert name not in text
    assert replies[-1].text == f"{CONTACT_LINE[mid]}\n出典：{OWN_SOURCE[mid]}"
    for other in CITY_NAMES:
        if other != mid:
            assert [item for item in city_identifiers(other) if item in text] == []


def test_chiba_saturday_has_no_office(kb: KnowledgeBase) -> None:
    replies = office_hours_replies(kb, "chiba", FIXED_NOW, "土曜日もやってる?")
    assert text_of(replies[0]).startswith(
        "【千葉市】ページに受付時間の記載がある窓口のうち、土曜日に受付している窓口はありません。受付時間は次のとおりです。"
    )
    assert "■各区役所市民総合窓口課" in joined(replies)
    assert "・月曜日〜金曜日 8:30〜17:30" in joined(replies)
    assert replies[-1].text == f"{CONTACT_LINE['chiba']}\n出典：{OWN_SOURCE['chiba']}"


def test_chiba_sunday_names_the_second_sunday(kb: KnowledgeBase) -> None:
    text = joined(office_hours_replies(kb, "chiba", FIXED_NOW, "日曜日"))
    assert "・第2日曜日 9:00〜12:30" in text
    assert "※毎月第2日曜日・3月下旬の休日 午前9時から午前12時30分" in text


def test_mitaka_saturday_hours(kb: KnowledgeBase) -> None:
    text = joined(office_hours_replies(kb, "mitaka", FIXED_NOW, "土曜日もやってる?"))
    assert "・土曜日 9:00〜17:00（受付は16:30まで）" in text
    assert "電話 0422-42-5678" in text


def test_tajimi_without_hours_sends_to_contact(kb: KnowledgeBase) -> None:
    """Issue 22: 多治見市's 市民課 gets the address its page gives."""
    replies = office_hours_replies(kb, "tajimi", FIXED_NOW, "受付時間は?")
    text = joined(replies)
    assert (
        replies[0].text
        == "【多治見市】手続きの窓口は市民課の窓口（〒507-8787 音羽町1丁目233番地）です。ページに受付時間の記載がありません。お越しの前に市民課住基グループ（0572-23-5542）へお問い合わせください。"
    )
    assert "受付している" not in text
    assert replies[-1].text == f"{CONTACT_LINE['tajimi']}\n出典：{OWN_SOURCE['tajimi']}"


def test_tajimi_saturday_does_not_claim_it_is_closed(kb: KnowledgeBase) -> None:
    """The 多治見市 page gives no hours at all: 'no office is open on Saturday' is not on the page."""
    text = joined(office_hours_replies(kb, "tajimi", FIXED_NOW, "土曜日は開いてますか"))
    assert "受付している窓口はありません" not in text
    assert "記載がありません" in text or "記載がない" in text
    assert CONTACT_LINE["tajimi"] in text


@pytest.mark.parametrize(
    "mid, expected",
    [
        (
            "mitaka",
            [
                "【三鷹市】本人確認書類",
                # 「本人のマイナンバーカード以外」: the card is not among the cardholder's own IDs for a reset.
                "■本人の場合\n・暗証番号の再設定：本人のマイナンバーカード以外で本人確認ができるもの（運転免許証、パスポート、健康保険証など）",
                "■法定代理人の場合\n・窓口に来られるかたの本人確認ができるもの（マイナンバーカード、",
            ],
        ),
        (
            "chiba",
            [
                "【千葉市】本人確認書類",
                # Issue 22: a rule for 本人 too; the two-document rules are the 法定代理人's and the second visit's.
                "■本人の場合\n・マイナンバーカード以外の本人確認書類（運転免許証、パスポート（旅券）、資格確認書（有効期限内の保険証）、年金手帳など）",
                "■法定代理人の場合\n・法定代理人の本人確認書類：マイナンバーカード、運転免許証、パスポート（旅券）など、官公署が発行する顔写真付き本人確認書類から2点",
                "■任意代理人の場合\n・1回目・任意代理人の本人確認書類：運転免許証、パスポート（旅券）など、官公署が発行する顔写真付き本人確認書類から1点",
                "官公署が発行する顔写真付き本人確認書類\n　マイナンバーカード、運転免許証、パスポート（旅券）",
                "※詳細な本人確認書類の一覧は、本人確認のための身分証明書類の種類をご参照ください。",
            ],
        ),
        (
            "tajimi",
            [
                "【多治見市】本人確認書類",
                "Aの書類：官公庁の顔写真付きの証明書",
                "Bの書類：「氏名、生年月日」または「氏名、住所」が記載されているもの",
                "、診察券",
            ],
        ),
        (
            "ryugasaki",
            [
                "【龍ケ崎市】本人確認書類",
                "■本人の場合\n・暗証番号の再設定：本人確認書類（Aから1点またはBから2点必要）",
                "■任意代理人の場合\n・暗証番号の再設定・1回目：委任代理人の本人確認書類（Aから1点）\n・電子証明書の更新：代理人の本人確認書類Aを1点",
                "Aの書類：官公署が発行した現在の情報が確認できる顔写真付きの次の書類",
                "、仮滞在許可書",
                "※必ず原本をお持ちください（コピー不可）。",
            ],
        ),
    ],
)
def test_identity_documents(kb: KnowledgeBase, mid: str, expected: List[str]) -> None:
    replies = identity_documents_replies(kb, mid)
    assert 2 <= len(replies) <= 5
    for fragment in expected:
        assert fragment in joined(replies[:-1])
    assert text_of(replies[-1]).endswith(f"{CONTACT_LINE[mid]}\n出典：{OWN_SOURCE[mid]}")
    assert sum(len(text_of(r)) for r in replies) <= 1000


@pytest.mark.parametrize(
    "mid, procedure, applicant, shown, hidden",
    [
        # Issue 22: in a renewal conversation, the renewal's rule (代理人 A 1点), not the reset's A2/A1+B1.
        (
            "ryugasaki",
            "certificate_renewal",
            "voluntary_proxy",
            [
                "【龍ケ崎市】本人確認書類（電子証明書の更新・任意代理人の場合）\n・代理人の本人確認書類Aを1点",
                "Aの書類：",
            ],
            ["Aから2点", "Bから2点", "Bの書類"],
        ),
        (
            "ryugasaki",
            "certificate_renewal",
            "self",
            ["ページには、本人が電子証明書の更新をする場合の本人確認書類の決まりの記載はありません。"],
            ["Aから1点またはBから2点"],
        ),
        # Issue 22: the 任意代理人's list was missing.
        ("ryugasaki", "pin_reset", "voluntary_proxy", ["・1回目：委任代理人の本人確認書類（Aから1点）"], ["Aから2点"]),
        # Issue 22: a 任意代理人 brings one photo ID to the first visit, 2 documents to the second.
        (
            "chiba",
            "pin_reset",
            "voluntary_proxy",
            [
                "・1回目・任意代理人の本人確認書類：運転免許証、パスポート（旅券）など、官公署が発行する顔写真付き本人確認書類から1点",
                "・2回目・任意代理人の本人確認書類：マイナンバーカード、運転免許証、パスポート（旅券）など、官公署が発行する顔写真付き本人確認書類から2点",
            ],
            ["■"],
        ),
        # Issue 22: a rule for 本人.
        ("chiba", "pin_reset", "self", ["・マイナンバーカード以外の本人確認書類（運転免許証、"], ["2点"]),
        (
            "tajimi",
            "pin_reset",
            "self",
            ["本人が暗証番号の再設定をする場合の持ち物（本人確認書類を含む）は、このチャットではご案内できません。"],
            ["記載はありません"],
        ),
    ],
)
def test_identity_documents_for_the_conversations_case(
    kb: KnowledgeBase, mid: str, procedure: str, applicant: str, shown: List[str], hidden: List[str]
) -> None:
    text = joined(identity_documents_replies(kb, mid, procedure=procedure, applicant=applicant))
    for fragment in shown:
        assert fragment in text
    for fragment in hidden:
        assert fragment not in text


def test_ryugasaki_b_list_is_behind_a_button(kb: KnowledgeBase) -> None:
    """龍ケ崎市's B list (27 documents) does not fit a shorter turn with the A list: 「Bの書類の一覧」 shows it."""
    replies = identity_documents_replies(kb, "ryugasaki", limit=700)
    assert [(b.title, b.payload) for b in replies[-1].buttons] == [
        ("Bの書類の一覧", '/identity_documents{"part": "B"}')
    ]
    b_list = identity_documents_replies(kb, "ryugasaki", "B")
    assert "官公署がその職員に対して発行した身分証明書" in text_of(
        b_list[0]
    ) and "※必ず原本をお持ちください（コピー不可）。" in text_of(b_list[0])
    assert sum(len(text_of(r)) for r in b_list) <= 700


def test_identity_documents_without_city_is_empty(kb: KnowledgeBase) -> None:
    assert identity_documents_replies(kb, None) == []


def test_identity_document_headings_are_japanese(kb: KnowledgeBase) -> None:
    """The category ids of 千葉市 (photo / other) are internal keys, not words a resident should read."""
    text = text_of(identity_documents_replies(kb, "chiba")[0])
    assert "photo：" not in text
    assert "other：" not in text


@pytest.mark.parametrize("mid", list(CITY_NAMES))
def test_contact_for_one_city(kb: KnowledgeBase, mid: str) -> None:
    replies = contact_replies(kb, mid)
    assert len(replies) == 1
    head = "担当窓口は次のとおりです。" if mid == "ryugasaki" else "担当窓口へのお問い合わせ先は次のとおりです。"
    assert replies[0].text == f"{head}\n{CONTACT_LINE[mid]}\n出典：{OWN_SOURCE[mid]}"


def test_contact_for_unknown_city_lists_all_four(kb: KnowledgeBase) -> None:
    text = text_of(contact_replies(kb, None)[0])
    assert text.startswith("担当窓口へのお問い合わせ先は次のとおりです。\n")
    for mid in CITY_NAMES:
        assert CONTACT_LINE[mid] in text
        assert OWN_SOURCE[mid] in text
    assert text.splitlines()[-1].startswith("出典：")


@pytest.mark.parametrize("mid", list(CITY_NAMES))
def test_out_of_scope_with_city(kb: KnowledgeBase, mid: str) -> None:
    replies = out_of_scope_replies(kb, mid)
    assert len(replies) == 1 and replies[0].buttons == []
    # 龍ケ崎市's page gives no phone: ask at the counter, not 「お問い合わせください」 with no way to do it.
    ask = "担当窓口でご相談ください" if mid == "ryugasaki" else "お問い合わせください"
    assert replies[0].text == (
        "申し訳ありません。このチャットボットは、マイナンバーカードの暗証番号と電子証明書の手続きについてのみご案内しています。"
        f"\nその他のご用件は{CITY_NAMES[mid]}のホームページをご覧いただくか、{ask}。\n{CONTACT_LINE[mid]}"
    )


@pytest.mark.parametrize("mid", [None, "yokohama", ""])
def test_out_of_scope_without_known_city(kb: KnowledgeBase, mid) -> None:
    text = out_of_scope_replies(kb, mid)[0].text
    assert text == (
        "申し訳ありません。このチャットボットは、マイナンバーカードの暗証番号と電子証明書の手続きについてのみご案内しています。"
        "\nその他のご用件は、お住まいの市のホームページをご覧いただくか、市役所へお問い合わせください。"
    )


def test_office_block_has_no_doubled_bullet(kb: KnowledgeBase) -> None:
    """「・※第2・第3・第4日曜日と重なる祝日は開館します。」: a note line should not also carry the hours bullet."""
    block = office_block(kb.office("mitaka_ekimae"), FIXED_NOW)
    assert "第2・第3・第4日曜日と重なる祝日は開館します。" in block
    assert [line for line in block.splitlines() if line.startswith("・※")] == []


def test_ryugasaki_saturday_is_not_claimed_from_a_page_without_weekdays(kb: KnowledgeBase) -> None:
    """龍ケ崎市 gives 「受付時間は午前10時30分から午後7時まで」 without weekdays: no office is said to open on Saturday."""
    replies = office_hours_replies(kb, "ryugasaki", FIXED_NOW, "土曜日もやっていますか")
    assert text_of(replies[0]).startswith(
        "【龍ケ崎市】ページには、土曜日に受付しているかどうかの記載がある窓口はありません。"
    )
    assert "土曜日に暗証番号の手続きができる窓口" not in joined(replies)
    assert "いま受付中かはお答えできません" in joined(replies)


@pytest.mark.parametrize("topic, pointer", [("bank_card", "銀行・カード会社"), ("device", "メーカー")])
@pytest.mark.parametrize("mid", [None, "mitaka"])
def test_out_of_scope_other_secret_points_elsewhere(
    kb: KnowledgeBase, topic: str, pointer: str, mid: Optional[str]
) -> None:
    """Issue 9: a bank card's or a phone's secret gets two lines, the second pointing to the bank or the maker."""
    replies = out_of_scope_replies(kb, mid, topic)
    lines = text_of(replies[0]).splitlines()
    assert len(replies) == 1 and len(lines) == 2
    assert "マイナンバーカードの暗証番号" in lines[0] and pointer in lines[1]
    assert all(phone not in text_of(replies[0]) for phone in CONTACT_LINE.values())


@pytest.mark.parametrize("mid", list(CITY_NAMES))
def test_out_of_scope_mynumber_not_pin_gets_the_city_contact(kb: KnowledgeBase, mid: str) -> None:
    """Issue 9: a lost card is the city's matter: the scope sentence and that city's contact only."""
    text = text_of(out_of_scope_replies(kb, mid, "mynumber_not_pin")[0])
    assert "このチャットでは暗証番号の手続きをご案内しています" in text
    assert text.splitlines()[-1] == CONTACT_LINE[mid]
    assert all(line not in text for other, line in CONTACT_LINE.items() if other != mid)


def test_out_of_scope_mynumber_not_pin_without_city_lists_every_city(kb: KnowledgeBase) -> None:
    """Without a known city every city's contact is listed (the resident picks theirs)."""
    text = text_of(out_of_scope_replies(kb, None, "mynumber_not_pin")[0])
    assert "お住まいの市の担当窓口" in text
    assert all(line in text for line in CONTACT_LINE.values())
