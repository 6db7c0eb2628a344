"""Shared base for form validation: fill the requested slot from the resident's own words."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, Optional, Text

from rasa_sdk import FormValidationAction, Tracker

from actions.vocabulary import match_value


class FreeTextFormValidation(FormValidationAction, ABC):
    """A form validation action whose slots can also be answered in free text."""

    @abstractmethod
    def name(self) -> Text:
        """Name of the concrete validation action (abstract: rasa-sdk must not register the base)."""

    @staticmethod
    def requested(tracker: Tracker, slot: str) -> bool:
        """Whether the form is currently asking for ``slot``."""
        return tracker.get_slot("requested_slot") == slot

    @staticmethod
    def latest_text(tracker: Tracker) -> str:
        """The resident's latest message (already redacted by the channel)."""
        return (tracker.latest_message or {}).get("text") or ""

    @staticmethod
    def latest_intent(tracker: Tracker) -> Optional[str]:
        """The intent of the resident's latest message."""
        return ((tracker.latest_message or {}).get("intent") or {}).get("name")

    @staticmethod
    def starting(tracker: Tracker) -> bool:
        """Whether the latest message is the one that starts (or restarts) the form: nothing asked yet."""
        return tracker.get_slot("requested_slot") is None

    def extract_from_vocabulary(self, tracker: Tracker, slot: str) -> Dict[Text, Any]:
        """Fill ``slot`` from the vocabulary when it is asked for, or stated as the form starts, and NLU found none.

        "Stated as the form starts": the message that opens the form (「千葉市です。祖母の…代理で手続きをしたい」).
        """
        if not (self.requested(tracker, slot) or self.starting(tracker)) or tracker.get_slot(slot) is not None:
            return {}
        if any(entity.get("entity") == slot for entity in (tracker.latest_message or {}).get("entities", [])):
            return {}
        value = match_value(slot, self.latest_text(tracker))
        return {slot: value} if value is not None else {}
