"""Questions whose choices come from the knowledge base: which city (the form's question for `municipality`)."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker

from actions.base import KnowledgeAction
from actions.knowledge import get_kb
from replies.message import Button, Reply


def municipality_question() -> Reply:
    """「お住まいの市を選んでください」 with one button per city file, titled with the city's name as the KB writes it."""
    kb = get_kb()
    ids = kb.municipality_ids()
    buttons = [Button(kb.municipality(mid).name, f'/inform{{"municipality": "{mid}"}}') for mid in ids]
    return Reply(
        f"お住まいの市を選んでください（このチャットボットは次の{len(ids)}市の情報でご案内しています）。", buttons
    )


class ActionAskMunicipality(KnowledgeAction):
    """pin_case_form's question for the city (Rasa runs action_ask_<slot> when the domain has it)."""

    action_name = "action_ask_municipality"

    def replies(self, tracker: Tracker) -> tuple[List[Reply], List[Dict[Text, Any]]]:
        """The question with the cities of the knowledge base as buttons."""
        return [municipality_question()], []
