"""EntityResolver: one entity per span and type, canonical values only."""

from pathlib import Path
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
    kept = resolver.resolve(
        [_e("applicant_type", 0, 8, "息子のカード"), _e("applicant_type", 2, 4, "legal_representative")]
    )
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
    message = Message(
        data={TEXT: "千葉市です", ENTITIES: [_e("municipality", 0, 2, "chiba"), _e("municipality", 0, 3, "chiba")]}
    )
    resolver.process([message])
    assert message.get(ENTITIES) == [_e("municipality", 0, 3, "chiba")]


def test_message_without_entities_is_untouched(resolver: EntityResolver) -> None:
    message = Message(data={TEXT: "こんにちは"})
    resolver.process([message])
    assert message.get(ENTITIES) is None


# ------------------------------------------------------------------ the KB's cities and the slot vocabulary

VOCABULARY = {
    "applicant_type": {"legal_representative": ["子ども"], "voluntary_proxy": ["代わり", "委任状"], "self": ["本人"]},
    "pin_type": {"signature": ["e-tax"], "all": ["わからない"]},
}


@pytest.fixture()
def with_vocabulary() -> EntityResolver:
    """A resolver that maps surface forms with a small vocabulary."""
    return EntityResolver(
        {
            "allowed_values": {
                "applicant_type": ["self", "legal_representative", "voluntary_proxy"],
                "pin_type": ["signature"],
            },
            "vocabulary_types": ["applicant_type", "pin_type"],
        },
        vocabulary=VOCABULARY,
    )


def test_surface_forms_are_mapped_with_the_vocabulary(with_vocabulary: EntityResolver) -> None:
    kept = with_vocabulary.resolve([_e("applicant_type", 0, 6, "母の代わりに"), _e("pin_type", 8, 13, "Ｅ－ＴＡＸ")])
    assert [(e["entity"], e["value"]) for e in kept] == [
        ("applicant_type", "voluntary_proxy"),
        ("pin_type", "signature"),
    ]
    assert all(e["processors"] == ["EntityResolver"] for e in kept)


def test_a_vocabulary_value_that_is_no_id_is_still_dropped(with_vocabulary: EntityResolver) -> None:
    # 「わからない」 is the form's "all" answer, not a PIN id the NLU may put into the slot.
    assert with_vocabulary.resolve([_e("pin_type", 0, 5, "わからない"), _e("applicant_type", 0, 3, "だれか")]) == []


def test_an_untrained_city_list_drops_every_city() -> None:
    resolver = EntityResolver({"cities_entity": "municipality"})
    assert resolver.resolve([_e("municipality", 0, 3, "mitaka")]) == []


def test_training_stores_the_kb_cities_and_the_vocabulary(tmp_path: Path) -> None:
    """Trained, persisted and loaded like Rasa does: the ids come from knowledge/, the words from vocabulary/."""
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from kb.directory import read_cities
    from kb.paths import default_knowledge_dir

    config = {
        "cities_entity": "municipality",
        "vocabulary_types": ["applicant_type"],
        "allowed_values": {"applicant_type": ["self", "legal_representative", "voluntary_proxy"]},
    }
    storage = LocalModelStorage(tmp_path)
    resource = Resource("entity_resolver")
    trained = EntityResolver.create(config, storage, resource, None)
    trained.train(TrainingData())
    loaded = EntityResolver.load(config, storage, resource, None)
    cities = sorted(read_cities(default_knowledge_dir()))
    assert cities
    found = loaded.resolve([_e("municipality", 0, 3, mid) for mid in cities] + [_e("municipality", 0, 3, "osaka")])
    assert sorted(e["value"] for e in found) == cities[:1]  # overlapping spans: one per span, every id accepted
    for mid in cities:
        assert loaded.resolve([_e("municipality", 0, 3, mid)])[0]["value"] == mid
    assert loaded.resolve([_e("applicant_type", 0, 6, "委任状を持って")])[0]["value"] == "voluntary_proxy"
    assert EntityResolver.fingerprint_addon(config) == EntityResolver.fingerprint_addon(dict(config))
    assert EntityResolver.fingerprint_addon({}) is None
