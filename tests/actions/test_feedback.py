"""Issue 23: 👍/👎 under every answer, the answer key it counts for, and the replies to a rating and 👎's reason."""

from __future__ import annotations

import pytest
from rasa_sdk.events import ActionExecuted, SlotSet, UserUttered

from actions.answers import (
    ActionAnswerCase,
    ActionAnswerCaseDetails,
    ActionAnswerContact,
    ActionAnswerConvenienceStore,
    ActionAnswerIdentityDocuments,
    ActionAnswerOfficeHours,
    ActionAnswerOutOfScope,
    ActionAnswerPinRules,
    ActionHandleInform,
)
from actions.feedback import ActionFeedback
from tests.actions.action_expect import CONTACT_LINE, texts

HELPFUL = ("👍 役に立った", '/feedback{"rating":"helpful"}')
NOT_HELPFUL = ("👎 役に立たなかった", '/feedback{"rating":"not_helpful"}')
REASONS = [
    ("情報が足りない", '/feedback_reason{"reason":"missing_info"}'),
    ("自分の場合と違う", '/feedback_reason{"reason":"different_case"}'),
    ("分かりにくい", '/feedback_reason{"reason":"unclear"}'),
]
THANKS = "ご回答ありがとうございます。"
GENERIC_CONTACT = "お住まいの市役所の担当窓口へお問い合わせください。"
CASE = {"municipality": "mitaka", "procedure": "pin_reset", "applicant_type": "self"}


def buttons(message) -> list[tuple[str, str]]:
    return [(button["title"], button["payload"]) for button in message.get("buttons") or []]


def user(text: str, intent: str) -> UserUttered:
    return UserUttered(text, parse_data={"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []})


def test_the_feedback_action_is_in_the_domain(domain) -> None:
    assert ActionFeedback().name() in domain["actions"]
    assert {"feedback", "feedback_reason"} <= set(domain["intents"])
    assert {"rating", "reason"} <= set(domain["entities"])
    assert domain["slots"]["answer_key"]["influence_conversation"] is False


# (action, slots, intent of the latest message) → the answer key; the checklist's intent is the case's first message.
ANSWERS = [
    pytest.param(ActionAnswerCase(), CASE, "inform", "checklist|mitaka|pin_reset|self|forgot_pin", id="checklist"),
    pytest.param(ActionAnswerCaseDetails(), CASE, "case_details", "checklist|mitaka|pin_reset|self|case_details"),
    pytest.param(ActionAnswerOfficeHours(), {"municipality": "chiba"}, "office_hours", "hours|chiba|-|-|office_hours"),
    pytest.param(ActionAnswerPinRules(), {}, "pin_rules", "faq|-|-|-|pin_rules", id="faq-no-city"),
    pytest.param(
        ActionAnswerConvenienceStore(),
        {"municipality": "tajimi"},
        "convenience_store_reset",
        "faq|tajimi|-|-|convenience_store_reset",
    ),
    pytest.param(
        ActionAnswerIdentityDocuments(),
        {**CASE, "municipality": "ryugasaki"},
        "identity_documents",
        "faq|ryugasaki|pin_reset|self|identity_documents",
    ),
]


@pytest.mark.parametrize("action, slots, intent, key", ANSWERS)
def test_every_answer_sets_its_key_and_ends_with_the_rating(make_tracker, run, action, slots, intent, key) -> None:
    events = [ActionExecuted("action_listen"), user("暗証番号を忘れた", "forgot_pin"), ActionExecuted("pin_case_form")]
    events += [ActionExecuted("action_listen"), user("はい", intent)]
    result, messages = run(action, make_tracker(slots=slots, intent=intent, events=events))
    assert result[0] == SlotSet("answer_key", key)
    assert all(not message["buttons"] for message in messages[:-1])
    offered = buttons(messages[-1])
    assert offered[-2:] == [HELPFUL, NOT_HELPFUL]  # after the answer's own buttons


def test_the_answers_own_buttons_come_first(make_tracker, run) -> None:
    _, messages = run(ActionAnswerCase(), make_tracker(slots=CASE))
    assert [title for title, _ in buttons(messages[-1])] == [
        "窓口の詳しい案内",
        "本人確認書類の一覧",
        "手続きの流れと注意",
        HELPFUL[0],
        NOT_HELPFUL[0],
    ]


def test_a_pending_question_answered_sets_the_key_for_the_city_given(make_tracker, run) -> None:
    tracker = make_tracker(slots={"pending_question": "office_hours", "municipality": "chiba"}, intent="inform")
    events, messages = run(ActionHandleInform(), tracker)
    assert events[0] == SlotSet("answer_key", "hours|chiba|-|-|office_hours")
    assert buttons(messages[-1])[-2:] == [HELPFUL, NOT_HELPFUL]


@pytest.mark.parametrize(
    "action, slots",
    [
        pytest.param(ActionAnswerCase(), {"municipality": "mitaka"}, id="incomplete-case"),
        pytest.param(ActionAnswerOfficeHours(), {}, id="asks-the-city"),
        pytest.param(ActionAnswerCaseDetails(), {}, id="no-case-the-menu"),
        pytest.param(ActionAnswerContact(), {"municipality": "mitaka"}, id="contact"),
        pytest.param(ActionAnswerOutOfScope(), {"municipality": "mitaka"}, id="out-of-scope"),
    ],
)
def test_no_rating_where_nothing_was_answered(make_tracker, run, action, slots) -> None:
    events, messages = run(action, make_tracker(slots=slots, text="天気は?", intent="office_hours"))
    assert not any(isinstance(event, dict) and event.get("name") == "answer_key" for event in events)
    assert all(HELPFUL not in buttons(message) and NOT_HELPFUL not in buttons(message) for message in messages)


def test_rating_buttons_fit_line_quick_replies(make_tracker, run) -> None:
    """LINE labels hold 20 UTF-16 units (an emoji counts twice); a checklist's choices stay far below 13."""
    _, messages = run(ActionAnswerCase(), make_tracker(slots=CASE))
    offered = buttons(messages[-1])
    assert len(offered) <= 13
    assert all(len(title.encode("utf-16-le")) // 2 <= 20 for title, _ in offered + REASONS)


def rate(make_tracker, run, intent: str, entity: str, value: str, answer_key: str | None):
    tracker = make_tracker(
        slots={"answer_key": answer_key},
        text=f'/{intent}{{"{entity}":"{value}"}}',
        intent=intent,
        entities=[{"entity": entity, "value": value}],
    )
    return run(ActionFeedback(), tracker)


def test_helpful_is_thanked(make_tracker, run) -> None:
    events, messages = rate(make_tracker, run, "feedback", "rating", "helpful", "faq|-|-|-|pin_rules")
    assert events == []
    assert [(m["text"], m["buttons"]) for m in messages] == [
        (f"{THANKS}ほかにもご不明な点があれば入力してください。", [])
    ]


def test_not_helpful_offers_reasons_as_buttons_only(make_tracker, run) -> None:
    events, messages = rate(make_tracker, run, "feedback", "rating", "not_helpful", "hours|chiba|-|-|office_hours")
    assert events == []
    assert [m["text"] for m in messages] == ["よろしければ理由をお選びください。"]
    assert buttons(messages[0]) == REASONS


@pytest.mark.parametrize("mid", list(CONTACT_LINE))
@pytest.mark.parametrize("reason", ["missing_info", "different_case", "unclear"])
def test_a_reason_is_thanked_with_the_answers_office(make_tracker, run, mid: str, reason: str) -> None:
    key = f"checklist|{mid}|pin_reset|self|forgot_pin"
    events, messages = rate(make_tracker, run, "feedback_reason", "reason", reason, key)
    assert events == []
    assert messages[0]["text"] == THANKS
    text = texts(messages)
    assert CONTACT_LINE[mid] in text
    assert [other for other in CONTACT_LINE if other != mid and CONTACT_LINE[other] in text] == []
    assert all(not message["buttons"] for message in messages)


@pytest.mark.parametrize("key", ["faq|-|-|-|pin_rules", None, "garbage"])
def test_a_reason_without_a_city_gets_the_generic_contact(make_tracker, run, key) -> None:
    _, messages = rate(make_tracker, run, "feedback_reason", "reason", "unclear", key)
    assert [m["text"] for m in messages] == [f"{THANKS}\n{GENERIC_CONTACT}"]
