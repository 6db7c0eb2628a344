"""Actions that answer from the knowledge base: the case checklist and direct city questions."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet

from actions import settings
from actions.base import Answer, KnowledgeAction
from actions.context import latest_entity, latest_text, read_case
from actions.feedback import answer_key, case_intent, rated
from actions.settings import get_kb
from replies.case import CaseQuery, case_details_replies, case_replies
from replies.direct import contact_replies, identity_documents_replies, office_hours_replies, out_of_scope_replies
from replies.message import Button, Reply
from replies.national import pin_rules_replies, store_reset_replies
from vocabulary import match_value

MUNICIPALITY_QUESTION = "どちらの市の情報をご案内しましょうか。"
INCOMPLETE_CASE = "すみません、ご案内に必要な情報がそろいませんでした。もう一度ご用件を入力してください。"


def city_buttons(intent: str) -> List[Button]:
    """One button per city file, titled with the city's name as the KB writes it, sending ``intent`` with that city."""
    kb = get_kb()
    return [Button(kb.municipality(mid).name, f'/{intent}{{"municipality": "{mid}"}}') for mid in kb.municipality_ids()]


def _query(tracker: Tracker) -> Optional[CaseQuery]:
    case = read_case(tracker)
    if not (case.municipality and case.procedure and case.applicant_type):
        return None
    return CaseQuery(case.municipality, case.procedure, case.applicant_type, case.pin_type, case.knows_other_pin)


class ActionAskMunicipality(KnowledgeAction):
    """pin_case_form's question for the city (Rasa runs action_ask_<slot> when the domain has it)."""

    action_name = "action_ask_municipality"

    def replies(self, tracker: Tracker) -> Answer:
        """「お住まいの市を選んでください」 with the cities of the knowledge base as buttons."""
        buttons = city_buttons("inform")
        text = f"お住まいの市を選んでください（このチャットボットは次の{len(buttons)}市の情報でご案内しています）。"
        return [Reply(text, buttons)], []


class ActionAnswerCase(KnowledgeAction):
    """The checklist, the offices that fit now, what changes the visit, contact and source for the diagnosed case."""

    action_name = "action_answer_case"

    def replies(self, tracker: Tracker) -> Answer:
        """Compose the case answer, or ask again when the form left something open."""
        query = _query(tracker)
        if query is None:
            return [Reply(INCOMPLETE_CASE)], []
        answer = case_replies(get_kb(), query, settings.now(), settings.max_turn_chars())
        return rated(answer, answer_key("checklist", tracker, case_intent(tracker)))


class ActionAnswerCaseDetails(KnowledgeAction):
    """Behind 「手続きの流れと注意」: the page's notes on each document, the steps and the page's notes."""

    action_name = "action_answer_case_details"

    def replies(self, tracker: Tracker) -> Answer:
        """Details of the case already answered; the menu when there is none."""
        query = _query(tracker)
        if query is None:
            return [Reply(response="utter_how_can_i_help")], []
        answer = case_details_replies(
            get_kb(), query, settings.now(), settings.max_turn_chars(), latest_entity(tracker, "part")
        )
        return rated(answer, answer_key("checklist", tracker, "case_details"))


class ActionAnswerPinRules(KnowledgeAction):
    """The four PINs, their formats and lock counts, from knowledge/national.yml."""

    action_name = "action_answer_pin_rules"

    def replies(self, tracker: Tracker) -> Answer:
        """Nationwide rules, citing the resident's own page where it states them."""
        answer = pin_rules_replies(get_kb(), read_case(tracker).municipality)
        return rated(answer, answer_key("faq", tracker, "pin_rules"))


class ActionAnswerConvenienceStore(KnowledgeAction):
    """What a convenience-store kiosk can reset, from knowledge/national.yml."""

    action_name = "action_answer_convenience_store"

    def replies(self, tracker: Tracker) -> Answer:
        """Nationwide rules, with the resident's own page where it adds to them."""
        answer = store_reset_replies(get_kb(), read_case(tracker).municipality)
        return rated(answer, answer_key("faq", tracker, "convenience_store_reset"))


class CityQuestionAction(KnowledgeAction):
    """A direct question that needs the resident's city: ask for it first when unknown."""

    intent: str = ""
    kind: str = "faq"  # of the answer key (actions/feedback.py)

    @abstractmethod
    def answer(self, municipality: str, tracker: Tracker) -> List[Reply]:
        """Replies for a known city."""

    def replies(self, tracker: Tracker) -> Answer:
        """Answer for the known city, or ask which city and remember the question."""
        municipality = read_case(tracker).municipality
        if municipality is None:
            return [Reply(MUNICIPALITY_QUESTION, city_buttons(self.intent))], [SlotSet("pending_question", self.intent)]
        return self.answered(municipality, tracker)

    def answered(self, municipality: str, tracker: Tracker, *events: Dict[Text, Any]) -> Answer:
        """The answer for the city, with the rating buttons and its answer key, ``events``; no question waits now."""
        key = answer_key(self.kind, tracker, self.intent, municipality)
        return rated(self.answer(municipality, tracker), key, *events, SlotSet("pending_question", None))


class ActionAnswerOfficeHours(CityQuestionAction):
    """Where and when: the city's offices, hours, special days and whether open now."""

    intent = "office_hours"
    kind = "hours"
    action_name = "action_answer_office_hours"

    def answer(self, municipality: str, tracker: Tracker) -> List[Reply]:
        """Offices of the city; a weekday named in the question narrows them."""
        part = latest_entity(tracker, "part")
        return office_hours_replies(
            get_kb(), municipality, settings.now(), _question_text(tracker), settings.max_turn_chars(), part
        )


class ActionAnswerIdentityDocuments(CityQuestionAction):
    """Which ID documents count, from the city's own lists."""

    intent = "identity_documents"
    action_name = "action_answer_identity_documents"

    def answer(self, municipality: str, tracker: Tracker) -> List[Reply]:
        """The rules for the conversation's case and the lists they cite; a button asks for one list (``part``)."""
        case, part = read_case(tracker), latest_entity(tracker, "part")
        return identity_documents_replies(
            get_kb(), municipality, part, settings.max_turn_chars(), case.procedure, case.applicant_type
        )


class ActionAnswerContact(KnowledgeAction):
    """Who to call: the city's phone and hours, or every city's when unknown."""

    action_name = "action_answer_contact"

    def replies(self, tracker: Tracker) -> Answer:
        """Contact lines."""
        return contact_replies(get_kb(), read_case(tracker).municipality), []


class ActionAnswerOutOfScope(KnowledgeAction):
    """A polite 'this bot handles PINs' with the city's contact."""

    action_name = "action_answer_out_of_scope"

    def replies(self, tracker: Tracker) -> Answer:
        """Out-of-scope notice, pointing where the resident's topic is handled."""
        topic = match_value("out_of_scope_topic", latest_text(tracker))
        return out_of_scope_replies(get_kb(), read_case(tracker).municipality, topic), []


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
    actions = (ActionAnswerOfficeHours(), ActionAnswerIdentityDocuments())
    return next((action for action in actions if action.intent == pending), None)


class ActionHandleInform(KnowledgeAction):
    """A bare answer (city, applicant, PIN) outside a case (data/rules/case.yml re-runs the form when one is under way)."""

    action_name = "action_handle_inform"

    def replies(self, tracker: Tracker) -> Answer:
        """Answer the question that waited for the city, start the case a message names, or ask what the resident needs."""
        case, text = read_case(tracker), latest_text(tracker)
        pending = pending_question_action(tracker.get_slot("pending_question"))
        # NLU may have missed the city entity: the resident may still have typed one (「たじみし」).
        city = (case.municipality or get_kb().resolve_municipality(text)) if pending else None
        if pending and city:
            return pending.answered(city, tracker, SlotSet("municipality", city))
        # 「龍ケ崎市在住です。任意代理人として暗証番号を再設定したいです」 read as a bare answer: it names a procedure,
        # so the case starts (the form then reads the city and applicant from the same message), never the menu.
        procedure = None if text.startswith("/") else match_value("procedure", text)
        if procedure:
            return [], [SlotSet("procedure", procedure), FollowupAction("pin_case_form")]
        return [Reply(response="utter_how_can_i_help")], []
