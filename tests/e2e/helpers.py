"""Assertions over bot replies in end-to-end conversations."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from kb.store import load_kb
from tests.e2e.stack import Stack

Replies = List[Dict[str, Any]]
# How JSON (and JSON in JSON) writes a character: Rasa's structured log lines escape every non-ASCII one.
_JSON_ESCAPE = re.compile(r"\\+u([0-9a-fA-F]{4})")


def readable(log_line: str) -> str:
    """A log line with its JSON escapes read (\\uff11 is １), without the code under test."""
    return _JSON_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), log_line)


def trigger(stack: Stack, sender: str, intent: str, entities: Optional[Dict[str, str]] = None) -> Replies:
    """Start a turn with ``intent`` through Rasa's token-guarded HTTP API, as an operator can.

    A typed ``/intent`` no longer reaches Rasa as one (channels/commands.py): only the bot's offered buttons do.
    """
    answer = stack.api("POST", f"/conversations/{sender}/trigger_intent", {"name": intent, "entities": entities or {}})
    return list(answer.get("messages") or [])


def joined(replies: Replies) -> str:
    """All reply texts as one string."""
    return "\n".join(reply.get("text", "") for reply in replies)


def button_titles(replies: Replies) -> List[str]:
    """Titles of all buttons offered in these replies."""
    return [button["title"] for reply in replies for button in reply.get("buttons", [])]


def payload_for(replies: Replies, title_part: str) -> str:
    """The payload of the offered button whose title contains ``title_part``."""
    for reply in replies:
        for button in reply.get("buttons", []):
            if title_part in button["title"]:
                return button["payload"]
    raise AssertionError(f"no button containing {title_part!r} in {button_titles(replies)}")


def other_city_phones(municipality: str) -> List[str]:
    """Phone numbers of every other city in the knowledge base."""
    kb = load_kb()
    return [
        phone.number
        for mid in kb.municipality_ids()
        if mid != municipality
        for phone in kb.municipality(mid).contact.phones
    ]
