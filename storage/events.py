"""Redact serialised Rasa events (no Rasa import: plain dicts); storage/stats.py counts them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from privacy.redact import Redaction, redact, redact_individual_numbers


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
