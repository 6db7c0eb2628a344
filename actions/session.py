"""Session start: keep the case across sessions and take the city the embedding page fixed."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import default_municipality


class ActionSessionStart(Action):
    """Start a session with the carried-over slots plus the deployment's or page's city."""

    def name(self) -> Text:
        """Name of the action."""
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        """SessionStarted, slots carried over, the fixed city, then listen."""
        events: List[Dict[Text, Any]] = [SessionStarted()]
        events.extend(
            SlotSet(key, value)
            for key, value in tracker.current_slot_values().items()
            if value is not None and key not in ("requested_slot", "session_started_metadata")
        )
        fixed = default_municipality(tracker)
        if fixed:
            events.append(SlotSet("municipality", fixed))
        events.append(ActionExecuted("action_listen"))
        return events
