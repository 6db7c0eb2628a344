"""An answer (city, applicant, PIN) given outside a form: finish the pending question or the case."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.answers import pending_action
from actions.context import read_case
from actions.knowledge import get_kb


class ActionHandleInform(Action):
    """Route a bare answer: to the question waiting for a city, to the case form, or ask what is needed."""

    def name(self) -> Text:
        """Name of the action."""
        return "action_handle_inform"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        """Follow up with the action that can use the answer."""
        case = read_case(tracker)
        pending = pending_action(tracker.get_slot("pending_question"))
        if pending and case.municipality:
            return [FollowupAction(pending)]
        if pending:
            # NLU found no city entity: the resident may still have typed one (「たじみし」).
            typed = get_kb().resolve_municipality((tracker.latest_message or {}).get("text") or "")
            if typed:
                return [SlotSet("municipality", typed), FollowupAction(pending)]
        if case.procedure:
            # A correction (「やっぱり代理人です」) or a missing piece: the form re-checks and answers again.
            return [FollowupAction("pin_case_form")]
        dispatcher.utter_message(response="utter_how_can_i_help")
        return []
