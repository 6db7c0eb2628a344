"""PrivacyIntentOverride forces share_sensitive when a placeholder is present."""

from typing import Any, Dict, List

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.privacy_override import PrivacyIntentOverride


@pytest.fixture()
def override() -> PrivacyIntentOverride:
    """Component with its default config."""
    return PrivacyIntentOverride(PrivacyIntentOverride.get_default_config())


def _message(text: str, ranking: List[Dict[str, Any]]) -> Message:
    message = Message(data={TEXT: text})
    if ranking:
        message.set(INTENT, dict(ranking[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, [dict(r) for r in ranking], add_to_output=True)
    return message


RANKING = [
    {"name": "forgot_pin", "confidence": 0.7},
    {"name": "share_sensitive", "confidence": 0.2},
    {"name": "pin_locked", "confidence": 0.1},
]


@pytest.mark.parametrize("text", ["暗証番号は［暗証番号］です", "［個人番号］", "番号 ［個人番号］ と ［暗証番号］"])
def test_placeholder_forces_share_sensitive_first(override: PrivacyIntentOverride, text: str) -> None:
    message = _message(text, RANKING)
    override.process([message])
    assert message.get(INTENT) == {"name": "share_sensitive", "confidence": 1.0}
    ranking = message.get(INTENT_RANKING_KEY)
    assert ranking[0] == {"name": "share_sensitive", "confidence": 1.0}
    # The classifier's ranking follows, without a second share_sensitive entry.
    assert ranking[1:] == [RANKING[0], RANKING[2]]


def test_overrides_a_fallback_prediction(override: PrivacyIntentOverride) -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "greet", "confidence": 0.3}]
    message = _message("［暗証番号］", ranking)
    override.process([message])
    assert message.get(INTENT)["name"] == "share_sensitive"
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)] == ["share_sensitive", "nlu_fallback", "greet"]


def test_without_placeholder_nothing_changes(override: PrivacyIntentOverride) -> None:
    message = _message("暗証番号を忘れました 1234", RANKING)
    override.process([message])
    assert message.get(INTENT) == RANKING[0]
    assert message.get(INTENT_RANKING_KEY) == RANKING


@pytest.mark.parametrize("text", ["[暗証番号]", "暗証番号", "個人番号を教えて"])
def test_only_the_exact_full_width_placeholders_count(override: PrivacyIntentOverride, text: str) -> None:
    assert not override.applies_to(text)


def test_message_without_prior_intent_gets_one(override: PrivacyIntentOverride) -> None:
    message = _message("［個人番号］", [])
    override.process([message])
    assert message.get(INTENT_RANKING_KEY) == [{"name": "share_sensitive", "confidence": 1.0}]


def test_text_none_is_ignored(override: PrivacyIntentOverride) -> None:
    message = Message(data={})
    override.process([message])
    assert message.get(INTENT) is None


def test_output_properties_include_the_override(override: PrivacyIntentOverride) -> None:
    message = _message("［暗証番号］", RANKING)
    override.process([message])
    output = message.as_dict(only_output_properties=True)
    assert output[INTENT]["name"] == "share_sensitive"
    assert output[INTENT_RANKING_KEY][0]["name"] == "share_sensitive"


def test_placeholder_beyond_the_analysed_prefix_still_counts(override: PrivacyIntentOverride) -> None:
    from nlu_components.sudachi_tokenizer import ORIGINAL_TEXT_KEY

    message = _message("あ" * 10, RANKING)
    message.set(ORIGINAL_TEXT_KEY, "あ" * 5000 + "［暗証番号］")
    override.process([message])
    assert message.get(INTENT)["name"] == "share_sensitive"
