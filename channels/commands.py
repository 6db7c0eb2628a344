"""Which slash commands may reach Rasa: only a button the bot offered, or one of the main menu's.

Rasa reads a message whose stripped text starts with ``/`` as an intent with entities (``/inform{"municipality":
"..."}``): a forced intent and slot values of the sender's choosing. The gateway never forwards typed text as one,
but Rasa's REST webhook can be reached without the gateway, so the channel checks too. Where a slash can hide and
how it is neutralised is privacy.commands, the gateway's rule as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Optional

from rasa.core.nlg.interpolator import interpolate_text
from rasa.shared.core.events import BotUttered

from privacy.commands import is_command, visible_text

# The domain response whose buttons are the main menu: choices residents can always send (the LINE rich menu and
# the greeting's quick replies, gateway/line/menu.py, are four of them).
MAIN_MENU_RESPONSE = "utter_greet"


def command_text(text: str) -> Optional[str]:
    """The message as Rasa would read a command in it (invisible characters dropped, stripped), or None."""
    visible = visible_text(text)
    return visible if is_command(visible) else None


def offered_payloads(events: Iterable[Any]) -> set[str]:
    """Payloads of every button the bot offered in the stored conversation (its current session, as Rasa loads it).

    Not only the latest turn: a resident who taps an earlier button (another applicant, another office) means it,
    as the gateway's own check of offered buttons does.
    """
    payloads: set[str] = set()
    for event in events:
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


def offered_match(command: str, payloads: set[str]) -> Optional[str]:
    """``command`` if it is exactly one of ``payloads``, else None.

    Payload ids never look like a PIN to the redaction rule (tests/golden/test_payloads_survive_redaction.py), so the
    redacted text of a pressed button is the payload itself.
    """
    return command if command in payloads else None
