"""EntityResolver: one entity per span and type, canonical values only."""

from typing import Any, Dict

import pytest
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.entity_resolver import EntityResolver


def _e(entity: str, start: int, end: int, value: str, extractor: str = "RegexEntityExtractor") -> Dict[str, Any]:
    return {"entity": entity, "start": start, "end": end, "value": value, "extractor": extractor}


@pytest.fixture()
def resolver() -> EntityResolver:
    """Resolver with the project's canonical municipality and applicant ids."""
    return EntityResolver(
        {
            "allowed_values": {
                "municipality": ["mitaka", "chiba", "tajimi", "ryugasaki"],
                "applicant_type": ["self", "legal_representative", "voluntary_proxy"],
            }
        }
    )


def test_longest_overlapping_match_wins(resolver: EntityResolver) -> None:
    # 千葉 (regex) and 千葉市 (lookup) on 千葉市です
    kept = resolver.resolve([_e("municipality", 0, 2, "chiba"), _e("municipality", 0, 3, "chiba")])
    assert kept == [_e("municipality", 0, 3, "chiba")]


def test_non_canonical_values_are_dropped(resolver: EntityResolver) -> None:
    kept = resolver.resolve([_e("applicant_type", 4, 12, "子どもの暗証番号"), _e("municipality", 0, 3, "mitaka")])
    assert kept == [_e("municipality", 0, 3, "mitaka")]


def test_a_dropped_long_entity_does_not_hide_a_valid_short_one(resolver: EntityResolver) -> None:
    kept = resolver.resolve([_e("applicant_type", 0, 8, "息子のカード"), _e("applicant_type", 2, 4, "legal_representative")])
    assert kept == [_e("applicant_type", 2, 4, "legal_representative")]


def test_different_types_may_overlap(resolver: EntityResolver) -> None:
    entities = [_e("municipality", 0, 3, "mitaka"), _e("pin_type", 1, 4, "signature")]
    assert resolver.resolve(entities) == entities


def test_types_without_a_list_are_not_filtered(resolver: EntityResolver) -> None:
    assert resolver.resolve([_e("pin_type", 0, 2, "anything")]) == [_e("pin_type", 0, 2, "anything")]


def test_equal_length_tie_keeps_the_earlier_extractor(resolver: EntityResolver) -> None:
    first = _e("municipality", 0, 3, "chiba", "DIETClassifier")
    second = _e("municipality", 1, 4, "chiba", "RegexEntityExtractor")
    assert resolver.resolve([first, second]) == [first]


def test_result_is_in_text_order(resolver: EntityResolver) -> None:
    entities = [_e("municipality", 10, 13, "mitaka"), _e("applicant_type", 0, 2, "self")]
    assert [e["start"] for e in resolver.resolve(entities)] == [0, 10]


def test_process_updates_message_entities(resolver: EntityResolver) -> None:
    message = Message(data={TEXT: "千葉市です", ENTITIES: [_e("municipality", 0, 2, "chiba"), _e("municipality", 0, 3, "chiba")]})
    resolver.process([message])
    assert message.get(ENTITIES) == [_e("municipality", 0, 3, "chiba")]


def test_message_without_entities_is_untouched(resolver: EntityResolver) -> None:
    message = Message(data={TEXT: "こんにちは"})
    resolver.process([message])
    assert message.get(ENTITIES) is None
