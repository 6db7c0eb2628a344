"""Clean up extracted entities: one per span, canonical ids only."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from kb.directory import read_cities
from kb.paths import default_knowledge_dir
from nlu_components.base import CustomComponent
from vocabulary import SLOTS_FILE, Vocabulary, load_vocabulary, match_in

Entity = Dict[Text, Any]
logger = logging.getLogger(__name__)

MODEL_FILE = "canonical_values.json"


def knowledge_city_ids() -> List[str]:
    """The ids of the cities defined in knowledge/municipalities/*.yml (the only place a city is defined)."""
    return sorted(read_cities(default_knowledge_dir()))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class EntityResolver(CustomComponent):
    """Keeps the longest of overlapping same-type entities and drops non-canonical values.

    Lookup tables and regexes of one entity type are separate patterns, so
    千葉 (regex) and 千葉市 (lookup) both match the same text; slots need a
    single canonical id (docs/ARCHITECTURE.md), not a leftover surface form
    such as 子どもの暗証番号. Place it after EntitySynonymMapper.

    The canonical ids of `cities_entity` are the knowledge base's city ids, read when the model is trained
    and stored in it: adding a city file and retraining is all it takes. For the `vocabulary_types`, a value
    that is not yet an id (「母の代わりに」) is mapped with the one slot vocabulary (vocabulary/slots.yml, also
    stored in the model), the same lists and matching the action server uses; what maps to no id is dropped.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {
            # entity type -> its canonical ids; types not listed are left alone.
            "allowed_values": {},
            # entity type whose canonical ids are the KB's city ids (None: no such type).
            "cities_entity": None,
            # entity types whose surface forms are mapped to ids with vocabulary/slots.yml.
            "vocabulary_types": [],
        }

    stored_as = MODEL_FILE
    nothing_stored = "no city ids or vocabulary in the model; retrain it (make train)."

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
        cities: Optional[Sequence[str]] = None,
        vocabulary: Optional[Vocabulary] = None,
    ) -> None:
        """Stores the canonical ids per entity type (the cities' ids when known) and the vocabulary."""
        super().__init__(config, model_storage, resource)
        self._cities: List[str] = list(cities or [])
        self._vocabulary: Vocabulary = dict(vocabulary or {})
        self._allowed: Dict[str, frozenset] = {
            str(name): frozenset(str(v) for v in values)
            for name, values in (self._config.get("allowed_values") or {}).items()
        }
        cities_entity = self._config.get("cities_entity")
        if cities_entity:
            # An untrained resolver knows no city: every city value is dropped rather than guessed.
            self._allowed[str(cities_entity)] = frozenset(self._cities)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The city ids and the vocabulary: editing either must retrain this component even if data/ did not change."""
        parts: Dict[str, Any] = {}
        if config.get("cities_entity"):
            parts["cities"] = knowledge_city_ids()
        if config.get("vocabulary_types"):
            parts["vocabulary"] = SLOTS_FILE.read_text(encoding="utf-8")
        if not parts:
            return None
        return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()

    def train(self, training_data: TrainingData) -> Resource:
        """Read the city ids (KB) and the slot vocabulary and store them in the model."""
        if self._config.get("cities_entity"):
            self._cities = knowledge_city_ids()
            if not self._cities:
                raise ValueError("no city file under knowledge/municipalities: run `make kb-check`")
            self._allowed[str(self._config["cities_entity"])] = frozenset(self._cities)
        wanted = [str(t) for t in self._config.get("vocabulary_types") or []]
        if wanted:
            full = load_vocabulary()
            self._vocabulary = {t: full.get(t, {}) for t in wanted}
        data = json.dumps({"cities": self._cities, "vocabulary": self._vocabulary}, ensure_ascii=False)
        self.store(lambda path: path.write_text(data, encoding="utf-8"))
        return self._resource

    @classmethod
    def stored_kwargs(cls, path: Path) -> Dict[str, Any]:
        """The city ids and the vocabulary stored at training time."""
        data = json.loads(path.read_text(encoding="utf-8"))
        return {"cities": data.get("cities"), "vocabulary": data.get("vocabulary")}

    def process(self, messages: List[Message]) -> List[Message]:
        """Resolves the entities of each message in place."""
        for message in messages:
            entities = message.get(ENTITIES)
            if entities:
                message.set(ENTITIES, self.resolve(entities), add_to_output=True)
        return messages

    def resolve(self, entities: Sequence[Entity]) -> List[Entity]:
        """The entities to keep, in text order."""
        canonical = [c for c in (self._canonical(e) for e in entities) if c is not None]
        # Longest first so that a contained or overlapping shorter match loses; the sort is stable, so on
        # equal length the extractor listed first (earlier in the pipeline) wins.
        kept: List[Entity] = []
        for entity in sorted(canonical, key=lambda e: _start(e) - _end(e)):
            if not any(_same_type_overlap(entity, other) for other in kept):
                kept.append(entity)
        return sorted(kept, key=lambda e: (_start(e), _end(e)))

    def _canonical(self, entity: Entity) -> Optional[Entity]:
        """The entity with a canonical value (mapped with the vocabulary if need be), or None to drop it."""
        if self._is_allowed(entity):
            return entity
        words = self._vocabulary.get(str(entity.get(ENTITY_ATTRIBUTE_TYPE)))
        value = match_in(words, str(entity.get(ENTITY_ATTRIBUTE_VALUE))) if words else None
        if value is None:
            return None
        mapped = {**entity, ENTITY_ATTRIBUTE_VALUE: value}
        mapped["processors"] = [*entity.get("processors", []), self.__class__.__name__]
        return mapped if self._is_allowed(mapped) else None

    def _is_allowed(self, entity: Entity) -> bool:
        allowed: Optional[frozenset] = self._allowed.get(str(entity.get(ENTITY_ATTRIBUTE_TYPE)))
        return allowed is None or str(entity.get(ENTITY_ATTRIBUTE_VALUE)) in allowed


def _start(entity: Entity) -> int:
    return int(entity.get(ENTITY_ATTRIBUTE_START, 0))


def _end(entity: Entity) -> int:
    return int(entity.get(ENTITY_ATTRIBUTE_END, 0))


def _same_type_overlap(a: Entity, b: Entity) -> bool:
    same_type = a.get(ENTITY_ATTRIBUTE_TYPE) == b.get(ENTITY_ATTRIBUTE_TYPE)
    return same_type and _start(a) < _end(b) and _start(b) < _end(a)
