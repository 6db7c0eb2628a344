"""Clean up extracted entities: one per span, canonical ids only."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
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

Entity = Dict[Text, Any]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class EntityResolver(GraphComponent):
    """Keeps the longest of overlapping same-type entities and drops non-canonical values.

    Lookup tables and regexes of one entity type are separate patterns, so
    千葉 (regex) and 千葉市 (lookup) both match the same text; slots need a
    single canonical id (docs/ARCHITECTURE.md), not a leftover surface form
    such as 子どもの暗証番号. Place it after EntitySynonymMapper.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {
            # entity type -> its canonical ids; types not listed are left alone.
            "allowed_values": {},
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        """Stores the canonical ids per entity type."""
        self._allowed: Dict[str, frozenset] = {
            str(name): frozenset(str(v) for v in values)
            for name, values in (config.get("allowed_values") or {}).items()
        }

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EntityResolver:
        """Creates a new component (see parent class for full docstring)."""
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        """Resolves the entities of each message in place."""
        for message in messages:
            entities = message.get(ENTITIES)
            if entities:
                message.set(ENTITIES, self.resolve(entities), add_to_output=True)
        return messages

    def resolve(self, entities: Sequence[Entity]) -> List[Entity]:
        """The entities to keep, in text order."""
        canonical = [e for e in entities if self._is_allowed(e)]
        # Longest first so that a contained or overlapping shorter match loses;
        # on equal length the extractor listed first (earlier in the pipeline) wins.
        ranked = sorted(
            enumerate(canonical),
            key=lambda pair: (-_length(pair[1]), pair[0]),
        )
        kept: List[Entity] = []
        for _, entity in ranked:
            if not any(_same_type_overlap(entity, other) for other in kept):
                kept.append(entity)
        return sorted(kept, key=lambda e: (_start(e), _end(e)))

    def _is_allowed(self, entity: Entity) -> bool:
        allowed: Optional[frozenset] = self._allowed.get(entity.get(ENTITY_ATTRIBUTE_TYPE))
        return allowed is None or str(entity.get(ENTITY_ATTRIBUTE_VALUE)) in allowed


def _start(entity: Entity) -> int:
    return int(entity.get(ENTITY_ATTRIBUTE_START, 0))


def _end(entity: Entity) -> int:
    return int(entity.get(ENTITY_ATTRIBUTE_END, 0))


def _length(entity: Entity) -> int:
    return _end(entity) - _start(entity)


def _same_type_overlap(a: Entity, b: Entity) -> bool:
    same_type = a.get(ENTITY_ATTRIBUTE_TYPE) == b.get(ENTITY_ATTRIBUTE_TYPE)
    return same_type and _start(a) < _end(b) and _start(b) < _end(a)
