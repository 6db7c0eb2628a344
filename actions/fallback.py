"""Two-stage fallback in Japanese: suggest likely topics, then hand over to a person."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import Answer, KnowledgeAction
from actions.context import latest_text, read_case
from actions.settings import get_kb
from replies.catalogue import apology, catalogue
from replies.contact import contact_lines
from replies.message import Reply
from vocabulary import match_value

MAX_SUGGESTIONS = 3
# The topic to offer first when the unclear message names a procedure (vocabulary/slots.yml `procedure`).
PROCEDURE_TOPICS = {
    "pin_reset": ("forgot_pin", "pin_locked"),
    "pin_change": ("change_pin",),
    "certificate_renewal": ("renew_certificate",),
}


class ActionDefaultAskAffirmation(Action):
    """First stage: offer the most likely topics as buttons."""

    def name(self) -> Text:
        """Name of the action."""
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        """Buttons for the top-ranked known topics plus 'none of these'."""
        latest = tracker.latest_message or {}
        ranking = latest.get("intent_ranking") or []
        topics_by_intent = catalogue().topics  # the topics worth suggesting, with titles a resident understands
        likely = [item["name"] for item in ranking if item.get("name") in topics_by_intent]
        # 「…ロックされたので代理で」 that NLU could not place still names its procedure: offer that first.
        topics = PROCEDURE_TOPICS.get(match_value("procedure", latest_text(tracker)) or "", ())
        if topics:
            first = next((intent for intent in likely if intent in topics), topics[0])
            likely = [first] + [intent for intent in likely if intent != first]
        likely = likely[:MAX_SUGGESTIONS] or ["forgot_pin", "pin_locked", "change_pin"]
        buttons = [{"title": topics_by_intent[intent], "payload": f"/{intent}"} for intent in likely]
        # out_of_scope is what Rasa's two-stage fallback reads as "none of these": it then asks to rephrase.
        buttons.append({"title": apology("none_of_these"), "payload": "/out_of_scope"})
        dispatcher.utter_message(text=apology("clarify"), buttons=buttons)
        return []


class ActionDefaultFallback(KnowledgeAction):
    """Last stage: apologise and give the phone number of a person who can help."""

    action_name = "action_default_fallback"

    def failure_events(self) -> List[Dict[Text, Any]]:
        """Forget the misunderstood message even when the contact could not be composed."""
        return [UserUtteranceReverted()]

    def replies(self, tracker: Tracker) -> Answer:
        """A rephrase or the menu first, the contact of the resident's city (or of each city) for a person.

        The misunderstood message is forgotten, so that the menu's buttons start afresh.
        """
        lines = contact_lines(get_kb(), read_case(tracker).municipality)
        text = "\n".join([apology("not_understood"), *lines])
        return [Reply(text), Reply(response="utter_how_can_i_help")], [UserUtteranceReverted()]
