"""Remembers ``webhookEventId`` values so a redelivered event is processed once, across restarts too."""

from __future__ import annotations

import time

from gateway.db import Database


class EventDeduplicator:
    """Records event ids atomically; the first caller for an id wins."""

    def __init__(self, db: Database, ttl_seconds: float = 3 * 24 * 3600) -> None:
        """Ids older than ``ttl_seconds`` are forgotten (LINE redelivers well within that)."""
        self._db = db
        self._ttl = ttl_seconds
        self._inserted = 0

    def first_time(self, event_id: object, now: float | None = None) -> bool:
        """True the first time ``event_id`` is seen; events without an id cannot be deduplicated and always pass."""
        if not isinstance(event_id, str) or not event_id:
            return True
        now = time.time() if now is None else now
        with self._db.lock:
            cursor = self._db.conn.execute(
                "INSERT OR IGNORE INTO seen_events(event_id, seen) VALUES (?, ?)", (event_id[:128], now)
            )
            fresh = cursor.rowcount == 1
            self._inserted += fresh
            if fresh and self._inserted % 1000 == 0:
                self._db.conn.execute("DELETE FROM seen_events WHERE seen < ?", (now - self._ttl,))
        return fresh

    def purge(self, now: float | None = None) -> int:
        """Forget ids older than the time-to-live; returns how many went."""
        now = time.time() if now is None else now
        with self._db.lock:
            return int(self._db.conn.execute("DELETE FROM seen_events WHERE seen < ?", (now - self._ttl,)).rowcount)
