"""The tracker database as staff read it (no Rasa import: the staff console uses it too).

Where the database is, the text-free daily counts that outlive the conversations (``daily_counts``), and how Rasa's
serialised events are counted: per Japanese day, city and channel, from the redacted events, with no text in any key.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence, Set
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

import sqlalchemy as sa

from kb.ids import APPLICANTS, PROCEDURES

JST = timezone(timedelta(hours=9))
DEFAULT_DB = Path("var") / "tracker.db"
# A city not known (yet) in its session, and a value that is not a known id: counts outlive the conversations, so a
# value a sender made up (a forced slot, an event posted through the API) must never become a key.
UNKNOWN, OTHER = "unknown", "other"
CHANNELS = frozenset({"web", "line"})  # what the gateway puts in a message's metadata (gateway/turns.py)
# The figures of CONTRACT §8, in the order staff read them.
METRICS = ("conversations", "checklists", "answers", "out_of_scope", "fallbacks", "handoffs", "helpful", "not_helpful")
RATINGS = ("helpful", "not_helpful")
REASONS = ("missing_info", "different_case", "unclear")  # why a resident tapped 👎 (counted per answer as metrics)
ANSWER_SLOT = "answer_key"  # "kind|city|procedure|applicant|intent", set by every answer action
ANSWER_KINDS = {"checklist": "checklists", "hours": "answers", "faq": "answers"}
ACTION_METRICS = {
    "action_default_fallback": "fallbacks",
    "action_answer_out_of_scope": "out_of_scope",
    "action_answer_contact": "handoffs",
}
# Why a typed message is listed as unanswered, by what it got.
UNANSWERED = {"fallbacks": "fallback", "out_of_scope": "out_of_scope", "handoffs": "handoff"}
FALLBACK_INTENTS = frozenset({"nlu_fallback"})
# Typed answers to the bot's own questions (本人です, 三鷹市です): never the question a 👎 is about.
REPLY_INTENTS = frozenset({"inform", "affirm", "deny"})

metadata = sa.MetaData()
daily_counts = sa.Table(
    "daily_counts",
    metadata,
    sa.Column("day", sa.String(10), primary_key=True),
    sa.Column("city", sa.String(64), primary_key=True),
    sa.Column("channel", sa.String(16), primary_key=True),
    sa.Column("metric", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False, default=0),
)
Row = tuple[str, str, str, str, str]  # day, city, channel, metric, key


def tracker_db_path(db: Optional[str] = None) -> Path:
    """`db` from endpoints.yml, else $TRACKER_DB, else var/tracker.db (relative to the working directory).

    endpoints.yml cannot give an environment variable a default (Rasa refuses an unset ${VAR}, and a literal
    `${TRACKER_DB}` once became a committed file), so the store reads TRACKER_DB itself: `rasa shell` and
    `rasa run` work from a fresh clone.
    """
    return Path(db or os.environ.get("TRACKER_DB", "").strip() or DEFAULT_DB)


def day_of(timestamp: object) -> str:
    """The Japanese calendar day of an event timestamp (staff count by their own days)."""
    seconds = float(timestamp) if isinstance(timestamp, (int, float)) else 0.0
    return datetime.fromtimestamp(seconds, JST).date().isoformat()


def _known(value: object, allowed: Set[str]) -> Optional[str]:
    return None if not isinstance(value, str) else value if value in allowed else OTHER


def _is_slot(data: dict[str, Any], name: str) -> bool:
    return data.get("event") == "slot" and data.get("name") == name


def _filled(values: list[Optional[str]]) -> list[str]:
    """Each value carried forward; what comes before the first value gets it (UNKNOWN when there is none)."""
    current = next((value for value in values if value is not None), UNKNOWN)
    filled = []
    for value in values:
        current = value if value is not None else current
        filled.append(current)
    return filled


def attribute(events: Sequence[dict[str, Any]], cities: Set[str]) -> list[tuple[str, str]]:
    """(city, channel) of each event: the ones current at it in its session, the session's first before they are known.

    So a conversation counts under ``unknown`` only until its city is known: from then on its figures (those of
    earlier turns too) are the city's. A session that never names one stays ``unknown``.
    """
    starts = [i for i, data in enumerate(events) if data.get("event") == "session_started"]
    bounds = [0, *[i for i in starts if i], len(events)]
    attributed: list[tuple[str, str]] = []
    for begin, end in zip(bounds, bounds[1:], strict=False):
        session = events[begin:end]
        city = [_known(d.get("value"), cities) if _is_slot(d, "municipality") else None for d in session]
        channel = [_known((d.get("metadata") or {}).get("channel"), CHANNELS) for d in session]
        attributed += zip(_filled(city), _filled(channel), strict=True)
    return attributed


def answer_key(value: object, cities: Set[str], intents: Set[str]) -> Optional[str]:
    """The answer key with every part a known id (else OTHER); None when it is not the key of an answer."""
    parts = value.split("|") if isinstance(value, str) else []
    if len(parts) != 5 or parts[0] not in ANSWER_KINDS:
        return None
    known = (ANSWER_KINDS, cities, PROCEDURES, APPLICANTS, intents)
    return "|".join(part if part == "-" or part in ids else OTHER for part, ids in zip(parts, known, strict=True))


def _intent(data: dict[str, Any]) -> str:
    name = ((data.get("parse_data") or {}).get("intent") or {}).get("name")
    return name if isinstance(name, str) else ""


def _entity(data: dict[str, Any], entity: str, allowed: Sequence[str]) -> Optional[str]:
    for found in (data.get("parse_data") or {}).get("entities") or []:
        if isinstance(found, dict) and found.get("entity") == entity and found.get("value") in allowed:
            return str(found["value"])
    return None


def _metrics(data: dict[str, Any], answer: str, intents: Set[str], last_action: str) -> list[tuple[str, str]]:
    """(metric, key) pairs one event counts for; ``answer`` is the answer key current at it."""
    kind = data.get("event")
    if kind == "session_started":
        return [("conversations", "")]
    if kind == "action":
        metric = ACTION_METRICS.get(str(data.get("name")))
        return [(metric, "")] if metric else []
    if _is_slot(data, ANSWER_SLOT) and answer and last_action != "action_session_start":
        return [(ANSWER_KINDS[answer.split("|")[0]], answer)]  # not the copy a new session carries over
    if kind != "user" or not _intent(data):
        return []
    intent = _intent(data)
    found = [("intent", intent if intent in intents else OTHER)]
    found += [("fallbacks", "")] if intent in FALLBACK_INTENTS else []
    rating, reason = _entity(data, "rating", RATINGS), _entity(data, "reason", REASONS)
    # 👍/👎 is intent feedback with a rating, 👎's reason intent feedback_reason (actions/feedback.py).
    return found + [(m, answer) for m, of in ((rating, "feedback"), (reason, "feedback_reason")) if m and intent == of]


def figures(events: Sequence[dict[str, Any]], cities: Set[str], intents: Set[str]) -> Counter[Row]:
    """(day, city, channel, metric, key) -> n for whole sessions of redacted events.

    Metrics: METRICS, ``intent`` (per resident message, keyed by intent) and the 👎 REASONS (keyed by answer).
    Checklists, answers, ratings and reasons are keyed by the answer key current at them. Keys are known ids only
    (``cities`` from the knowledge base, ``intents`` from the domain), else ``OTHER``.
    """
    counts: Counter[Row] = Counter()
    answer, last_action = "", ""
    for data, (city, channel) in zip(events, attribute(events, cities), strict=True):
        if _is_slot(data, ANSWER_SLOT):
            answer = answer_key(data.get("value"), cities, intents) or ""
        for metric, key in _metrics(data, answer, intents, last_action):
            counts[(day_of(data.get("timestamp")), city, channel, metric, key)] += 1
        last_action = str(data.get("name")) if data.get("event") == "action" else last_action
    return counts


def figures_to_add(
    events: Sequence[dict[str, Any]], first_new: int, cities: Set[str], intents: Set[str]
) -> Counter[Row]:
    """What saving ``events[first_new:]`` changes in the counts (negative where a session's city became known)."""
    change = figures(events, cities, intents)
    change.subtract(figures(events[:first_new], cities, intents))
    return Counter({row: n for row, n in change.items() if n})


def _typed(data: dict[str, Any]) -> bool:
    """A message the resident typed (a tapped button is a /command; a typed slash reaches Rasa as ／)."""
    return isinstance(data.get("text"), str) and not data["text"].startswith("/")


def unanswered(events: Sequence[dict[str, Any]]) -> dict[int, str]:
    """Index of each typed message the bot could not answer -> why: fallback, out_of_scope, handoff, not_helpful.

    The message that got the fallback, the out-of-domain answer or the contact is the last one typed before it; a
    👎 is about the last typed question (not a reply to the bot's own questions) before the answer it rates.
    """
    found: dict[int, str] = {}
    typed = question = asked = None
    for index, data in enumerate(events):
        kind, intent = data.get("event"), _intent(data)
        if kind == "user" and _typed(data):
            typed = index
            question = index if intent not in REPLY_INTENTS else question
            if intent in FALLBACK_INTENTS:
                found.setdefault(index, "fallback")
        elif kind == "user" and intent == "feedback" and _entity(data, "rating", RATINGS) == "not_helpful":
            if asked is not None:
                found.setdefault(asked, "not_helpful")
        elif kind == "action" and data.get("name") in ACTION_METRICS and typed is not None:
            found.setdefault(typed, UNANSWERED[ACTION_METRICS[data["name"]]])
        elif _is_slot(data, ANSWER_SLOT):
            asked = question
    return found
