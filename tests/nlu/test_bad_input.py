"""Odd and hostile messages get an intent (possibly nlu_fallback), never an exception."""

from typing import Any, Dict

import pytest

from tools.nlu_lab.bench import BAD_INPUTS


def _assert_well_formed(text: str, result: Dict[str, Any]) -> None:
    intent = result.get("intent") or {}
    assert isinstance(intent.get("name"), str) and intent["name"]
    assert 0.0 <= float(intent.get("confidence", 0.0)) <= 1.0
    for ranked in result.get("intent_ranking") or []:
        assert 0.0 <= float(ranked["confidence"]) <= 1.0
    for entity in result.get("entities") or []:
        assert 0 <= entity["start"] < entity["end"] <= len(text)


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_gets_an_intent(nlu_parser: Any, name: str) -> None:
    text = BAD_INPUTS[name]
    _assert_well_formed(text, nlu_parser.parse(text))


@pytest.mark.parametrize("name", ["empty", "spaces", "ideographic_space", "newlines_tabs"])
def test_blank_text_falls_back(nlu_parser: Any, name: str) -> None:
    assert nlu_parser.parse(BAD_INPUTS[name])["intent"]["name"] == "nlu_fallback"


def test_placeholder_text_is_share_sensitive(nlu_parser: Any) -> None:
    result = nlu_parser.parse(BAD_INPUTS["placeholder"])
    assert result["intent"] == {"name": "share_sensitive", "confidence": 1.0}
    assert result["intent_ranking"][0]["name"] == "share_sensitive"
    assert len(result["intent_ranking"]) > 1  # the classifier's ranking is kept


def test_long_text_keeps_entity_offsets_in_range(nlu_parser: Any) -> None:
    text = BAD_INPUTS["10000_chars"]
    result = nlu_parser.parse(text)
    for entity in result["entities"]:
        assert text[entity["start"] : entity["end"]]


@pytest.mark.parametrize(
    "text,intent",
    [
        ("ｱﾝｼｮｳﾊﾞﾝｺﾞｳを忘れました", "forgot_pin"),
        ("暗証番号を忘れました", "forgot_pin"),
        ("こんにちは", "greet"),
    ],
)
def test_normal_text_still_works(nlu_parser: Any, text: str, intent: str) -> None:
    assert nlu_parser.parse(text)["intent"]["name"] == intent
