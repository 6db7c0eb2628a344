"""Retention by event age (RETENTION_DAYS), on SQLite and on PostgreSQL, read back through Rasa's own retrieve.

A LINE resident writes every few days: the conversation never goes quiet for a whole retention period, yet what
was said longer ago than the retention must go. What is left must still load in Rasa and continue.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from storage.redacting_sql import RedactingSQLTrackerStore
from tests.scaled.services import PostgresCluster

DOMAIN = Domain.from_yaml(Path(__file__).resolve().parents[2].joinpath("domain.yml").read_text(encoding="utf-8"))
DAY = 24 * 3600.0
NOW = time.time()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RedactingSQLTrackerStore]:
    """A store with a 7-day retention, on SQLite or on the private PostgreSQL cluster."""
    if request.param == "sqlite":
        yield RedactingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"), retention_days=7)
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    database: str = request.getfixturevalue("pg_database")
    opened = RedactingSQLTrackerStore(
        domain=DOMAIN,
        dialect="postgresql",
        host="127.0.0.1",
        port=cluster.port,
        username="postgres",
        db=database,
        login_db="postgres",
        retention_days=7,
    )
    yield opened
    opened.engine.dispose()


def session(at: float, text: str, city: str = "mitaka", minutes: float = 2) -> list[Event]:
    """One conversation session starting at ``at``: the resident asks, the bot answers, the city is set."""
    step = minutes * 60 / 4
    return [
        ActionExecuted("action_session_start", timestamp=at),
        SessionStarted(timestamp=at),
        SlotSet("municipality", city, timestamp=at),
        ActionExecuted("action_listen", timestamp=at),
        UserUttered(text, intent={"name": "forgot_pin", "confidence": 1.0}, timestamp=at + step),
        BotUttered(f"answer to {text}", timestamp=at + 2 * step),
        ActionExecuted("action_listen", timestamp=at + 3 * step),
    ]


def save(store: RedactingSQLTrackerStore, sender: str, events: list[Event]) -> None:
    """Save the events as one tracker (the store writes those it has not stored yet)."""
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events, DOMAIN.slots)))


def stored_texts(store: RedactingSQLTrackerStore, sender: str) -> list[str]:
    """Every stored user and bot text of a conversation, in order, straight from the table."""
    events = store.SQLEvent.__table__
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(events.c.type_name, events.c.data).where(events.c.sender_id == sender).order_by(events.c.id)
        )
        return [_text(data) for kind, data in rows if kind in ("user", "bot")]


def _text(data: str) -> str:
    import json

    value: Any = json.loads(data).get("text")
    return str(value)


def texts(tracker: DialogueStateTracker | None) -> list[str]:
    """User and bot texts of a tracker Rasa loaded."""
    assert tracker is not None
    return [e.text or "" for e in tracker.events if isinstance(e, (UserUttered, BotUttered))]


def test_a_resident_who_writes_every_few_days_loses_what_is_older_than_the_retention(
    store: RedactingSQLTrackerStore,
) -> None:
    sender = "line-resident"
    history = session(NOW - 10 * DAY, "zq-ten-days") + session(NOW - 3 * DAY, "zq-three-days")
    save(store, sender, history)
    assert store.purge_expired(now=NOW) == 7
    assert stored_texts(store, sender) == ["zq-three-days", "answer to zq-three-days"]
    # Rasa loads the current session, and the whole history, from what is left.
    current = asyncio.run(store.retrieve(sender))
    assert texts(current) == ["zq-three-days", "answer to zq-three-days"]
    assert current is not None and current.get_slot("municipality") == "mitaka"
    assert texts(asyncio.run(store.retrieve_full_tracker(sender))) == ["zq-three-days", "answer to zq-three-days"]
    # The conversation continues: a new session today, saved on top of what Rasa loaded, stored once.
    tracker = asyncio.run(store.retrieve_full_tracker(sender))
    assert tracker is not None
    for event in session(NOW, "zq-today"):
        tracker.update(event)
    asyncio.run(store.save(tracker))
    assert stored_texts(store, sender) == [
        "zq-three-days",
        "answer to zq-three-days",
        "zq-today",
        "answer to zq-today",
    ]
    assert texts(asyncio.run(store.retrieve(sender))) == ["zq-today", "answer to zq-today"]
    # Nothing of it is older than the retention, so a second purge has nothing to do.
    assert store.purge_expired(now=NOW) == 0


def test_the_current_session_goes_only_as_a_whole(store: RedactingSQLTrackerStore) -> None:
    """A session still going on at the cutoff is kept whole (Rasa loads it from its start), then goes whole."""
    sender = "long-session"
    # The question 150 s before the cutoff, the answer 150 s after it.
    save(store, sender, session(NOW - 7 * DAY - 450, "zq-across-the-cutoff", minutes=20))
    assert store.purge_expired(now=NOW) == 0
    assert texts(asyncio.run(store.retrieve(sender))) == ["zq-across-the-cutoff", "answer to zq-across-the-cutoff"]
    assert store.purge_expired(now=NOW + DAY) == 7
    assert asyncio.run(store.retrieve(sender)) is None


def test_an_older_session_across_the_cutoff_loses_its_old_part_and_still_loads(store: RedactingSQLTrackerStore) -> None:
    sender = "split"
    older = session(NOW - 7 * DAY - 450, "zq-old-part", minutes=20)
    save(store, sender, older + session(NOW - DAY, "zq-yesterday"))
    # Of the older session, the events before the cutoff go (its start, the city, the question); its answer stays.
    assert store.purge_expired(now=NOW) == 5
    assert stored_texts(store, sender) == ["answer to zq-old-part", "zq-yesterday", "answer to zq-yesterday"]
    assert texts(asyncio.run(store.retrieve(sender))) == ["zq-yesterday", "answer to zq-yesterday"]
    full = asyncio.run(store.retrieve_full_tracker(sender))
    assert texts(full) == ["answer to zq-old-part", "zq-yesterday", "answer to zq-yesterday"]


def test_conversations_without_a_session_start_go_when_all_of_them_is_old(store: RedactingSQLTrackerStore) -> None:
    """Events written through the HTTP API may have no session start: Rasa then loads them all, as one session."""
    save(store, "api-old", [UserUttered("zq-api-old", timestamp=NOW - 9 * DAY)])
    save(store, "api-mixed", [UserUttered("zq-a", timestamp=NOW - 9 * DAY), UserUttered("zq-b", timestamp=NOW)])
    assert store.purge_expired(now=NOW) == 1
    assert asyncio.run(store.retrieve("api-old")) is None
    assert texts(asyncio.run(store.retrieve("api-mixed"))) == ["zq-a", "zq-b"]
