"""Residents rate an answer: 👍/👎 under it, 👎's reasons as buttons (never free text), then the office's contact."""

from __future__ import annotations

import dataclasses
from typing import List, Mapping, Optional

from kb.store import KnowledgeBase
from replies.catalogue import apology, catalogue
from replies.direct import contact_replies
from replies.message import Button, Reply


def _buttons(intent: str, entity: str, titles: Mapping[str, str]) -> List[Button]:
    """One button per id, its payload ``/intent{"entity":"id"}``."""
    return [Button(title, f'/{intent}{{"{entity}":"{value}"}}') for value, title in titles.items()]


def with_rating(replies: List[Reply]) -> List[Reply]:
    """The answer with 👍/👎 after its own buttons on its last message: what to bring, where and when come first."""
    *head, last = replies
    ratings = _buttons("feedback", "rating", catalogue().feedback.ratings)
    return [*head, dataclasses.replace(last, buttons=[*last.buttons, *ratings])]


def rating_replies(rating: Optional[str]) -> List[Reply]:
    """👎: the reasons to choose from; 👍: thanks."""
    feedback = catalogue().feedback
    if rating == "not_helpful":
        return [Reply(feedback.ask_reason, _buttons("feedback_reason", "reason", feedback.reasons))]
    return [Reply(feedback.thanks)]


def reason_replies(kb: KnowledgeBase, municipality_id: Optional[str]) -> List[Reply]:
    """Thanks, then the contact of the answer's city, or the generic contact line when the answer named none."""
    thanks = catalogue().feedback.thanks_reason
    if municipality_id in kb.municipality_ids():
        return [Reply(thanks), *contact_replies(kb, municipality_id)]
    return [Reply(f"{thanks}\n{apology('generic_contact')}")]
