"""A tracker database with known conversations, written through the real tracker store (redaction and counts).

``python -m tests.console.seed DB`` writes it (the browser test, in the gateway's venv, cannot import Rasa).
The answer key and feedback events follow the feedback interface the answer actions implement.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from storage.redacting_sql import RedactingSQLTrackerStore

REPO = Path(__file__).resolve().parents[2]
CHECKLIST = "checklist|mitaka|pin_reset|self|forgot_pin"
HOURS = "hours|chiba|-|-|office_hours"
# What residents typed that the bot could not answer, as the console must show it: as text, redacted.
SCRIPT = "<script>alert('xss')</script>ごみの日はいつ？"
HTML = '<img src=x onerror="alert(1)"><b>太字</b>の質問'
WITH_PIN = "暗証番号は4917です、どうすれば"
WITH_PIN_SHOWN = "暗証番号は［暗証番号］です、どうすれば"
# The figures the seeded conversations make (CONTRACT §8's C), today and two days ago (Japan time).
TODAY = {
    "conversations": 3,
    "checklists": 1,
    "answers": 1,
    "out_of_scope": 1,
    "fallbacks": 2,
    "handoffs": 0,
    "helpful": 1,
    "not_helpful": 1,
}
EARLIER = {**dict.fromkeys(TODAY, 0), "conversations": 1, "handoffs": 1}
DAY = 24 * 3600.0


def said(text: str, intent: str, channel: str, ts: float, **entities: str) -> UserUttered:
    """A resident's message as the REST channel stores it (the gateway's channel in the metadata)."""
    found = [{"entity": name, "value": value} for name, value in entities.items()]
    parse: dict[str, Any] = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": found}
    return UserUttered(
        text, intent=parse["intent"], entities=found, parse_data=parse, metadata={"channel": channel}, timestamp=ts
    )


def conversations(now: float) -> dict[str, list[Event]]:
    """Four conversations: web in 三鷹市 with ratings, LINE out of scope, web fallbacks in 千葉市, an older handoff."""

    def start(ts: float) -> list[Event]:
        return [
            ActionExecuted("action_session_start", timestamp=ts),
            SessionStarted(timestamp=ts),
            ActionExecuted("action_listen", timestamp=ts),
        ]

    t = now - 60
    return {
        "web-mitaka": [
            *start(t),
            said("暗証番号を忘れた", "forgot_pin", "web", t),
            SlotSet("municipality", "mitaka", timestamp=t),
            ActionExecuted("action_answer_case", timestamp=t),
            SlotSet("answer_key", CHECKLIST, timestamp=t),
            said("/feedback", "feedback", "web", t + 1, rating="not_helpful"),
            said("/feedback_reason", "feedback_reason", "web", t + 2, reason="missing_info"),
        ],
        "line-unknown": [
            *start(t),
            said(SCRIPT, "out_of_scope", "line", t + 3),
            ActionExecuted("action_answer_out_of_scope", timestamp=t + 3),
        ],
        "web-chiba": [
            *start(t),
            said(HTML, "nlu_fallback", "web", t + 4),
            said(WITH_PIN, "nlu_fallback", "web", t + 5),
            SlotSet("municipality", "chiba", timestamp=t + 6),
            ActionExecuted("action_answer_office_hours", timestamp=t + 6),
            SlotSet("answer_key", HOURS, timestamp=t + 6),
            said("/feedback", "feedback", "web", t + 7, rating="helpful"),
        ],
        "line-earlier": [
            *start(now - 2 * DAY),
            said("窓口の人と話したい", "human_handoff", "line", now - 2 * DAY),
            SlotSet("municipality", "tajimi", timestamp=now - 2 * DAY),
            ActionExecuted("action_answer_contact", timestamp=now - 2 * DAY),
        ],
    }


def seed(db: Path, now: float) -> None:
    """Save the conversations through the real tracker store into ``db``."""
    domain = Domain.from_yaml((REPO / "domain.yml").read_text(encoding="utf-8"))
    store = RedactingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db))
    for sender, events in conversations(now).items():
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events, domain.slots)))
    store.engine.dispose()


if __name__ == "__main__":
    seed(Path(sys.argv[1]), time.time())
