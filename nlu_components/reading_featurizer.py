"""Count-vector features over Sudachi's katakana readings instead of surfaces."""

from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.training_data.message import Message

from nlu_components.sudachi_tokenizer import READING_KEY


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class ReadingCountVectorsFeaturizer(CountVectorsFeaturizer):
    """CountVectorsFeaturizer fed with token readings (yomi).

    Residents type 暗証番号, あんしょうばんごう or ｱﾝｼｮｳﾊﾞﾝｺﾞｳ; surfaces and even
    Sudachi's normalized forms differ (あんしょう → 鞍傷) but the readings are all
    アンショウ…, so char n-grams over readings let them share features.
    Needs tokens from `SudachiTokenizer` (which stores the reading); other
    tokens fall back to their surface text.
    """

    def _get_message_tokens_by_attribute(self, message: Message, attribute: Text) -> List[Text]:
        """Readings of the attribute's tokens (surface where there is none)."""
        tokens = message.get(TOKENS_NAMES[attribute]) or []
        return [_reading_or_text(token.get(READING_KEY), token.text) for token in tokens]


def _reading_or_text(reading: object, text: str) -> str:
    """Sudachi reads every symbol and space as キゴウ; keep the surface for those."""
    if not isinstance(reading, str) or not reading or reading == "キゴウ":
        return text
    return reading
