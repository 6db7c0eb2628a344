"""Which slash commands may reach Rasa: only a button the bot offered, or one of the main menu's.

Rasa reads a message whose stripped text starts with ``/`` as an intent with entities (``/inform{"municipality":
"..."}``): a forced intent and slot values of the sender's choosing. The gateway never forwards typed text as one,
but Rasa's REST webhook can be reached without the gateway, so the channel checks too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any, Optional

from rasa.core.nlg.interpolator import interpolate_text
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.core.events import BotUttered, UserUttered

from jptext import nfkc

# What a typed slash becomes: the full-width solidus reads the same to a person and is no command to Rasa.
NEUTRAL_PREFIX = "／"
# The domain response whose buttons are the main menu: choices residents can always send (the LINE rich menu and
# the greeting's quick replies, gateway/line/menu.py, are four of them).
MAIN_MENU_RESPONSE = "utter_greet"


def _visible(text: str) -> str:
    """``text`` without invisible format and control characters (newline and tab kept), stripped."""
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf")).strip()


def command_text(text: str) -> Optional[str]:
    """The message as a command candidate (invisible characters dropped, stripped), or None if it is none.

    A slash look-alike (``／``) counts: any normalisation on the way (NFKC) would turn it into a command.
    """
    visible = _visible(text)
    if visible and nfkc(visible[0]).startswith(INTENT_MESSAGE_PREFIX):
        return visible
    return None


def neutralised(command: str) -> str:
    """The command with its leading slash replaced, so that Rasa reads it as plain text."""
    return NEUTRAL_PREFIX + command[1:]


def offered_payloads(events: Iterable[Any]) -> set[str]:
    """Payloads of the buttons of the bot's latest turn: its messages since the resident's last one."""
    payloads: set[str] = set()
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            for button in event.data.get("buttons") or []:
                if isinstance(button, dict) and isinstance(button.get("payload"), str):
                    payloads.add(button["payload"])
    return payloads


def main_menu_payloads(domain: Any) -> set[str]:
    """Payloads of the main menu's buttons, as Rasa sends them (``{{ }}`` in domain.yml become braces)."""
    responses = getattr(domain, "responses", None) or {}
    return {
        interpolate_text(button["payload"], {})
        for variation in responses.get(MAIN_MENU_RESPONSE) or []
        for button in variation.get("buttons") or []
        if isinstance(button, dict) and isinstance(button.get("payload"), str)
    }
