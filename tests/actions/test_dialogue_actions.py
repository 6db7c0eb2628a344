"""ActionHandleInform, the case's city resolution, the two fallback stages, and actions.settings."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any, Dict

import pytest
from rasa_sdk.events import SlotSet, UserUtteranceReverted

from actions import settings
from actions.answers import ActionHandleInform
from actions.context import read_case
from actions.fallback import ActionDefaultAskAffirmation, ActionDefaultFallback
from tests.actions.action_expect import CITY_NAMES, CONTACT_LINE

KEY = partial(SlotSet, "answer_key")  # set by every answer (actions/feedback.py)
HOW_CAN_I_HELP: Dict[str, Any] = {
    "text": None,
    "buttons": [],
    "elements": [],
    "custom": {},
    "template": "utter_how_can_i_help",
    "response": "utter_how_can_i_help",
    "image": None,
    "attachment": None,
}


@pytest.mark.parametrize(
    "action, name",
    [
        (ActionHandleInform(), "action_handle_inform"),
        (ActionDefaultAskAffirmation(), "action_default_ask_affirmation"),
        (ActionDefaultFallback(), "action_default_fallback"),
    ],
)
def test_names_are_in_the_domain(domain, action, name: str) -> None:
    assert action.name() == name
    assert name in domain["actions"]


# (slots, metadata, env city) → (events, messages)
INFORM = [
    pytest.param(
        {"pending_question": "office_hours", "municipality": "mitaka"},
        {},
        None,
        [KEY("hours|mitaka|-|-|office_hours"), SlotSet("municipality", "mitaka"), SlotSet("pending_question", None)],
        "【三鷹市】",
        id="pending-hours-city-slot",
    ),
    pytest.param(
        {"pending_question": "identity_documents", "municipality": "chiba", "procedure": "pin_reset"},
        {},
        None,
        [
            KEY("faq|chiba|pin_reset|-|identity_documents"),
            SlotSet("municipality", "chiba"),
            SlotSet("pending_question", None),
        ],
        "【千葉市】本人確認書類",
        id="pending-ids-wins-over-case",
    ),
    pytest.param(
        {"pending_question": "office_hours"},
        {"municipality": "tajimi"},
        None,
        [KEY("hours|tajimi|-|-|office_hours"), SlotSet("municipality", "tajimi"), SlotSet("pending_question", None)],
        "【多治見市】",
        id="pending-hours-metadata-city",
    ),
    pytest.param(
        {"pending_question": "office_hours"},
        {},
        "ryugasaki",
        [
            KEY("hours|ryugasaki|-|-|office_hours"),
            SlotSet("municipality", "ryugasaki"),
            SlotSet("pending_question", None),
        ],
        "【龍ケ崎市】",
        id="pending-hours-env-city",
    ),
    pytest.param({"pending_question": "office_hours"}, {}, None, [], [HOW_CAN_I_HELP], id="pending-hours-no-city"),
    pytest.param(
        {"pending_question": "office_hours", "procedure": "pin_reset"},
        {},
        None,
        [],
        [HOW_CAN_I_HELP],
        id="pending-no-city-but-case",
    ),
    pytest.param(
        {"procedure": "pin_change", "applicant_type": "self"},
        {},
        None,
        [],
        [HOW_CAN_I_HELP],
        id="case-is-the-rules-job",
    ),
    pytest.param(
        {"procedure": "certificate_renewal"},
        {},
        "mitaka",
        [],
        [HOW_CAN_I_HELP],
        id="case-missing-pieces-is-the-rules-job",
    ),
    pytest.param({"municipality": "mitaka"}, {}, None, [], [HOW_CAN_I_HELP], id="city-only"),
    pytest.param(
        {"pending_question": "human_handoff", "municipality": "mitaka"},
        {},
        None,
        [],
        [HOW_CAN_I_HELP],
        id="unknown-pending",
    ),
    pytest.param({}, {}, None, [], [HOW_CAN_I_HELP], id="nothing-known"),
    pytest.param({"procedure": "bogus"}, {}, None, [], [HOW_CAN_I_HELP], id="bogus-procedure"),
]


@pytest.mark.parametrize("slots, metadata, env_city, events, messages", INFORM)
def test_handle_inform(make_tracker, run, monkeypatch, slots, metadata, env_city, events, messages) -> None:
    if env_city:
        monkeypatch.setenv("DEFAULT_MUNICIPALITY", env_city)
    tracker = make_tracker(slots=slots, text="はい", intent="inform", metadata=metadata)
    result, sent = run(ActionHandleInform(), tracker)
    assert result == events
    if isinstance(messages, str):
        # The pending question is answered in this very action, for that city.
        assert sent and sent[0]["text"].startswith(messages)
    else:
        assert sent == messages


# (slots, latest metadata, env city) → the municipality the answers use
CITY = [
    pytest.param({"municipality": "mitaka"}, {}, None, "mitaka", id="slot"),
    pytest.param({}, {}, None, None, id="nothing-known"),
    pytest.param({}, {"municipality": "tajimi"}, None, "tajimi", id="message-metadata"),
    pytest.param({}, {"municipality": "龍ケ崎市"}, None, "ryugasaki", id="metadata-japanese-name"),
    pytest.param(
        {"session_started_metadata": {"municipality": "chiba"}}, {}, None, "chiba", id="session-started-metadata"
    ),
    pytest.param({}, {}, "ryugasaki", "ryugasaki", id="env-city"),
    pytest.param({}, {"municipality": "chiba"}, "mitaka", "chiba", id="page-wins-over-env"),
    pytest.param(
        {"municipality": "mitaka"}, {"municipality": "chiba"}, None, "mitaka", id="resident-choice-wins-over-page"
    ),
    pytest.param({"municipality": "みたかし"}, {}, None, "mitaka", id="slot-reading-normalised"),
    pytest.param({}, {"municipality": "yokohama"}, None, None, id="unknown-metadata-city"),
]


@pytest.mark.parametrize("slots, metadata, env_city, expected", CITY)
def test_case_municipality(make_tracker, monkeypatch, slots, metadata, env_city, expected) -> None:
    """Without a custom session start, every answer resolves the city the same way (slot, page, deployment)."""
    if env_city:
        monkeypatch.setenv("DEFAULT_MUNICIPALITY", env_city)
    else:
        monkeypatch.delenv("DEFAULT_MUNICIPALITY", raising=False)
    assert read_case(make_tracker(slots=slots, metadata=metadata)).municipality == expected


ASK_TEXT = "すみません、ご用件を確認させてください。次のうちどれに近いですか。"


@pytest.mark.parametrize(
    "ranking, expected",
    [
        pytest.param(
            [
                {"name": "nlu_fallback", "confidence": 0.5},
                {"name": "office_hours", "confidence": 0.3},
                {"name": "greet", "confidence": 0.1},
                {"name": "forgot_pin", "confidence": 0.05},
                {"name": "identity_documents", "confidence": 0.03},
                {"name": "change_pin", "confidence": 0.02},
            ],
            [
                ("窓口と受付時間", "/office_hours"),
                ("暗証番号を忘れた", "/forgot_pin"),
                ("本人確認書類", "/identity_documents"),
            ],
            id="top-three-known-topics",
        ),
        pytest.param(
            [{"name": "pin_locked", "confidence": 0.4}, {"name": "convenience_store_reset", "confidence": 0.3}],
            [("暗証番号がロックされた", "/pin_locked"), ("コンビニでの再設定", "/convenience_store_reset")],
            id="two-topics",
        ),
        pytest.param(
            [
                {"name": "renew_certificate", "confidence": 0.4},
                {"name": "proxy_help", "confidence": 0.3},
                {"name": "pin_rules", "confidence": 0.2},
                {"name": "human_handoff", "confidence": 0.1},
            ],
            [
                ("電子証明書の更新", "/renew_certificate"),
                ("代理人の手続き", "/proxy_help"),
                ("暗証番号の種類と桁数", "/pin_rules"),
            ],
            id="at-most-three",
        ),
        pytest.param(
            [{"name": "greet", "confidence": 0.6}, {"name": "out_of_scope", "confidence": 0.4}],
            [
                ("暗証番号を忘れた", "/forgot_pin"),
                ("暗証番号がロックされた", "/pin_locked"),
                ("暗証番号を変更したい", "/change_pin"),
            ],
            id="no-known-topic-defaults",
        ),
        pytest.param(
            [],
            [
                ("暗証番号を忘れた", "/forgot_pin"),
                ("暗証番号がロックされた", "/pin_locked"),
                ("暗証番号を変更したい", "/change_pin"),
            ],
            id="empty-ranking",
        ),
    ],
)
def test_ask_affirmation(make_tracker, run, ranking, expected) -> None:
    tracker = make_tracker(text="えーと", intent="nlu_fallback", intent_ranking=ranking)
    events, messages = run(ActionDefaultAskAffirmation(), tracker)
    assert events == []
    assert len(messages) == 1
    assert messages[0]["text"] == ASK_TEXT
    buttons = [(b["title"], b["payload"]) for b in messages[0]["buttons"]]
    assert buttons == expected + [("どれでもない", "/out_of_scope")]


# Issue 22: the fallback no longer gives up: a rephrase, the menu (its buttons), then the phone.
FALLBACK_HEAD = (
    "申し訳ありません。うまくご案内できませんでした。別の言い方でもう一度入力していただくか、"
    "下のメニューからお選びください。担当窓口へのお問い合わせもできます。\n"
)


@pytest.mark.parametrize("mid", list(CITY_NAMES))
def test_default_fallback_with_city(make_tracker, run, mid: str) -> None:
    events, messages = run(ActionDefaultFallback(), make_tracker(slots={"municipality": mid}, text="？？？"))
    assert events == [UserUtteranceReverted()]
    assert events == [{"event": "rewind", "timestamp": None}]
    assert [m["text"] for m in messages[:1]] == [FALLBACK_HEAD + CONTACT_LINE[mid]]
    assert [m.get("response") for m in messages[1:]] == ["utter_how_can_i_help"]  # the menu with its buttons


def test_default_fallback_offers_the_menu_from_the_domain(domain) -> None:
    """The menu the fallback sends is the domain's, with its buttons (one place for the menu)."""
    menu = domain["responses"]["utter_how_can_i_help"][0]
    assert {b["payload"] for b in menu["buttons"]} >= {"/forgot_pin", "/change_pin", "/office_hours"}


def test_default_fallback_without_city_lists_all(make_tracker, run) -> None:
    events, messages = run(ActionDefaultFallback(), make_tracker(text="？？？"))
    assert events == [UserUtteranceReverted()]
    assert len(messages) == 2
    assert messages[0]["text"].startswith(FALLBACK_HEAD)
    for mid in CITY_NAMES:
        assert CONTACT_LINE[mid] in messages[0]["text"]


def test_default_fallback_with_metadata_city(make_tracker, run) -> None:
    _, messages = run(ActionDefaultFallback(), make_tracker(text="？？？", metadata={"municipality": "chiba"}))
    assert messages[0]["text"] == FALLBACK_HEAD + CONTACT_LINE["chiba"]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-06-14T10:00:00+09:00", dt.datetime(2025, 6, 14, 10, 0, tzinfo=settings.TOKYO)),
        ("2025-06-14T10:00:00", dt.datetime(2025, 6, 14, 10, 0, tzinfo=settings.TOKYO)),
        ("2025-06-14T01:00:00+00:00", dt.datetime(2025, 6, 14, 10, 0, tzinfo=settings.TOKYO)),
    ],
)
def test_settings_now_pinned(monkeypatch, value: str, expected: dt.datetime) -> None:
    monkeypatch.setenv("PINBOT_NOW", value)
    moment = settings.now()
    assert moment == expected
    assert moment.tzinfo is not None


def test_settings_now_unpinned_is_tokyo(monkeypatch) -> None:
    monkeypatch.delenv("PINBOT_NOW", raising=False)
    moment = settings.now()
    assert moment.utcoffset() == dt.timedelta(hours=9)
    assert abs((moment - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 60


@pytest.mark.parametrize("value, expected", [(" mitaka ", "mitaka"), ("", None), ("   ", None)])
def test_settings_default_municipality(monkeypatch, value: str, expected) -> None:
    monkeypatch.setenv("DEFAULT_MUNICIPALITY", value)
    assert settings.default_municipality() == expected


def test_inform_that_names_a_procedure_starts_the_case(make_tracker, run) -> None:
    """「龍ケ崎市在住です。任意代理人として暗証番号を再設定したいです」 read as inform: the case starts, never the menu."""
    from rasa_sdk.events import FollowupAction, SlotSet

    text = "龍ケ崎市在住です。任意代理人として暗証番号を再設定したいです"
    events, messages = run(ActionHandleInform(), make_tracker(text=text, intent="inform"))
    assert events == [SlotSet("procedure", "pin_reset"), FollowupAction("pin_case_form")]
    assert messages == []


@pytest.mark.parametrize(
    "text, ranking, first",
    [
        (
            "千葉市です。祖母の暗証番号がロックされたので、代理で手続きをしたいです",
            [{"name": "proxy_help", "confidence": 0.4}, {"name": "pin_locked", "confidence": 0.37}],
            ("暗証番号がロックされた", "/pin_locked"),
        ),
        (
            "任意代理人として再設定をしたい",
            [{"name": "inform", "confidence": 0.5}],
            ("暗証番号を忘れた", "/forgot_pin"),
        ),
        (
            "父の電子証明書を更新したいのですが",
            [{"name": "proxy_help", "confidence": 0.5}],
            ("電子証明書の更新", "/renew_certificate"),
        ),
    ],
)
def test_ask_affirmation_offers_the_named_procedure_first(make_tracker, run, text, ranking, first) -> None:
    """An unclear message that names a procedure is offered that procedure first, never only the menu."""
    _, messages = run(
        ActionDefaultAskAffirmation(), make_tracker(text=text, intent="nlu_fallback", intent_ranking=ranking)
    )
    assert (messages[0]["buttons"][0]["title"], messages[0]["buttons"][0]["payload"]) == first
