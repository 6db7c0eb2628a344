"""Answer actions: the case checklist and the direct city questions (hours, ID documents, contact, out of scope)."""

from __future__ import annotations

import json

import pytest
from rasa_sdk.events import ActionExecuted, SlotSet, UserUttered

from actions.answers import (
    ActionAnswerCase,
    ActionAnswerContact,
    ActionAnswerIdentityDocuments,
    ActionAnswerOfficeHours,
    ActionAnswerOutOfScope,
    pending_question_action,
)
from tests.actions.action_expect import CITY_NAMES, CONTACT_LINE, MUNICIPALITY_QUESTION, texts


@pytest.mark.parametrize(
    "action, name",
    [
        (ActionAnswerCase(), "action_answer_case"),
        (ActionAnswerOfficeHours(), "action_answer_office_hours"),
        (ActionAnswerIdentityDocuments(), "action_answer_identity_documents"),
        (ActionAnswerContact(), "action_answer_contact"),
        (ActionAnswerOutOfScope(), "action_answer_out_of_scope"),
    ],
)
def test_names_are_in_the_domain(domain, action, name: str) -> None:
    assert action.name() == name
    assert name in domain["actions"]


CASES = [
    (
        {"municipality": "mitaka", "procedure": "pin_reset", "applicant_type": "self"},
        "【三鷹市】暗証番号の再設定（本人が手続きする場合）\n持ち物：\n・暗証番号を再設定するマイナンバーカード\n",
        [
            "・個人番号カード暗証番号再設定申請書（窓口にてお渡しいたします）",
            "三鷹市マイナンバーカードセンター（三鷹産業プラザ6階",
        ],
    ),
    (
        {"municipality": "三鷹市", "procedure": "pin_change", "applicant_type": "voluntary_proxy"},
        "【三鷹市】暗証番号の変更（任意代理人が手続きする場合）",
        ["・委任状", "手続きの流れ（窓口へ2回）：", "※変更前の暗証番号の入力が必要となります。"],
    ),
    (
        {"municipality": "chiba", "procedure": "pin_reset", "applicant_type": "legal_representative"},
        "【千葉市】暗証番号の再設定（法定代理人が手続きする場合）",
        [
            "・法定代理人の本人確認書類",
            "・権限確認ができる書類（発行日から3か月以内。",
            "◎各区役所市民総合窓口課：月〜金 8:30〜17:30",
        ],
    ),
    (
        {"municipality": "ryugasaki", "procedure": "certificate_renewal", "applicant_type": "self"},
        "【龍ケ崎市】電子証明書の更新（本人が手続きする場合）\n持ち物：\n・マイナンバーカード",
        [
            "・マイナンバーカードセンター（市役所本庁舎）・西部出張所・東部出張所：受付時間はページに記載がありません",
            "※電子証明書の有効期限が切れると電子申請等の利用ができなくなりますが、マイナンバーカードの本人確認書類としての使用は可能です。",
            "出典：龍ケ崎市「マイナンバーカードの更新について」（更新日の記載なし）",
        ],
    ),
    (
        {
            "municipality": "mitaka",
            "procedure": "pin_reset",
            "applicant_type": "self",
            "pin_type": "signature",
            "knows_other_pin": True,
        },
        "【三鷹市】暗証番号の再設定（本人が手続きする場合）",
        [
            "コンビニでも再設定できます（全国共通）：",
            "利用者証明用電子証明書の暗証番号",
        ],
    ),
    (
        {"municipality": "tajimi", "procedure": "pin_reset", "applicant_type": "self"},
        "【多治見市】暗証番号の再設定（本人が手続きする場合）\n多治見市のページには本人の持ち物の一覧がありますが、このチャットではご案内できません。",
        ["お越しの前に市民課住基グループ（0572-23-5542）へお問い合わせください。", "〒507-8787 音羽町1丁目233番地"],
    ),
    (
        {"municipality": "chiba", "procedure": "pin_change", "applicant_type": "self"},
        "【千葉市】暗証番号の変更（本人が手続きする場合）\n千葉市のページには暗証番号の変更の案内が掲載されていないため、持ち物や窓口をお答えできません。",
        [],
    ),
]


@pytest.mark.parametrize("slots, first, fragments", CASES)
def test_answer_case(make_tracker, run, slots, first: str, fragments) -> None:
    events, messages = run(ActionAnswerCase(), make_tracker(slots=slots))
    city = next(mid for mid, name in CITY_NAMES.items() if slots["municipality"] in (mid, name))
    assert events == [SlotSet("answer_key", f"checklist|{city}|{slots['procedure']}|{slots['applicant_type']}|-")]
    assert messages[0]["text"].startswith(first)
    text = texts(messages)
    for fragment in fragments:
        assert fragment in text
    assert CONTACT_LINE[city] in messages[-1]["text"]
    assert all(message["buttons"] == [] for message in messages[:-1])  # buttons only on the last bubble


def test_answer_case_uses_the_deployment_city(make_tracker, run, monkeypatch) -> None:
    monkeypatch.setenv("DEFAULT_MUNICIPALITY", "ryugasaki")
    events, messages = run(ActionAnswerCase(), make_tracker(slots={"procedure": "pin_reset", "applicant_type": "self"}))
    assert events == [SlotSet("answer_key", "checklist|ryugasaki|pin_reset|self|-")]
    assert messages[0]["text"].startswith("【龍ケ崎市】暗証番号の再設定（本人が手続きする場合）")


def test_answer_case_uses_the_page_city(make_tracker, run) -> None:
    tracker = make_tracker(
        slots={"procedure": "pin_reset", "applicant_type": "self"}, metadata={"municipality": "chiba"}
    )
    _, messages = run(ActionAnswerCase(), tracker)
    assert messages[0]["text"].startswith("【千葉市】暗証番号の再設定（本人が手続きする場合）")


@pytest.mark.parametrize(
    "slots",
    [
        {},
        {"municipality": "mitaka"},
        {"municipality": "mitaka", "procedure": "pin_reset"},
        {"procedure": "pin_reset", "applicant_type": "self"},
        {"municipality": "横浜市", "procedure": "pin_reset", "applicant_type": "self"},
    ],
)
def test_answer_case_with_missing_pieces(make_tracker, run, slots) -> None:
    events, messages = run(ActionAnswerCase(), make_tracker(slots=slots))
    assert events == []
    assert [m["text"] for m in messages] == [
        "すみません、ご案内に必要な情報がそろいませんでした。もう一度ご用件を入力してください。"
    ]


def user(text: str, intent: str):
    return UserUttered(text, parse_data={"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []})


@pytest.mark.parametrize(
    "action, intent",
    [(ActionAnswerOfficeHours(), "office_hours"), (ActionAnswerIdentityDocuments(), "identity_documents")],
)
def test_city_question_asks_for_the_city(make_tracker, run, action, intent: str) -> None:
    events, messages = run(action, make_tracker(text="土曜日もやってる?", intent=intent))
    assert events == [SlotSet("pending_question", intent)]
    assert len(messages) == 1
    assert messages[0]["text"] == MUNICIPALITY_QUESTION
    buttons = messages[0]["buttons"]
    assert sorted(b["title"] for b in buttons) == sorted(["三鷹市", "千葉市", "多治見市", "龍ケ崎市"])
    for button in buttons:
        mid = next(m for m, name in CITY_NAMES.items() if name == button["title"])
        name, _, entities = button["payload"][1:].partition("{")
        assert name == intent
        assert json.loads("{" + entities) == {"municipality": mid}


def test_office_hours_saturday_in_mitaka(make_tracker, run) -> None:
    tracker = make_tracker(slots={"municipality": "mitaka"}, text="土曜日もやってる?", intent="office_hours")
    events, messages = run(ActionAnswerOfficeHours(), tracker)
    assert events == [SlotSet("answer_key", "hours|mitaka|-|-|office_hours"), SlotSet("pending_question", None)]
    text = texts(messages)
    assert messages[0]["text"].startswith("【三鷹市】土曜日に暗証番号の手続きができる窓口：")
    assert "■三鷹市マイナンバーカードセンター" in text
    assert "■三鷹駅前市政窓口" in text
    assert "■市役所1階4番窓口" not in text
    assert CONTACT_LINE["mitaka"] in text


def test_office_hours_chiba_saturday_none(make_tracker, run) -> None:
    tracker = make_tracker(slots={"municipality": "chiba"}, text="土曜日もやってる?", intent="office_hours")
    _, messages = run(ActionAnswerOfficeHours(), tracker)
    assert messages[0]["text"].startswith(
        "【千葉市】ページに受付時間の記載がある窓口のうち、土曜日に受付している窓口はありません。受付時間は次のとおりです。"
    )
    assert "■各区役所市民総合窓口課" in texts(messages)


def test_office_hours_uses_pinned_now(make_tracker, run, monkeypatch) -> None:
    """Saturday 14 June 2025, 10:00: the card center takes applications until 16:30."""
    monkeypatch.setenv("PINBOT_NOW", "2025-06-14T10:00:00+09:00")
    tracker = make_tracker(slots={"municipality": "mitaka"}, text="土曜日もやってる?", intent="office_hours")
    _, messages = run(ActionAnswerOfficeHours(), tracker)
    assert "いま受付中です（本日の受付は16:30まで）。" in messages[0]["text"]


def test_office_hours_after_the_city_button_answers_the_typed_question(make_tracker, run) -> None:
    """The question typed before the city was asked still decides the answer (土曜日), not the button payload."""
    payload = '/office_hours{"municipality": "chiba"}'
    events = [
        ActionExecuted("action_listen"),
        user("土曜日もやってる?", "office_hours"),
        ActionExecuted("action_answer_office_hours"),
        SlotSet("pending_question", "office_hours"),
        ActionExecuted("action_listen"),
        user(payload, "office_hours"),
    ]
    tracker = make_tracker(
        slots={"municipality": "chiba", "pending_question": "office_hours"},
        text=payload,
        intent="office_hours",
        events=events,
    )
    result, messages = run(ActionAnswerOfficeHours(), tracker)
    assert result == [SlotSet("answer_key", "hours|chiba|-|-|office_hours"), SlotSet("pending_question", None)]
    assert messages[0]["text"].startswith(
        "【千葉市】ページに受付時間の記載がある窓口のうち、土曜日に受付している窓口はありません。"
    )


def test_office_hours_menu_button_is_a_new_general_question(make_tracker, run) -> None:
    """An old 「土曜日」 question must not narrow a later tap on the 窓口と受付時間 menu button (payload /office_hours)."""
    events = [
        ActionExecuted("action_listen"),
        user("土曜日もやってる?", "office_hours"),
        ActionExecuted("action_answer_office_hours"),
        ActionExecuted("action_listen"),
        user("暗証番号を忘れた", "forgot_pin"),
        ActionExecuted("action_answer_case"),
        ActionExecuted("action_listen"),
        user("/office_hours", "office_hours"),
    ]
    tracker = make_tracker(slots={"municipality": "mitaka"}, text="/office_hours", intent="office_hours", events=events)
    _, messages = run(ActionAnswerOfficeHours(), tracker)
    assert messages[0]["text"].startswith("【三鷹市】暗証番号の手続きができる窓口：")
    assert "■市役所1階4番窓口" in texts(messages)


@pytest.mark.parametrize(
    "mid, fragment",
    [
        ("mitaka", "■本人の場合\n・暗証番号の再設定：本人のマイナンバーカード以外で本人確認ができるもの"),
        ("tajimi", "Aの書類：官公庁の顔写真付きの証明書"),
        ("ryugasaki", "■本人の場合\n・暗証番号の再設定：本人確認書類（Aから1点またはBから2点必要）"),
        (
            "chiba",
            "・法定代理人の本人確認書類：マイナンバーカード、運転免許証、パスポート（旅券）など、官公署が発行する顔写真付き本人確認書類から2点",
        ),
    ],
)
def test_identity_documents_for_known_city(make_tracker, run, mid: str, fragment: str) -> None:
    events, messages = run(
        ActionAnswerIdentityDocuments(),
        make_tracker(slots={"municipality": mid}, text="本人確認書類は?", intent="identity_documents"),
    )
    assert events == [SlotSet("answer_key", f"faq|{mid}|-|-|identity_documents"), SlotSet("pending_question", None)]
    assert messages[0]["text"].startswith(f"【{CITY_NAMES[mid]}】本人確認書類")
    assert fragment in texts(messages)
    assert CONTACT_LINE[mid] in messages[-1]["text"]


def test_identity_documents_follow_the_conversations_case(make_tracker, run) -> None:
    """Issue 22: asked during a 龍ケ崎市 renewal, the renewal's rule (代理人 A 1点), not the reset's A/B rules."""
    slots = {"municipality": "ryugasaki", "procedure": "certificate_renewal", "applicant_type": "voluntary_proxy"}
    _, messages = run(ActionAnswerIdentityDocuments(), make_tracker(slots=slots, intent="identity_documents"))
    text = texts(messages)
    assert "・代理人の本人確認書類Aを1点" in text
    assert "Aから2点" not in text and "Bから2点" not in text


@pytest.mark.parametrize("mid", list(CITY_NAMES))
def test_contact_for_known_city(make_tracker, run, mid: str) -> None:
    events, messages = run(ActionAnswerContact(), make_tracker(slots={"municipality": mid}, intent="human_handoff"))
    assert events == []
    assert len(messages) == 1
    head = "担当窓口は次のとおりです。" if mid == "ryugasaki" else "担当窓口へのお問い合わせ先は次のとおりです。"
    assert messages[0]["text"].startswith(f"{head}\n{CONTACT_LINE[mid]}\n出典：")
    for other in CITY_NAMES:
        if other != mid:
            assert CONTACT_LINE[other] not in messages[0]["text"]


def test_contact_for_unknown_city_lists_all(make_tracker, run) -> None:
    events, messages = run(ActionAnswerContact(), make_tracker(intent="human_handoff"))
    assert events == []
    for mid in CITY_NAMES:
        assert CONTACT_LINE[mid] in messages[0]["text"]


def test_out_of_scope_with_env_city(make_tracker, run, monkeypatch) -> None:
    monkeypatch.setenv("DEFAULT_MUNICIPALITY", "tajimi")
    events, messages = run(ActionAnswerOutOfScope(), make_tracker(text="ごみの出し方", intent="out_of_scope"))
    assert events == []
    assert messages[0]["text"].startswith(
        "申し訳ありません。このチャットボットは、マイナンバーカードの暗証番号と電子証明書の手続きについてのみご案内しています。"
    )
    assert "その他のご用件は多治見市のホームページをご覧いただくか、お問い合わせください。" in messages[0]["text"]
    assert messages[0]["text"].endswith(CONTACT_LINE["tajimi"])


def test_out_of_scope_without_city(make_tracker, run) -> None:
    _, messages = run(ActionAnswerOutOfScope(), make_tracker(text="天気は?", intent="out_of_scope"))
    assert messages[0]["text"].endswith(
        "その他のご用件は、お住まいの市のホームページをご覧いただくか、市役所へお問い合わせください。"
    )


@pytest.mark.parametrize(
    "pending, expected",
    [
        ("office_hours", "action_answer_office_hours"),
        ("identity_documents", "action_answer_identity_documents"),
        ("human_handoff", None),
        (None, None),
        ("", None),
    ],
)
def test_pending_question_action(pending, expected) -> None:
    action = pending_question_action(pending)
    assert (action.name() if action else None) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ゆうちょのキャッシュカードの暗証番号がわからない", "銀行・カード会社"),
        ("iPhoneのパスコードを変更したい", "メーカー"),
        ("マイナンバーカードをなくしました", "このチャットでは暗証番号の手続きをご案内しています"),
    ],
)
def test_out_of_scope_topic_from_the_residents_words(make_tracker, run, text: str, expected: str) -> None:
    """Issue 9: the out-of-scope answer says where the resident's own topic is handled."""
    _, messages = run(ActionAnswerOutOfScope(), make_tracker(text=text, intent="out_of_scope"))
    assert expected in messages[0]["text"]
