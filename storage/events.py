"""Redact serialised Rasa events and count them for the text-free statistics (no Rasa import: plain dicts)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence, Set
from datetime import datetime, timedelta, timezone
from typing import Any

from privacy.redact import Redaction, redact, redact_individual_numbers

JST = timezone(timedelta(hours=9))
FALLBACK_ACTIONS = frozenset({"action_default_fallback"})
FALLBACK_INTENTS = frozenset({"nlu_fallback"})
# The key counted for a city or an intent that is not a known id: counts outlive the conversations, so a value a
# sender made up (a forced slot, an event posted through the API) must never become a key.
OTHER = "other"


def redact_strings(value: Any, rule: Callable[[str], Redaction]) -> Any:
    """A copy of ``value`` (JSON-like) with every string, keys included, passed through ``rule``."""
    if isinstance(value, str):
        return rule(value).text
    if isinstance(value, dict):
        return {redact_strings(k, rule) if isinstance(k, str) else k: redact_strings(v, rule) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_strings(v, rule) for v in value]
    return value


def redact_event(data: dict[str, Any]) -> dict[str, Any]:
    """A redacted copy of one serialised event.

    The resident's words (text, parse data, metadata, entities, slot values) get the full rule; the bot's own words
    only lose 12-digit numbers (its phone numbers and lengths must stay readable).
    """
    out = dict(data)
    kind = data.get("event")
    if kind == "user":
        for key in ("text", "parse_data", "metadata", "input_channel"):
            if key in out:
                out[key] = redact_strings(out[key], redact)
    elif kind == "bot":
        for key in ("text", "metadata"):
            if key in out:
                out[key] = redact_strings(out[key], redact_individual_numbers)
    elif kind == "slot":
        out["value"] = redact_strings(out.get("value"), redact)
    elif kind == "entities":
        out["entities"] = redact_strings(out.get("entities"), redact)
    elif "metadata" in out:
        out["metadata"] = redact_strings(out["metadata"], redact)
    return out


def day_of(timestamp: object) -> str:
    """The Japanese calendar day of an event timestamp (staff count by their own days)."""
    seconds = float(timestamp) if isinstance(timestamp, (int, float)) else 0.0
    return datetime.fromtimestamp(seconds, JST).date().isoformat()


def count_events(
    events: Sequence[dict[str, Any]], first_new: int, cities: Set[str], intents: Set[str]
) -> Counter[tuple[str, str, str]]:
    """Counts to add for ``events[first_new:]``: (day, metric, key) -> n, with no text in any key.

    Metrics: ``conversations`` (a session started), ``intent`` (per resident message), ``municipality`` (each city
    once per session, when it becomes known), ``fallback`` (the bot did not understand). A ``municipality`` key is
    one of ``cities`` (the knowledge base's ids) and an ``intent`` key one of ``intents`` (the domain's), else
    ``OTHER``. Pass the redacted events: nothing else belongs in statistics.
    """
    counts: Counter[tuple[str, str, str]] = Counter()
    cities_in_session: set[str] = set()
    for index, data in enumerate(events):
        kind = data.get("event")
        new = index >= first_new
        day = day_of(data.get("timestamp"))
        if kind == "session_started":
            cities_in_session = set()
            if new:
                counts[(day, "conversations", "")] += 1
        elif kind == "slot" and data.get("name") == "municipality" and isinstance(data.get("value"), str):
            city = data["value"] if data["value"] in cities else OTHER
            if city not in cities_in_session:
                cities_in_session.add(city)
                if new:
                    counts[(day, "municipality", city)] += 1
        elif new and kind == "user":
            intent = (data.get("parse_data") or {}).get("intent") or {}
            name = intent.get("name") if isinstance(intent, dict) else None
            if isinstance(name, str) and name:
                counts[(day, "intent", name if name in intents else OTHER)] += 1
                if name in FALLBACK_INTENTS:
                    counts[(day, "fallback", name)] += 1
        elif new and kind == "action" and data.get("name") in FALLBACK_ACTIONS:
            counts[(day, "fallback", str(data["name"]))] += 1
    return counts
