"""Actions that answer from the knowledge base: the case checklist and direct city questions."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions import settings
from actions.base import KnowledgeAction
from actions.context import read_case
from actions.settings import get_kb
from replies.case import CaseQuery, Limits, case_details_replies, case_replies
from replies.direct import contact_replies, identity_documents_replies, office_hours_replies, out_of_scope_replies
from replies.message import Button, Reply
from replies.national import pin_rules_replies, store_reset_replies
from vocabulary import match_value

MUNICIPALITY_QUESTION = "どちらの市の情報をご案内しましょうか。"


def city_buttons(intent: str) -> List[Button]:
    """One button per city file, titled with the city's name as the KB writes it, sending ``intent`` with that city."""
    kb = get_kb()
    return [Button(kb.municipality(mid).name, f'/{intent}{{"municipality": "{mid}"}}') for mid in kb.municipality_ids()]


INCOMPLETE_CASE = "すみません、ご案内に必要な情報がそろいませんでした。もう一度ご用件を入力してください。"


def _limits() -> Limits:
    return Limits(turn=settings.max_turn_chars())


def _query(tracker: Tracker) -> Optional[CaseQuery]:
    case = read_case(tracker)
    if not (case.municipality and case.procedure and case.applicant_type):
        return None
    return CaseQuery(case.municipality, case.procedure, case.applicant_type, case.pin_type, case.knows_other_pin)


class ActionAskMunicipality(KnowledgeAction):
    """pin_case_form's question for the city (Rasa runs action_ask_<slot> when the domain has it)."""

    action_name = "action_ask_municipality"

    def replies(self, tracker: Tracker) -> tuple[List[Reply], List[Dict[Text, Any]]]:
        """「お住まいの市を選んでください」 with the cities of the knowledge base as buttons."""
        buttons = city_buttons("inform")
        text = f"お住まいの市を選んでください（このチャットボットは次の{len(buttons)}市の情報でご案内しています）。"
        return [Reply(text, buttons)], []


class ActionAnswerCase(KnowledgeAction):
    """The checklist, the offices that fit now, what changes the visit, contact and source for the diagnosed case."""

    action_name = "action_answer_case"

    def replies(self, tracker: Tracker) -> tuple[List[Reply], List[Dict[Text, Any]]]:
        """Compose the case answer, or ask again when the form left something open."""
        query = _query(tracker)
        if query is None:
            return [Reply(INCOMPLETE_CASE)], []
        return case_replies(get_kb(), query, settings.now(), _limits()), []


class ActionAnswerCaseDetails(KnowledgeAction):
    """Behind 「手続きの流れと注意」: the page's notes on each document, the steps and the page's notes."""

    action_name = "action_answer_case_details"

    def replies(self, tracker: Tracker) -> tuple[List[Reply], List[Dict[Text, Any]]]:
        """Details of the case already answered; the menu when there is none."""
        query = _query(tracker)
        if query is None:
            return [Reply(response="utter_how_can_i_help")], []
        return case_details_replies(get_kb(), query, settings.now(), _limits(), _part(tracker)), []


class ActionAnswerPinRules(KnowledgeAction):
    """The four PINs, their formats and lock counts, from knowledge/national.yml."""

    action_name = "action_answer_pin_rules"

    def replies(self, tracker: Tracker) -> tuple[List[Reply], List[Dict[Text, Any]]]:
        """Nationwide rules, citing the resident's own page where it states them."""
        return pin_rules_replies(get_kb(), read_case(tracker).municipality), []


class ActionAnswerConvenienceStore(KnowledgeAction):
    """What a convenience-store kiosk can reset, from knowledge/national.yml."""

    action_name = "action_answer_convenience_store"

    def replies(self, tracker: Tracker) -> tuple[List[Reply], List[Dict[Text, Any]]]:
        """Nationwide rules, with the resident's own page where it adds to them."""
        return store_reset_replies(get_kb(), read_case(tracker).municipality), []


class CityQuestionAction(KnowledgeAction):
    """A direct question that needs the resident's city: ask for it first when unknown."""

    intent: str = ""

    @abstractmethod
    def answer(self, municipality: str, tracker: Tracker) -> List[Reply]:
        """Replies for a known city."""

    def replies(self, tracker: Tracker) -> tuple[List[Reply], List[Dict[Text, Any]]]:
        """Answer for the known city, or ask which city and remember the question."""
        municipality = read_case(tracker).municipality
        if municipality is None:
            return [Reply(MUNICIPALITY_QUESTION, city_buttons(self.intent))], [SlotSet("pending_question", self.intent)]
        return self.answer(municipality, tracker), [SlotSet("pending_question", None)]

    def answer_pending(self, municipality: str, tracker: Tracker) -> tuple[List[Reply], List[Dict[Text, Any]]]:
        """Answer the question that waited for the city, now that the resident gave it."""
        return self.answer(municipality, tracker), [
            SlotSet("municipality", municipality),
            SlotSet("pending_question", None),
        ]


class ActionAnswerOfficeHours(CityQuestionAction):
    """Where and when: the city's offices, hours, special days and whether open now."""

    intent = "office_hours"
    action_name = "action_answer_office_hours"

    def answer(self, municipality: str, tracker: Tracker) -> List[Reply]:
        """Offices of the city; a weekday named in the question narrows them."""
        return office_hours_replies(
            get_kb(), municipality, settings.now(), _question_text(tracker), settings.max_turn_chars(), _part(tracker)
        )


class ActionAnswerIdentityDocuments(CityQuestionAction):
    """Which ID documents count, from the city's own lists."""

    intent = "identity_documents"
    action_name = "action_answer_identity_documents"

    def answer(self, municipality: str, tracker: Tracker) -> List[Reply]:
        """The rules for the conversation's case and the lists they cite; a button asks for one list (``part``)."""
        case = read_case(tracker)
        return identity_documents_replies(
            get_kb(), municipality, _part(tracker), settings.max_turn_chars(), case.procedure, case.applicant_type
        )


class ActionAnswerContact(KnowledgeAction):
    """Who to call: the city's phone and hours, or every city's when unknown."""

    action_name = "action_answer_contact"

    def replies(self, tracker: Tracker) -> tuple[List[Reply], List[Dict[Text, Any]]]:
        """Contact lines."""
        return contact_replies(get_kb(), read_case(tracker).municipality), []


class ActionAnswerOutOfScope(KnowledgeAction):
    """A polite 'this bot handles PINs' with the city's contact."""

    action_name = "action_answer_out_of_scope"

    def replies(self, tracker: Tracker) -> tuple[List[Reply], List[Dict[Text, Any]]]:
        """Out-of-scope notice, pointing where the resident's topic is handled."""
        topic = match_value("out_of_scope_topic", tracker.latest_message.get("text"))
        return out_of_scope_replies(get_kb(), read_case(tracker).municipality, topic), []


def _part(tracker: Tracker) -> Optional[str]:
    """Which part of a long answer a button asked for (entity ``part`` of the latest message), if any."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "part" and isinstance(entity.get("value"), str):
            return entity["value"]
    return None


def _question_text(tracker: Tracker) -> str:
    """The resident's own words of the office-hours question this answer is for ("" for the menu button).

    A city given in reply to 「どちらの市？」 (a button or a typed 「三鷹市です」) is not the question itself:
    look past it to the question the resident typed before.
    """
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        text = event.get("text") or ""
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if text.startswith("/office_hours{") or intent == "inform":
            continue
        return text if intent == "office_hours" and not text.startswith("/") else ""
    return ""


def pending_question_action(pending: Optional[str]) -> Optional[CityQuestionAction]:
    """The action whose question waits for the resident's city."""
    actions: Dict[str, CityQuestionAction] = {
        action.intent: action for action in (ActionAnswerOfficeHours(), ActionAnswerIdentityDocuments())
    }
    return actions.get(pending or "")
