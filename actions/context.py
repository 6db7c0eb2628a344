"""Read the resident's case from the conversation, normalised to canonical ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from rasa_sdk import Tracker

from actions import settings
from actions.settings import get_kb
from kb import ids
from vocabulary import match_value

# The ids of each case slot; for the PIN, the card's four plus what a resident may answer instead: "a 4-digit one"
# or "I don't know / all".
ALLOWED = {
    "procedure": ids.PROCEDURES,
    "applicant_type": ids.APPLICANTS,
    "pin_type": (*ids.PIN_TYPES, "four_digit", "all"),
}


@dataclass(frozen=True)
class Case:
    """What the bot knows about the resident's situation."""

    municipality: Optional[str]
    procedure: Optional[str]
    applicant_type: Optional[str]
    pin_type: Optional[str]
    knows_other_pin: Optional[bool]


def canonical(slot: str, value: Any) -> Optional[str]:
    """Return ``value`` if it is an id of ``slot``, else what the vocabulary makes of it, else None."""
    if not isinstance(value, str):
        return None
    matched = value if value in ALLOWED[slot] else match_value(slot, value)
    return matched if matched in ALLOWED[slot] else None


def resolve_municipality(value: Any) -> Optional[str]:
    """Turn a slot value, entity value or free text into a municipality id, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    kb = get_kb()
    return value if value in kb.municipality_ids() else kb.resolve_municipality(value)


def raw_municipality(tracker: Tracker) -> Optional[str]:
    """The city as given (slot, page metadata or deployment), without consulting the knowledge base."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    for value in (tracker.get_slot("municipality"), metadata.get("municipality"), settings.default_municipality()):
        if isinstance(value, str) and value:
            return value
    return None


def latest_text(tracker: Tracker) -> str:
    """The resident's latest message (already redacted by the channel)."""
    return (tracker.latest_message or {}).get("text") or ""


def latest_intent(tracker: Tracker) -> Optional[str]:
    """The intent of the resident's latest message."""
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def latest_entity(tracker: Tracker, name: str) -> Optional[str]:
    """The value of entity ``name`` in the resident's latest message (a button's ``part``, ``rating``, ...), if any."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and isinstance(entity.get("value"), str):
            return str(entity["value"])
    return None


def default_municipality(tracker: Tracker) -> Optional[str]:
    """The city to assume when the resident has not named one: the embedding page's or LINE account's first."""
    metadata = (tracker.latest_message or {}).get("metadata") or tracker.get_slot("session_started_metadata") or {}
    embedded = resolve_municipality(metadata.get("municipality")) if isinstance(metadata, dict) else None
    return embedded or resolve_municipality(settings.default_municipality())


def read_case(tracker: Tracker) -> Case:
    """Collect the case from the slots, falling back to the deployment's city."""
    knows = tracker.get_slot("knows_other_pin")
    return Case(
        municipality=resolve_municipality(tracker.get_slot("municipality")) or default_municipality(tracker),
        procedure=canonical("procedure", tracker.get_slot("procedure")),
        applicant_type=canonical("applicant_type", tracker.get_slot("applicant_type")),
        pin_type=canonical("pin_type", tracker.get_slot("pin_type")),
        knows_other_pin=knows if isinstance(knows, bool) else None,
    )
