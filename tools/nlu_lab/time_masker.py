"""Replace clock times (7時, 15分, ３時半) by one placeholder before featurization."""

from __future__ import annotations

from itertools import pairwise
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.sudachi_tokenizer import READING_KEY

PLACEHOLDER = "時刻"
PLACEHOLDER_READING = "ジコク"
# Units that make a preceding number a clock time or a duration.
TIME_UNITS = frozenset({"時", "分", "時半", "時間", "秒"})


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class TimeMasker(GraphComponent):
    """Masks number + time unit so that "7時" and "10時" are the same feature.

    Office-hours questions in the training data carry clock times (夕方5時,
    18時まで); without masking, a number before 時 is evidence for
    office_hours by itself, and 「明日7時にアラーム」 follows it. With one
    placeholder for every time, only the words around it (窓口, 開く vs
    アラーム, 起こす) can decide. Place it after the tokenizer and before the
    featurizers; it changes lemmas and readings, never text or offsets.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TimeMasker:
        """Creates the component."""
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Masks times in every training example."""
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Masks times in the messages' text tokens."""
        for message in messages:
            tokens = message.get(TOKENS_NAMES[TEXT]) or []
            for number, unit in pairwise(tokens):
                if _is_number(number.text) and (unit.lemma or unit.text) in TIME_UNITS:
                    for token in (number, unit):
                        token.lemma = PLACEHOLDER
                        token.set(READING_KEY, PLACEHOLDER_READING)
        return messages


def _is_number(text: str) -> bool:
    """Digits of any width (Sudachi keeps ３ as its surface)."""
    return bool(text) and all(c.isdigit() for c in text)
