"""Web chat sessions and the button payloads the bot offered to each conversation."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from gateway.db import Database
from gateway.ids import looks_like_session_id, new_conversation_id, new_session_id

# Remember only recent turns' buttons: enough for a resident who answers an earlier question, small enough to store.
MAX_OFFERED = 40


@dataclass(frozen=True)
class Session:
    """A web chat session: its bearer id, the Rasa sender id behind it and the city fixed by the embedding."""

    session_id: str
    conversation_id: str
    municipality: str | None
    created: float
    last_seen: float


class SessionStore:
    """Creates, finds and expires sessions, and keeps each conversation's offered payloads (SQLite, one process).

    The statements are tiny, so the async methods run them inline.
    """

    def __init__(self, db: Database, ttl_seconds: int, max_age_seconds: int | None = None) -> None:
        """Use ``db``; sessions idle for ``ttl_seconds`` or older than ``max_age_seconds`` are unknown and purged.

        The maximum age counts from issue, however recently the session was used (default: the TTL).
        """
        self._max_age = ttl_seconds if max_age_seconds is None else max_age_seconds
        self._db = db
        self._ttl = ttl_seconds

    async def create(self, municipality: str | None, now: float | None = None) -> Session:
        """Issue a new session."""
        now = time.time() if now is None else now
        session = Session(new_session_id(), new_conversation_id("web"), municipality, now, now)
        with self._db.lock:
            self._db.conn.execute(
                "INSERT INTO sessions(session_id, conversation_id, municipality, created, last_seen)"
                " VALUES (?, ?, ?, ?, ?)",
                (session.session_id, session.conversation_id, municipality, now, now),
            )
        return session

    async def get(self, session_id: object, now: float | None = None) -> Session | None:
        """The live session with this id, refreshing its last-seen time; None if unknown or expired."""
        if not looks_like_session_id(session_id):
            return None
        now = time.time() if now is None else now
        with self._db.lock:
            row = self._db.conn.execute(
                "SELECT session_id, conversation_id, municipality, created, last_seen"
                " FROM sessions WHERE session_id = ?",
                (session_id,),
            ).fetchone()
            if row is None or now - row[4] > self._ttl or now - row[3] > self._max_age:
                return None
            self._db.conn.execute("UPDATE sessions SET last_seen = ? WHERE session_id = ?", (now, session_id))
        return Session(row[0], row[1], row[2], row[3], now)

    async def offered(self, conversation_id: str) -> list[str]:
        """Payloads the bot has recently offered in this conversation, newest last."""
        with self._db.lock:
            row = self._db.conn.execute(
                "SELECT payloads FROM offers WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
        if row is None:
            return []
        value = json.loads(row[0])
        return [p for p in value if isinstance(p, str)] if isinstance(value, list) else []

    async def remember_offers(self, conversation_id: str, payloads: list[str], now: float | None = None) -> None:
        """Add the payloads of the buttons just shown; the oldest beyond MAX_OFFERED are forgotten."""
        if not payloads:
            return
        now = time.time() if now is None else now
        merged = [p for p in await self.offered(conversation_id) if p not in payloads] + list(dict.fromkeys(payloads))
        with self._db.lock:
            self._db.conn.execute(
                "INSERT INTO offers(conversation_id, payloads, updated) VALUES (?,?,?) "
                "ON CONFLICT(conversation_id) DO UPDATE SET payloads = excluded.payloads, updated = excluded.updated",
                (conversation_id, json.dumps(merged[-MAX_OFFERED:], ensure_ascii=False), now),
            )

    async def forget_conversation(self, conversation_id: str) -> None:
        """Drop what the gateway keeps about a conversation (e.g. a LINE user who unfollowed)."""
        with self._db.lock:
            self._db.conn.execute("DELETE FROM offers WHERE conversation_id = ?", (conversation_id,))

    async def delete(self, session_id: str) -> bool:
        """Forget a session at once (the resident deleted their conversation); True if it existed."""
        with self._db.lock:
            return bool(self._db.conn.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,)).rowcount)

    async def purge(self, now: float | None = None) -> int:
        """Delete expired sessions and stale offers; returns how many sessions went."""
        now = time.time() if now is None else now
        cutoff = now - self._ttl
        with self._db.lock:
            deleted = self._db.conn.execute(
                "DELETE FROM sessions WHERE last_seen < ? OR created < ?", (cutoff, now - self._max_age)
            ).rowcount
            self._db.conn.execute("DELETE FROM offers WHERE updated < ?", (cutoff,))
        return deleted
