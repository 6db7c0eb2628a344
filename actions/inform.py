"""An answer (city, applicant, PIN) given outside a form and outside a case: finish the pending question."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker

from actions.answers import pending_question_action
from actions.base import KnowledgeAction
from actions.context import read_case
from actions.knowledge import get_kb
from replies.message import Reply


class ActionHandleInform(KnowledgeAction):
    """A bare answer outside a case (data/rules/case.yml re-runs the form when a case is under way)."""

    def name(self) -> Text:
        """Name of the action."""
        return "action_handle_inform"

    def replies(self, tracker: Tracker) -> tuple[List[Reply], List[Dict[Text, Any]]]:
        """Answer the question that waited for the city, or ask what the resident needs."""
        case = read_case(tracker)
        pending = pending_question_action(tracker.get_slot("pending_question"))
        if pending:
            # NLU may have missed the city entity: the resident may still have typed one (「たじみし」).
            city = case.municipality or get_kb().resolve_municipality((tracker.latest_message or {}).get("text") or "")
            if city:
                return pending.answer_pending(city, tracker)
        return [Reply(response="utter_how_can_i_help")], []
