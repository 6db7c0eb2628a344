"""Which slash commands may reach Rasa: only a button the bot offered, or one of the main menu's.

Rasa reads a leading ``/`` as an intent with slot values of the sender's choosing; Rasa's REST webhook can be reached
without the gateway, so the channel decides. Where a slash can hide is privacy.commands, the gateway's rule too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Optional

from rasa.core.nlg.interpolator import interpolate_text
from rasa.shared.core.events import BotUttered

from privacy.commands import PAYLOAD_KEY_PREFIX, payload_key

# The domain response whose buttons are the main menu: choices residents can always send (the LINE rich menu and
# the greeting's quick replies, gateway/line/menu.py, are four of them).
MAIN_MENU_RESPONSE = "utter_greet"


def _payloads(messages: Iterable[Any]) -> set[str]:
    """The payloads of the buttons of ``messages`` (an event's data, a domain response's variation)."""
    return {
        button["payload"]
        for message in messages
        for button in message.get("buttons") or []
        if isinstance(button, dict) and isinstance(button.get("payload"), str)
    }


def offered_payloads(events: Iterable[Any]) -> set[str]:
    """Payloads of every button offered in the stored conversation's session: an earlier turn's tap is meant too."""
    return _payloads(event.data for event in events if isinstance(event, BotUttered))


def main_menu_payloads(domain: Any) -> set[str]:
    """Payloads of the main menu's buttons, as Rasa sends them (``{{ }}`` in domain.yml become braces)."""
    menu = (getattr(domain, "responses", None) or {}).get(MAIN_MENU_RESPONSE) or []
    return {interpolate_text(payload, {}) for payload in _payloads(menu)}


def offered_match(command: str, payloads: set[str]) -> Optional[str]:
    """The one of ``payloads`` that ``command`` is, or whose key it is (a long LINE postback), else None.

    Payloads (tests/golden/test_payloads_survive_redaction.py) and keys survive redaction as they are.
    """
    if command in payloads:
        return command
    if command.startswith(PAYLOAD_KEY_PREFIX):
        return next((payload for payload in payloads if payload_key(payload) == command), None)
    return None
