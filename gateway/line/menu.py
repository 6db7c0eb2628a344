"""The main choices a LINE resident can always pick: rich menu areas and the greeting's quick replies.

They are the catalogue's starters (replies/catalogue.yml), with LINE's shorter labels (20 characters at most).
"""

from __future__ import annotations

from gateway.rasa import BotButton
from replies.catalogue import catalogue


def main_choices() -> tuple[BotButton, ...]:
    """The starters as LINE buttons (Rasa intent payloads of CONTRACT §3)."""
    return tuple(BotButton(title=choice.line_title, payload=choice.payload) for choice in catalogue().starters)


def main_payloads() -> tuple[str, ...]:
    """The payloads a postback of the rich menu may carry."""
    return tuple(choice.payload for choice in catalogue().starters)
