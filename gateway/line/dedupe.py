"""Remembers ``webhookEventId`` values so a redelivered event is processed once, across restarts too."""

from __future__ import annotations

import threading
import time

from gateway.db import Database

MAX_EVENT_ID = 128


class EventDeduplicator:
    """An event is claimed while it is being handled and recorded only once it has been handled.

    "Handled" means answered, or its push fallback tried, or nothing to answer: an event whose reply failed is
    released, so a redelivery of it is processed again instead of being dropped as a duplicate.
    """

    def __init__(self, db: Database, ttl_seconds: float = 3 * 24 * 3600) -> None:
        """Ids older than ``ttl_seconds`` are forgotten (LINE redelivers well within that)."""
        self._db = db
        self._ttl = ttl_seconds
        self._inserted = 0
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()

    async def claim(self, event_id: object) -> bool:
        """True if this event should be handled now (neither handled before nor being handled); ids are optional."""
        key = _key(event_id)
        if key is None:
            return True
        with self._lock:
            if key in self._in_flight:
                return False
            with self._db.lock:
                row = self._db.conn.execute("SELECT 1 FROM seen_events WHERE event_id = ?", (key,)).fetchone()
            if row is not None:
                return False
            self._in_flight.add(key)
            return True

    async def done(self, event_id: object, now: float | None = None) -> None:
        """Record a claimed event as handled: a later delivery of it is a duplicate."""
        key = _key(event_id)
        if key is None:
            return
        now = time.time() if now is None else now
        with self._lock, self._db.lock:
            self._db.conn.execute("INSERT OR IGNORE INTO seen_events(event_id, seen) VALUES (?, ?)", (key, now))
            self._in_flight.discard(key)
            self._inserted += 1
            if self._inserted % 1000 == 0:
                self._db.conn.execute("DELETE FROM seen_events WHERE seen < ?", (now - self._ttl,))

    async def purge(self, now: float | None = None) -> int:
        """Forget ids older than the time-to-live; returns how many went."""
        now = time.time() if now is None else now
        with self._db.lock:
            return int(self._db.conn.execute("DELETE FROM seen_events WHERE seen < ?", (now - self._ttl,)).rowcount)

    async def release(self, event_id: object) -> None:
        """Give a claimed event up unhandled: a redelivery of it will be handled."""
        key = _key(event_id)
        if key is not None:
            with self._lock:
                self._in_flight.discard(key)


def _key(event_id: object) -> str | None:
    if not isinstance(event_id, str) or not event_id:
        return None
    return event_id[:MAX_EVENT_ID]
