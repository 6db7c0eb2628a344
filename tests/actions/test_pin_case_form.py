"""validate_pin_case_form: which questions are asked, free-text extraction and validation."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import ValidatePinCaseForm
from tests.actions.action_expect import CITY_NAMES

FORM = ValidatePinCaseForm()
UNKNOWN_CITY_MESSAGE = "申し訳ありません。このチャットボットがご案内できるのは千葉市・三鷹市・龍ケ崎市・多治見市です。お住まいの市を選んでください。"
UNKNOWN_APPLICANT_MESSAGE = "すみません、どなたが手続きをされるか読み取れませんでした。下のボタンから選んでください。"


def test_name() -> None:
    assert FORM.name() == "validate_pin_case_form"
    assert FORM.form_name() == "pin_case_form"


def test_domain_form_slots(domain: Dict[str, Any]) -> None:
    assert FORM.domain_slots(domain) == ["procedure", "applicant_type", "municipality", "pin_type", "knows_other_pin"]


REQUIRED = [
    ({}, ["procedure", "applicant_type", "municipality"]),
    ({"procedure": "bogus"}, ["procedure", "applicant_type", "municipality"]),
    ({"procedure": "pin_reset"}, ["applicant_type", "municipality"]),
    ({"procedure": "pin_reset", "applicant_type": "self"}, ["applicant_type", "municipality", "pin_type"]),
    (
        {"procedure": "pin_reset", "applicant_type": "self", "pin_type": "signature"},
        ["applicant_type", "municipality", "pin_type", "knows_other_pin"],
    ),
    (
        {"procedure": "pin_reset", "applicant_type": "self", "pin_type": "user_auth"},
        ["applicant_type", "municipality", "pin_type", "knows_other_pin"],
    ),
    (
        {"procedure": "pin_reset", "applicant_type": "self", "pin_type": "resident_registry"},
        ["applicant_type", "municipality", "pin_type"],
    ),
    (
        {"procedure": "pin_reset", "applicant_type": "self", "pin_type": "four_digit"},
        ["applicant_type", "municipality", "pin_type"],
    ),
    (
        {"procedure": "pin_reset", "applicant_type": "self", "pin_type": "all"},
        ["applicant_type", "municipality", "pin_type"],
    ),
    ({"procedure": "pin_change", "applicant_type": "self"}, ["applicant_type", "municipality"]),
    (
        {"procedure": "pin_change", "applicant_type": "self", "pin_type": "signature"},
        ["applicant_type", "municipality"],
    ),
    ({"procedure": "pin_reset", "applicant_type": "legal_representative"}, ["applicant_type", "municipality"]),
    (
        {"procedure": "pin_reset", "applicant_type": "legal_representative", "pin_type": "signature"},
        ["applicant_type", "municipality"],
    ),
    ({"procedure": "pin_reset", "applicant_type": "voluntary_proxy"}, ["applicant_type", "municipality"]),
    ({"procedure": "certificate_renewal", "applicant_type": "self"}, ["applicant_type", "municipality"]),
]


@pytest.mark.parametrize("slots, expected", REQUIRED)
def test_required_slots(
    make_tracker, dispatcher: CollectingDispatcher, domain: Dict[str, Any], slots: Dict[str, Any], expected: List[str]
) -> None:
    tracker = make_tracker(slots=slots)
    assert asyncio.run(FORM.required_slots(FORM.domain_slots(domain), dispatcher, tracker, domain)) == expected
    assert dispatcher.messages == []


def extract(method: str, make_tracker, dispatcher, domain, **kwargs) -> Dict[str, Any]:
    tracker = make_tracker(**kwargs)
    return asyncio.run(getattr(FORM, f"extract_{method}")(dispatcher, tracker, domain))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("自分です", {"applicant_type": "self"}),
        ("本人です", {"applicant_type": "self"}),
        ("じぶんでいきます", {"applicant_type": "self"}),
        ("母の代わりに", {"applicant_type": "voluntary_proxy"}),
        ("家族が行きます", {"applicant_type": "voluntary_proxy"}),
        ("委任状を持って行きます", {"applicant_type": "voluntary_proxy"}),
        ("子どもの分です", {"applicant_type": "legal_representative"}),
        ("親権者です", {"applicant_type": "legal_representative"}),
        ("１５歳未満の息子", {"applicant_type": "legal_representative"}),
        ("うーん", {}),
        ("", {}),
    ],
)
def test_extract_applicant_type_from_free_text(
    make_tracker, dispatcher, domain, text: str, expected: Dict[str, Any]
) -> None:
    result = extract(
        "applicant_type",
        make_tracker,
        dispatcher,
        domain,
        slots={"requested_slot": "applicant_type", "procedure": "pin_reset"},
        text=text,
        intent="inform",
    )
    assert result == expected


@pytest.mark.parametrize(
    "slots, entities",
    [
        ({"requested_slot": "municipality"}, []),  # another question is being asked
        ({"requested_slot": "applicant_type", "applicant_type": "voluntary_proxy"}, []),  # already answered
        ({"requested_slot": "applicant_type"}, [{"entity": "applicant_type", "value": "self"}]),  # NLU found it
    ],
)
def test_extract_applicant_type_only_when_asked_and_missing(make_tracker, dispatcher, domain, slots, entities) -> None:
    assert (
        extract("applicant_type", make_tracker, dispatcher, domain, slots=slots, text="自分です", entities=entities)
        == {}
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("みたかし", {"municipality": "mitaka"}),
        ("三鷹市です", {"municipality": "mitaka"}),
        ("千葉に住んでいます", {"municipality": "chiba"}),
        ("たじみ", {"municipality": "tajimi"}),
        ("竜ヶ崎です", {"municipality": "ryugasaki"}),
        ("横浜市", {}),
        ("千葉県", {}),
        ("三鷹か千葉", {}),  # two cities: do not guess
        ("", {}),
    ],
)
def test_extract_municipality_from_free_text(
    make_tracker, dispatcher, domain, text: str, expected: Dict[str, Any]
) -> None:
    assert (
        extract(
            "municipality",
            make_tracker,
            dispatcher,
            domain,
            slots={"requested_slot": "municipality"},
            text=text,
            intent="inform",
        )
        == expected
    )


def test_extract_municipality_not_asked(make_tracker, dispatcher, domain) -> None:
    assert (
        extract(
            "municipality",
            make_tracker,
            dispatcher,
            domain,
            slots={"requested_slot": "applicant_type"},
            text="みたかし",
        )
        == {}
    )


def test_extract_municipality_keeps_a_filled_slot(make_tracker, dispatcher, domain, monkeypatch) -> None:
    monkeypatch.setenv("DEFAULT_MUNICIPALITY", "chiba")
    result = extract(
        "municipality",
        make_tracker,
        dispatcher,
        domain,
        slots={"requested_slot": "municipality", "municipality": "mitaka"},
        text="多治見",
        metadata={"municipality": "tajimi"},
    )
    assert result == {}


@pytest.mark.parametrize(
    "metadata, env, requested, expected",
    [
        ({"municipality": "tajimi"}, None, None, {"municipality": "tajimi"}),
        ({"municipality": "多治見市"}, None, "applicant_type", {"municipality": "tajimi"}),
        (
            {"municipality": "ryugasaki"},
            "chiba",
            "municipality",
            {"municipality": "ryugasaki"},
        ),  # the page wins over the deployment
        ({}, "chiba", None, {"municipality": "chiba"}),
        ({}, "mitaka", "applicant_type", {"municipality": "mitaka"}),
        ({"municipality": "yokohama"}, None, None, {}),
        ({}, "yokohama", None, {}),
    ],
)
def test_extract_municipality_from_metadata_or_env(
    make_tracker, dispatcher, domain, monkeypatch, metadata, env, requested, expected
) -> None:
    if env:
        monkeypatch.setenv("DEFAULT_MUNICIPALITY", env)
    assert (
        extract(
            "municipality",
            make_tracker,
            dispatcher,
            domain,
            slots={"requested_slot": requested},
            text="はい",
            metadata=metadata,
        )
        == expected
    )


@pytest.mark.parametrize(
    "text, intent, expected",
    [
        ("e-Taxのほう", "inform", {"pin_type": "signature"}),
        ("Ｅ－ＴＡＸで使うやつ", "inform", {"pin_type": "signature"}),
        ("署名用です", "inform", {"pin_type": "signature"}),
        ("マイナポータルにログインするほう", "inform", {"pin_type": "user_auth"}),
        ("住基の暗証番号", "inform", {"pin_type": "resident_registry"}),
        ("券面のやつ", "inform", {"pin_type": "text_input"}),
        ("4桁のほう", "inform", {"pin_type": "four_digit"}),
        ("わからない", "inform", {"pin_type": "all"}),
        ("全部です", "inform", {"pin_type": "all"}),
        ("いいえ", "deny", {"pin_type": "all"}),
        ("うーん", "inform", {}),
    ],
)
def test_extract_pin_type(make_tracker, dispatcher, domain, text: str, intent: str, expected: Dict[str, Any]) -> None:
    slots = {"requested_slot": "pin_type", "procedure": "pin_reset", "applicant_type": "self"}
    assert extract("pin_type", make_tracker, dispatcher, domain, slots=slots, text=text, intent=intent) == expected


@pytest.mark.parametrize("requested", ["municipality", "knows_other_pin"])
def test_extract_pin_type_only_when_asked(make_tracker, dispatcher, domain, requested) -> None:
    assert (
        extract(
            "pin_type",
            make_tracker,
            dispatcher,
            domain,
            slots={"requested_slot": requested},
            text="e-Taxのほう",
            intent="deny",
        )
        == {}
    )


def test_first_message_states_the_pin_and_the_applicant(make_tracker, dispatcher, domain) -> None:
    """Nothing asked yet (requested_slot None): what the first message states is taken, so it is never asked."""
    assert extract(
        "pin_type",
        make_tracker,
        dispatcher,
        domain,
        slots={"requested_slot": None},
        text="e-Taxの暗証番号を忘れた",
        intent="forgot_pin",
    ) == {"pin_type": "signature"}
    assert extract(
        "applicant_type",
        make_tracker,
        dispatcher,
        domain,
        slots={"requested_slot": None},
        text="自分です",
        intent="forgot_pin",
    ) == {"applicant_type": "self"}


@pytest.mark.parametrize(
    "text, intent, expected",
    [
        ("はい", "affirm", {"knows_other_pin": True}),
        ("いいえ", "deny", {"knows_other_pin": False}),
        ("わかります", "affirm", {"knows_other_pin": True}),
        ("覚えています", "inform", {"knows_other_pin": True}),
        ("そっちは忘れました", "inform", {"knows_other_pin": False}),
        ("わからないです", "inform", {"knows_other_pin": False}),
        ("知らない", "inform", {"knows_other_pin": False}),
        ("うーん", "inform", {}),
        # Negative polite forms: 「覚えていません」 contains 「覚えて」 (a 'yes' word) but none of the 'no' words.
        pytest.param("覚えていません", "inform", {"knows_other_pin": False}, id="oboete-imasen"),
        pytest.param("覚えてません", "inform", {"knows_other_pin": False}, id="oboete-masen"),
    ],
)
def test_extract_knows_other_pin(
    make_tracker, dispatcher, domain, text: str, intent: str, expected: Dict[str, Any]
) -> None:
    slots = {
        "requested_slot": "knows_other_pin",
        "procedure": "pin_reset",
        "applicant_type": "self",
        "pin_type": "signature",
    }
    assert (
        extract("knows_other_pin", make_tracker, dispatcher, domain, slots=slots, text=text, intent=intent) == expected
    )


@pytest.mark.parametrize("requested", ["pin_type", "municipality", None])
@pytest.mark.parametrize("intent", ["affirm", "deny"])
def test_extract_knows_other_pin_only_when_asked(make_tracker, dispatcher, domain, requested, intent) -> None:
    assert (
        extract(
            "knows_other_pin",
            make_tracker,
            dispatcher,
            domain,
            slots={"requested_slot": requested},
            text="はい",
            intent=intent,
        )
        == {}
    )


def validate(method: str, value: Any, make_tracker, dispatcher, domain) -> Dict[str, Any]:
    return getattr(FORM, f"validate_{method}")(value, dispatcher, make_tracker(), domain)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("mitaka", "mitaka"),
        ("三鷹市", "mitaka"),
        ("千葉", "chiba"),
        ("竜ケ崎", "ryugasaki"),
        ("たじみし", "tajimi"),
    ],
)
def test_validate_municipality_accepts_the_four_cities(
    make_tracker, dispatcher, domain, value: str, expected: str
) -> None:
    assert validate("municipality", value, make_tracker, dispatcher, domain) == {"municipality": expected}
    assert dispatcher.messages == []


@pytest.mark.parametrize("value", ["横浜市", "yokohama", "千葉県", "", None])
def test_validate_municipality_rejects_other_places(make_tracker, dispatcher, domain, value) -> None:
    assert validate("municipality", value, make_tracker, dispatcher, domain) == {"municipality": None}
    assert [m["text"] for m in dispatcher.messages] == [UNKNOWN_CITY_MESSAGE]
    for name in CITY_NAMES.values():
        assert name in dispatcher.messages[0]["text"]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("self", "self"),
        ("本人", "self"),
        ("任意代理人", "voluntary_proxy"),
        ("法定代理人", "legal_representative"),
        ("母の代わり", "voluntary_proxy"),
    ],
)
def test_validate_applicant_type(make_tracker, dispatcher, domain, value: str, expected: str) -> None:
    assert validate("applicant_type", value, make_tracker, dispatcher, domain) == {"applicant_type": expected}
    assert dispatcher.messages == []


@pytest.mark.parametrize("value", ["よくわからない", 3, None])
def test_validate_applicant_type_rejects(make_tracker, dispatcher, domain, value) -> None:
    assert validate("applicant_type", value, make_tracker, dispatcher, domain) == {"applicant_type": None}
    assert [m["text"] for m in dispatcher.messages] == [UNKNOWN_APPLICANT_MESSAGE]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("pin_reset", "pin_reset"),
        ("pin_change", "pin_change"),
        ("certificate_renewal", "certificate_renewal"),
        ("pin_lookup", None),
        (None, None),
    ],
)
def test_validate_procedure(make_tracker, dispatcher, domain, value, expected) -> None:
    assert validate("procedure", value, make_tracker, dispatcher, domain) == {"procedure": expected}


@pytest.mark.parametrize(
    "value, expected",
    [
        ("signature", "signature"),
        ("user_auth", "user_auth"),
        ("resident_registry", "resident_registry"),
        ("text_input", "text_input"),
        ("four_digit", "four_digit"),
        ("all", "all"),
        ("署名用", "signature"),
        ("住基", "resident_registry"),
        ("bogus", None),
        (None, None),
    ],
)
def test_validate_pin_type(make_tracker, dispatcher, domain, value, expected) -> None:
    assert validate("pin_type", value, make_tracker, dispatcher, domain) == {"pin_type": expected}


@pytest.mark.parametrize(
    "value, expected", [(True, True), (False, False), ("true", None), ("はい", None), (None, None)]
)
def test_validate_knows_other_pin(make_tracker, dispatcher, domain, value, expected) -> None:
    assert validate("knows_other_pin", value, make_tracker, dispatcher, domain) == {"knows_other_pin": expected}


# Whole turns as Rasa's form sends them: (slots, latest text, intent, slot candidates, env city, metadata) → events.
RUNS = [
    pytest.param(
        {},
        "こんにちは",
        "greet",
        [],
        None,
        {},
        [SlotSet("requested_slot", "procedure")],
        id="no-procedure-asks-procedure",
    ),
    pytest.param(
        # The domain's from_intent mapping has set procedure before the validation action runs.
        {"requested_slot": "procedure", "procedure": "pin_reset"},
        "暗証番号を忘れた",
        "forgot_pin",
        [SlotSet("procedure", "pin_reset")],
        None,
        {},
        [SlotSet("requested_slot", "applicant_type")],
        id="procedure-from-intent",
    ),
    pytest.param(
        {"requested_slot": "applicant_type", "procedure": "pin_reset"},
        "自分です",
        "inform",
        [],
        None,
        {},
        [SlotSet("applicant_type", "self"), SlotSet("requested_slot", "municipality")],
        id="self-then-city",
    ),
    pytest.param(
        {"requested_slot": "municipality", "procedure": "pin_reset", "applicant_type": "self"},
        "みたかし",
        "inform",
        [],
        None,
        {},
        [SlotSet("municipality", "mitaka"), SlotSet("requested_slot", "pin_type")],
        id="reset-self-asks-pin-type",
    ),
    pytest.param(
        {"requested_slot": "pin_type", "procedure": "pin_reset", "applicant_type": "self", "municipality": "mitaka"},
        "e-Taxのほう",
        "inform",
        [],
        None,
        {},
        [SlotSet("pin_type", "signature"), SlotSet("requested_slot", "knows_other_pin")],
        id="signature-asks-knows-other-pin",
    ),
    pytest.param(
        {"requested_slot": "pin_type", "procedure": "pin_reset", "applicant_type": "self", "municipality": "mitaka"},
        "住基の暗証番号",
        "inform",
        [],
        None,
        {},
        [SlotSet("pin_type", "resident_registry"), SlotSet("requested_slot", None)],
        id="resident-registry-done",
    ),
    pytest.param(
        {
            "requested_slot": "knows_other_pin",
            "procedure": "pin_reset",
            "applicant_type": "self",
            "municipality": "mitaka",
            "pin_type": "signature",
        },
        "はい",
        "affirm",
        [],
        None,
        {},
        [SlotSet("knows_other_pin", True), SlotSet("requested_slot", None)],
        id="affirm-done",
    ),
    pytest.param(
        {"requested_slot": "applicant_type", "procedure": "pin_change"},
        "自分です",
        "inform",
        [],
        None,
        {"municipality": "mitaka"},
        [SlotSet("applicant_type", "self"), SlotSet("municipality", "mitaka"), SlotSet("requested_slot", None)],
        id="change-metadata-city-no-pin-questions",
    ),
    pytest.param(
        {"requested_slot": "applicant_type", "procedure": "pin_reset"},
        "子どもの分です",
        "inform",
        [],
        "chiba",
        {},
        [
            SlotSet("applicant_type", "legal_representative"),
            SlotSet("municipality", "chiba"),
            SlotSet("requested_slot", None),
        ],
        id="legal-representative-env-city-no-pin-questions",
    ),
    pytest.param(
        {"requested_slot": "applicant_type", "procedure": "pin_reset"},
        "母の代わりに",
        "proxy_help",
        [],
        "ryugasaki",
        {},
        [
            SlotSet("applicant_type", "voluntary_proxy"),
            SlotSet("municipality", "ryugasaki"),
            SlotSet("requested_slot", None),
        ],
        id="voluntary-proxy-env-city",
    ),
    pytest.param(
        {
            "requested_slot": "municipality",
            "procedure": "pin_reset",
            "applicant_type": "voluntary_proxy",
            "municipality": "横浜市",
        },
        "横浜市です",
        "inform",
        [SlotSet("municipality", "横浜市")],
        None,
        {},
        [SlotSet("municipality", None), SlotSet("requested_slot", "municipality")],
        id="unknown-city-asked-again",
    ),
]


@pytest.mark.parametrize("slots, text, intent, candidates, env_city, metadata, expected", RUNS)
def test_form_turns(
    make_tracker, run, monkeypatch, slots, text, intent, candidates, env_city, metadata, expected
) -> None:
    if env_city:
        monkeypatch.setenv("DEFAULT_MUNICIPALITY", env_city)
    tracker = make_tracker(slots=slots, text=text, intent=intent, metadata=metadata, slot_events=candidates)
    events, messages = run(FORM, tracker)
    assert events == expected
    if any(event["name"] == "municipality" and event["value"] is None for event in expected):
        assert [m["text"] for m in messages] == [UNKNOWN_CITY_MESSAGE]
    else:
        assert messages == []


# The message that starts the case states the procedure, the applicant or the city: never asked again (issue 8).
FIRST_MESSAGES = [
    (
        "千葉市です。祖母の暗証番号がロックされたので、代理で手続きをしたいです",
        "proxy_help",
        {"procedure": "pin_reset", "applicant_type": "voluntary_proxy", "municipality": "chiba"},
    ),
    (
        "龍ケ崎市在住です。任意代理人として暗証番号を再設定したいです",
        "inform",
        {"procedure": "pin_reset", "applicant_type": "voluntary_proxy", "municipality": "ryugasaki"},
    ),
    (
        "みたかしに住んでいます。自分の暗証番号を忘れました",
        "forgot_pin",
        {"applicant_type": "self", "municipality": "mitaka"},
    ),
    (
        "母の電子証明書の更新を代わりにしたい",
        "proxy_help",
        {"procedure": "certificate_renewal", "applicant_type": "voluntary_proxy"},
    ),
]


@pytest.mark.parametrize("text, intent, expected", FIRST_MESSAGES)
def test_first_message_fills_what_it_states(
    make_tracker, dispatcher, domain, text: str, intent: str, expected: Dict[str, Any]
) -> None:
    tracker = make_tracker(text=text, intent=intent)
    for slot, value in expected.items():
        assert asyncio.run(getattr(FORM, f"extract_{slot}")(dispatcher, tracker, domain)) == {slot: value}


def test_a_later_unrelated_answer_is_not_read_as_the_applicant(make_tracker, dispatcher, domain) -> None:
    """Once the form asks for the city, 「母の住所は千葉市です」 fills the city, not the applicant."""
    tracker = make_tracker(
        slots={"procedure": "pin_reset", "requested_slot": "municipality"}, text="母の住所は千葉市です", intent="inform"
    )
    assert asyncio.run(FORM.extract_applicant_type(dispatcher, tracker, domain)) == {}
