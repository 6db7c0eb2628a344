"""An answer (city, applicant, PIN) given outside a form and outside a case: finish the pending question."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet

from actions.answers import pending_question_action
from actions.base import KnowledgeAction
from actions.context import read_case
from actions.settings import get_kb
from replies.message import Reply
from vocabulary import match_value


class ActionHandleInform(KnowledgeAction):
    """A bare answer outside a case (data/rules/case.yml re-runs the form when a case is under way)."""

    action_name = "action_handle_inform"

    def replies(self, tracker: Tracker) -> tuple[List[Reply], List[Dict[Text, Any]]]:
        """Answer the question that waited for the city, start the case a message names, or ask what the resident needs."""
        case = read_case(tracker)
        text = (tracker.latest_message or {}).get("text") or ""
        pending = pending_question_action(tracker.get_slot("pending_question"))
        if pending:
            # NLU may have missed the city entity: the resident may still have typed one (「たじみし」).
            city = case.municipality or get_kb().resolve_municipality(text)
            if city:
                return pending.answer_pending(city, tracker)
        # 「龍ケ崎市在住です。任意代理人として暗証番号を再設定したいです」 read as a bare answer: it names a procedure,
        # so the case starts (the form then reads the city and applicant from the same message), never the menu.
        procedure = None if text.startswith("/") else match_value("procedure", text)
        if procedure:
            return [], [SlotSet("procedure", procedure), FollowupAction("pin_case_form")]
        return [Reply(response="utter_how_can_i_help")], []
