"""Force the `share_sensitive` intent when a message carries a privacy placeholder."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.base import CustomComponent, force_intent
from nlu_components.sudachi_tokenizer import ORIGINAL_TEXT_KEY
from privacy.redact import INDIVIDUAL_NUMBER_PLACEHOLDER, PIN_PLACEHOLDER

SHARE_SENSITIVE_INTENT = "share_sensitive"
# What privacy.redact() writes (docs/ARCHITECTURE.md, "Privacy placeholders").
DEFAULT_PLACEHOLDERS = (INDIVIDUAL_NUMBER_PLACEHOLDER, PIN_PLACEHOLDER)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class PrivacyIntentOverride(CustomComponent):
    """Sets intent `share_sensitive` (confidence 1.0) if the text contains a placeholder.

    The redacting channel replaces a PIN / 個人番号 by a placeholder before NLU
    sees the text; a classifier would guess from the surrounding words, but
    the bot must react to the fact that a secret was sent, whatever else the
    message says. Place it after all classifiers, incl. FallbackClassifier.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {
            "placeholders": list(DEFAULT_PLACEHOLDERS),
            "intent": SHARE_SENSITIVE_INTENT,
        }

    def __init__(self, config: Dict[Text, Any], *args: Any) -> None:
        """Stores the placeholders to look for and the intent to set."""
        super().__init__(config, *args)
        self._placeholders: List[str] = [p for p in self._config["placeholders"] if p]
        self._intent: str = self._config["intent"]

    def process(self, messages: List[Message]) -> List[Message]:
        """Overrides the intent of messages that contain a placeholder."""
        for message in messages:
            # The tokenizer may have shortened TEXT; a placeholder past the
            # cut still counts.
            if self.applies_to(message.get(ORIGINAL_TEXT_KEY) or message.get(TEXT)):
                force_intent(message, self._intent, 1.0)
        return messages

    def applies_to(self, text: Optional[str]) -> bool:
        """True if `text` contains one of the privacy placeholders."""
        return isinstance(text, str) and any(p in text for p in self._placeholders)
