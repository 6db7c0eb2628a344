"""Rasa 3.6 tokenizer for Japanese built directly on SudachiPy."""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.text_chunks import DEFAULT_MAX_CHUNK_BYTES, is_invisible, split_for_sudachi

logger = logging.getLogger(__name__)

# Token.data keys this tokenizer sets; "pos" is what Rasa's LexicalSyntacticFeaturizer reads.
POS_KEY = "pos"
READING_KEY = "reading"
# Message key holding the full text when `max_analysed_chars` shortened the message text.
ORIGINAL_TEXT_KEY = "original_text"

# Used only if SudachiPy itself fails on a chunk: runs of one script, so the
# message still gets tokens (and an answer) instead of a 500.
_FALLBACK_TOKEN_RE = re.compile(
    r"[\u4e00-\u9fff\u3400-\u4dbf々〆ヵヶ]+"
    r"|[\u3040-\u309f]+"
    r"|[\u30a0-\u30ff\uff66-\uff9f]+"
    r"|[A-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+"
    r"|\S"
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class SudachiTokenizer(Tokenizer):
    """Japanese tokenizer: Sudachi morphemes, exact offsets, normalized form as lemma."""

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        """Only Japanese: Sudachi's dictionary is Japanese."""
        return ["ja"]

    @staticmethod
    def required_packages() -> List[Text]:
        """Python packages this component needs."""
        return ["sudachipy", "sudachidict_core"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            # "A" (short), "B" (middle) or "C" (long units, like GiNZA).
            "split_mode": "C",
            # sudachidict package suffix: "core", "small" or "full".
            "dictionary": "core",
            # Only this many leading characters are analysed; None = all.
            # The message text itself is shortened, so every later component
            # (regex featurizer, extractors, DIET) works on the prefix too:
            # Rasa's RegexFeaturizer is O(tokens x matches), and a pasted
            # 60,000-character document would otherwise take seconds.
            "max_analysed_chars": None,
            "max_chunk_bytes": DEFAULT_MAX_CHUNK_BYTES,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        """Creates the Sudachi tokenizer (dictionary load ~0.1 s)."""
        super().__init__(config)
        # Imported here, not at module import, so that importing the package
        # stays cheap and config validation does not load a dictionary.
        from sudachipy import Dictionary, SplitMode

        mode_name = str(config.get("split_mode", "C")).upper()
        if mode_name not in ("A", "B", "C"):
            raise ValueError(f"split_mode must be A, B or C, not {mode_name!r}")
        self._split_mode = getattr(SplitMode, mode_name)
        self._max_chars: Optional[int] = config.get("max_analysed_chars")
        self._max_chunk_bytes = int(config.get("max_chunk_bytes") or DEFAULT_MAX_CHUNK_BYTES)
        dictionary = Dictionary(dict=str(config.get("dictionary", "core")))
        self._sudachi = dictionary.create(self._split_mode)

    def process(self, messages: List[Message]) -> List[Message]:
        """Shortens over-long texts, then tokenizes (see `max_analysed_chars`)."""
        for message in messages:
            self._cap_text(message)
        return super().process(messages)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Same capping as at inference, then tokenizes the training data."""
        for example in training_data.training_examples:
            self._cap_text(example)
        return super().process_training_data(training_data)

    def _cap_text(self, message: Message) -> None:
        text = message.get(TEXT)
        if self._max_chars is None or not isinstance(text, str) or len(text) <= self._max_chars:
            return
        # Keep the full text for components that must see all of it
        # (PrivacyIntentOverride looks for placeholders anywhere).
        message.set(ORIGINAL_TEXT_KEY, text)
        message.set(TEXT, text[: self._max_chars])

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """Tokenizes the text of the given attribute of the message."""
        text = message.get(attribute)
        if not isinstance(text, str):
            return []
        return self._apply_token_pattern(self.tokenize_text(text))

    def tokenize_text(self, text: str) -> List[Token]:
        """Tokenizes a plain string; never raises, returns [] for blank text."""
        chunks = split_for_sudachi(text if self._max_chars is None else text[: self._max_chars], self._max_chunk_bytes)
        return [token for offset, chunk in chunks for token in self._tokenize_chunk(chunk, offset)]

    def _tokenize_chunk(self, chunk: str, offset: int) -> List[Token]:
        try:
            morphemes = self._sudachi.tokenize(chunk, self._split_mode)
        except Exception:  # noqa: BLE001 - any Sudachi failure must not become a 500
            logger.warning("Sudachi failed on a %d-char chunk; using script runs.", len(chunk))
            return _fallback_tokens(chunk, offset)
        # begin()/end() are character offsets into the chunk, even where
        # Sudachi normalised the input (half-width kana, full-width digits).
        return [
            Token(
                morpheme.surface(),
                offset + morpheme.begin(),
                offset + morpheme.end(),
                data={POS_KEY: morpheme.part_of_speech()[0], READING_KEY: morpheme.reading_form()},
                lemma=morpheme.normalized_form(),
            )
            for morpheme in morphemes
            if not is_invisible(morpheme.surface())
        ]


def _fallback_tokens(chunk: str, offset: int) -> List[Token]:
    """Script-run tokens for text Sudachi could not analyse."""
    return [
        Token(match.group(), offset + match.start(), offset + match.end())
        for match in _FALLBACK_TOKEN_RE.finditer(chunk)
        if not is_invisible(match.group())
    ]
