"""Residents rate an answer; the rating is counted per answer key (slot ``answer_key``), never tied to a person."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.base import Answer, KnowledgeAction
from actions.context import latest_entity, latest_intent, read_case
from actions.settings import get_kb
from replies.feedback import rating_replies, reason_replies, with_rating
from replies.message import Reply

# The intents that start a case (data/rules/case.yml): the one a checklist answers.
CASE_INTENTS = ("forgot_pin", "pin_locked", "change_pin", "renew_certificate", "proxy_help")


def answer_key(kind: str, tracker: Tracker, intent: Optional[str], municipality: Optional[str] = None) -> str:
    """「checklist|mitaka|pin_reset|self|forgot_pin」: kind, city, procedure, applicant and intent, "-" when unknown."""
    case = read_case(tracker)
    parts = (kind, municipality or case.municipality, case.procedure, case.applicant_type, intent)
    return "|".join(part or "-" for part in parts)


def rated(replies: List[Reply], key: str, *events: Dict[Text, Any]) -> Answer:
    """An answer with the rating buttons, and its key set (every time: a rating counts for the latest answer)."""
    return with_rating(replies), [SlotSet("answer_key", key), *events]


def case_intent(tracker: Tracker) -> Optional[str]:
    """The intent that started the case being answered (「暗証番号を忘れた」: forgot_pin), if the conversation has one."""
    for event in reversed(tracker.events):
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if event.get("event") == "user" and intent in CASE_INTENTS:
            return str(intent)
    return None


class ActionFeedback(KnowledgeAction):
    """👍/👎 on the latest answer, and 👎's reason: thanks, the reasons, or the contact of the answer's city."""

    action_name = "action_feedback"

    def replies(self, tracker: Tracker) -> Answer:
        """Replies to a rating (intent feedback) or a reason (feedback_reason)."""
        if latest_intent(tracker) == "feedback_reason":
            city = (tracker.get_slot("answer_key") or "").split("|")[1:2]
            return reason_replies(get_kb(), city[0] if city else None), []
        return rating_replies(latest_entity(tracker, "rating")), []
