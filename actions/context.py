"""Read the resident's case from the conversation, normalised to canonical ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from rasa_sdk import Tracker

from actions import settings
from actions.settings import get_kb
from kb import ids
from vocabulary import match_value

PROCEDURES = ids.PROCEDURES
APPLICANT_TYPES = ids.APPLICANTS
# The card's four PINs, plus what a resident may answer instead: "a 4-digit one" or "I don't know / all".
PIN_TYPES = (*ids.PIN_TYPES, "four_digit", "all")


def resolve_municipality(value: Any) -> Optional[str]:
    """Turn a slot value, entity value or free text into a municipality id, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    kb = get_kb()
    return value if value in kb.municipality_ids() else kb.resolve_municipality(value)


@dataclass(frozen=True)
class Case:
    """What the bot knows about the resident's situation."""

    municipality: Optional[str]
    procedure: Optional[str]
    applicant_type: Optional[str]
    pin_type: Optional[str]
    knows_other_pin: Optional[bool]


def canonical(slot: str, value: Any, allowed: tuple[str, ...]) -> Optional[str]:
    """Return ``value`` if it is an allowed id, else what the vocabulary makes of it, else None."""
    if not isinstance(value, str):
        return None
    if value in allowed:
        return value
    matched = match_value(slot, value)
    return matched if matched in allowed else None


def raw_municipality(tracker: Tracker) -> Optional[str]:
    """The city as given (slot, page metadata or deployment), without consulting the knowledge base."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    for value in (tracker.get_slot("municipality"), metadata.get("municipality"), settings.default_municipality()):
        if isinstance(value, str) and value:
            return value
    return None


def municipality_from_metadata(tracker: Tracker) -> Optional[str]:
    """The city fixed by the embedding page or LINE account, sent as message metadata."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    if not metadata:
        metadata = tracker.get_slot("session_started_metadata") or {}
    return resolve_municipality(metadata.get("municipality")) if isinstance(metadata, dict) else None


def default_municipality(tracker: Tracker) -> Optional[str]:
    """The city to assume when the resident has not named one: embedding first, then deployment."""
    return municipality_from_metadata(tracker) or resolve_municipality(settings.default_municipality())


def read_case(tracker: Tracker) -> Case:
    """Collect the case from the slots, falling back to the deployment's city."""
    knows = tracker.get_slot("knows_other_pin")
    return Case(
        municipality=resolve_municipality(tracker.get_slot("municipality")) or default_municipality(tracker),
        procedure=canonical("procedure", tracker.get_slot("procedure"), PROCEDURES),
        applicant_type=canonical("applicant_type", tracker.get_slot("applicant_type"), APPLICANT_TYPES),
        pin_type=canonical("pin_type", tracker.get_slot("pin_type"), PIN_TYPES),
        knows_other_pin=knows if isinstance(knows, bool) else None,
    )
