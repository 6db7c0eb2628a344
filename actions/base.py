"""Base of every answer action: compose from the KB, and never leave the resident without a reply."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import raw_municipality
from actions.settings import get_kb
from replies.contact import fallback_message
from replies.layout import pack
from replies.message import Reply

logger = logging.getLogger(__name__)
# What an answer action composes: the messages to send and the events to return.
Answer = tuple[List[Reply], List[Dict[Text, Any]]]


def for_residents(text: str) -> str:
    """``text`` with each seed-page typo of knowledge/national.yml (page_typos) replaced by the correct term."""
    for typo in get_kb().national.typos:
        text = text.replace(typo.page, typo.correct)
    return text


class KnowledgeAction(Action, ABC):
    """An action whose answer is composed from knowledge/; a failure degrades to the city's phone."""

    action_name: str  # what the domain calls it

    def name(self) -> Text:
        """Name of the action."""
        return self.action_name

    @abstractmethod
    def replies(self, tracker: Tracker) -> Answer:
        """Messages to send and events to return."""

    def failure_events(self) -> List[Dict[Text, Any]]:
        """Events to return when composing the answer failed."""
        return []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        """Send the composed replies, or the polite fallback with the city's contact."""
        try:
            replies, events = self.replies(tracker)
        except Exception:  # noqa: BLE001 - the resident must still get the phone number
            logger.exception("Action %s failed; sending the fallback reply.", self.name())
            # raw_municipality, not read_case(): the KB that read_case needs may be what failed.
            dispatcher.utter_message(text=fallback_message(raw_municipality(tracker)))
            return self.failure_events()
        for reply in replies:
            kwargs = reply.as_kwargs()
            text = kwargs.get("text")
            # A bubble is at most replies.layout.BUBBLE_CHARS long (a phone screen): a longer text goes out in pieces
            # split between its lines, the buttons under the last one.
            pieces = pack(for_residents(text).split("\n"), joint="\n") if text else [text]
            for piece in pieces[:-1]:
                dispatcher.utter_message(text=piece)
            dispatcher.utter_message(**{**kwargs, "text": pieces[-1]})
        return events
