"""Validation of pin_case_form: ask only what changes the answer for this case, also from free text."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import canonical, default_municipality, latest_intent, latest_text, resolve_municipality
from actions.settings import get_kb
from kb.ids import PROCEDURES
from vocabulary import match_value


class ValidatePinCaseForm(FormValidationAction):
    """Validate and extract the slots of pin_case_form, also from the resident's free text."""

    @staticmethod
    def requested(tracker: Tracker, *slots: Optional[str]) -> bool:
        """Whether the form is asking for one of ``slots`` (None: nothing asked yet, the form starts or restarts)."""
        return tracker.get_slot("requested_slot") in slots

    def extract_from_vocabulary(self, tracker: Tracker, slot: str) -> Dict[Text, Any]:
        """Fill ``slot`` from the vocabulary when it is asked for, or stated as the form starts, and NLU found none.

        "Stated as the form starts": the message that opens the form (「千葉市です。祖母の…代理で手続きをしたい」).
        """
        if not self.requested(tracker, slot, None) or tracker.get_slot(slot) is not None:
            return {}
        if any(entity.get("entity") == slot for entity in (tracker.latest_message or {}).get("entities", [])):
            return {}
        value = match_value(slot, latest_text(tracker))
        return {slot: value} if value is not None else {}

    def name(self) -> Text:
        """Name of the action."""
        return "validate_pin_case_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        """Slots needed for this procedure; PIN questions only where the kiosk route could apply."""
        procedure = tracker.get_slot("procedure")
        # The procedure comes from the intent (domain slot mapping) or the procedure buttons.
        slots = [] if procedure in PROCEDURES else ["procedure"]
        slots += ["applicant_type", "municipality"]
        if procedure == "pin_reset" and tracker.get_slot("applicant_type") == "self":
            slots.append("pin_type")
            # Whether the resident knows the other PIN matters only where the kiosk route exists
            # (knowledge/national.yml store_reset).
            pin_type = tracker.get_slot("pin_type")
            if isinstance(pin_type, str) and get_kb().national.store_reset.available_for(pin_type):
                slots.append("knows_other_pin")
        return slots

    async def extract_procedure(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """The procedure named in the words (ロックされた, 再設定したい) when the intent did not give it (代理の相談)."""
        return self.extract_from_vocabulary(tracker, "procedure")

    async def extract_applicant_type(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Applicant type in free text (自分です, 母の代わりに)."""
        return self.extract_from_vocabulary(tracker, "applicant_type")

    async def extract_municipality(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """The deployment's city, or the city named in free text (みたかし)."""
        if tracker.get_slot("municipality") is not None:
            return {}
        fixed = default_municipality(tracker)
        if fixed:
            return {"municipality": fixed}
        if not self.requested(tracker, "municipality", None):
            return {}
        found = get_kb().resolve_municipality(latest_text(tracker))
        return {"municipality": found} if found else {}

    async def extract_pin_type(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """PIN type in free text (e-Taxのほう, わからない)."""
        if self.requested(tracker, "pin_type") and latest_intent(tracker) == "deny":
            return {"pin_type": "all"}
        return self.extract_from_vocabulary(tracker, "pin_type")

    async def extract_knows_other_pin(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Yes / no (buttons, affirm / deny, or words such as 忘れた) to 'do you know the other PIN?'."""
        if not self.requested(tracker, "knows_other_pin"):
            return {}
        intent = latest_intent(tracker)
        if intent in ("affirm", "deny"):
            return {"knows_other_pin": intent == "affirm"}
        words = self.extract_from_vocabulary(tracker, "knows_other_pin")
        if words:
            return {"knows_other_pin": words["knows_other_pin"] == "true"}
        return {}

    def validate_procedure(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep only known procedures."""
        return {"procedure": value if value in PROCEDURES else None}

    def validate_applicant_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Map the answer to 本人 / 法定代理人 / 任意代理人."""
        applicant = canonical("applicant_type", value)
        if applicant is None:
            dispatcher.utter_message(
                text="すみません、どなたが手続きをされるか読み取れませんでした。下のボタンから選んでください。"
            )
        return {"applicant_type": applicant}

    def validate_municipality(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Accept the four cities the knowledge base covers."""
        municipality = resolve_municipality(value)
        if municipality is None:
            names = "・".join(get_kb().municipality(mid).name for mid in get_kb().municipality_ids())
            dispatcher.utter_message(
                text=f"申し訳ありません。このチャットボットがご案内できるのは{names}です。お住まいの市を選んでください。"
            )
        return {"municipality": municipality}

    def validate_pin_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Map the answer to a PIN type id (or 'all' when the resident does not know)."""
        return {"pin_type": canonical("pin_type", value)}

    def validate_knows_other_pin(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep a yes / no answer."""
        return {"knows_other_pin": value if isinstance(value, bool) else None}
