"""ReadingCountVectorsFeaturizer: char n-grams over Sudachi readings, so kana, half-width and kanji spellings meet."""

from __future__ import annotations

from pathlib import Path
from typing import List

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.reading_featurizer import ReadingCountVectorsFeaturizer, _reading_or_text
from nlu_components.sudachi_tokenizer import READING_KEY, SudachiTokenizer

CONFIG = {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 3}


@pytest.fixture(scope="module")
def tokenizer() -> SudachiTokenizer:
    """One tokenizer for the module: the dictionary load is the slow part."""
    return SudachiTokenizer(SudachiTokenizer.get_default_config())


@pytest.fixture()
def featurizer(tmp_path: Path) -> ReadingCountVectorsFeaturizer:
    """An untrained featurizer with the pipeline's settings (config.yml)."""
    storage = LocalModelStorage(tmp_path)
    return ReadingCountVectorsFeaturizer.create(
        {**ReadingCountVectorsFeaturizer.get_default_config(), **CONFIG},
        storage,
        Resource("reading"),
        ExecutionContext(GraphSchema({}), node_name="reading"),
    )


def _message(tokenizer: SudachiTokenizer, text: str, intent: str = "forgot_pin") -> Message:
    message = Message(data={TEXT: text, INTENT: intent})
    tokenizer.process_training_data(TrainingData([message]))
    return message


def _sentence_vector(featurizer: ReadingCountVectorsFeaturizer, message: Message) -> np.ndarray:
    _, sentence = message.get_sparse_features(TEXT, ["reading"])  # features are named after the graph node
    assert sentence is not None
    return np.asarray(sentence.features.todense()).ravel()


@pytest.mark.parametrize(
    "reading,text,expected",
    [
        ("アンショウ", "暗証", "アンショウ"),
        ("キゴウ", "？", "？"),  # Sudachi reads every symbol as キゴウ: keep the symbol itself
        ("", "ＰＩＮ", "ＰＩＮ"),
        (None, "abc", "abc"),  # a token from another tokenizer has no reading
    ],
)
def test_reading_or_text(reading: object, text: str, expected: str) -> None:
    assert _reading_or_text(reading, text) == expected


def test_tokens_are_replaced_by_their_readings(
    tokenizer: SudachiTokenizer, featurizer: ReadingCountVectorsFeaturizer
) -> None:
    message = _message(tokenizer, "暗証番号を忘れた")
    readings = featurizer._get_message_tokens_by_attribute(message, TEXT)  # noqa: SLF001 - the override under test
    assert readings[0] == "アンショウバンゴウ"
    assert all(
        reading == token.get(READING_KEY)
        for reading, token in zip(readings, message.get(TOKENS_NAMES[TEXT]), strict=True)
    )


def test_tokens_without_readings_fall_back_to_their_text(featurizer: ReadingCountVectorsFeaturizer) -> None:
    message = Message(data={TEXT: "pin lock"})
    message.set(TOKENS_NAMES[TEXT], [Token("pin", 0), Token("lock", 4)])
    assert featurizer._get_message_tokens_by_attribute(message, TEXT) == ["pin", "lock"]  # noqa: SLF001


def test_kanji_hiragana_and_half_width_spellings_get_the_same_features(
    tokenizer: SudachiTokenizer, featurizer: ReadingCountVectorsFeaturizer
) -> None:
    """The point of the component: 暗証番号, あんしょうばんごう and ｱﾝｼｮｳﾊﾞﾝｺﾞｳ share their reading n-grams.

    Their surfaces share no character at all; Sudachi may split the kana spellings into more words, which changes
    only the n-grams at a word boundary.
    """
    training = [_message(tokenizer, "暗証番号を忘れた"), _message(tokenizer, "ロックされた", "pin_locked")]
    featurizer.train(TrainingData(training))
    spellings: List[Message] = [_message(tokenizer, t) for t in ("暗証番号", "あんしょうばんごう", "ｱﾝｼｮｳﾊﾞﾝｺﾞｳ")]
    featurizer.process(spellings)
    vectors = [_sentence_vector(featurizer, m) for m in spellings]
    assert vectors[0].sum() > 0
    for other in vectors[1:]:
        shared = np.minimum(vectors[0] > 0, other > 0).sum()
        assert shared >= 0.8 * (vectors[0] > 0).sum(), (shared, (vectors[0] > 0).sum())
    unrelated = _message(tokenizer, "ロック")
    featurizer.process([unrelated])
    assert not np.any(np.minimum(vectors[0], _sentence_vector(featurizer, unrelated)))
