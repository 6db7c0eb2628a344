"""The gateway's small SQLite file: sessions, offered buttons and seen LINE events survive a restart."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL UNIQUE,
    municipality TEXT,
    created REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS offers (
    conversation_id TEXT PRIMARY KEY,
    payloads TEXT NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_events (
    event_id TEXT PRIMARY KEY,
    seen REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_last_seen ON sessions(last_seen);
CREATE INDEX IF NOT EXISTS sessions_created ON sessions(created);
CREATE INDEX IF NOT EXISTS offers_updated ON offers(updated);
CREATE INDEX IF NOT EXISTS seen_events_seen ON seen_events(seen);
"""


class Database:
    """One shared connection guarded by a lock; every statement is tiny, so callers run it inline."""

    def __init__(self, path: str) -> None:
        """Open (creating if needed) the database file and its schema."""
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=5.0)
        self.lock = threading.Lock()
        with self.lock:
            # Purged rows must not linger in free pages.
            self._conn.execute("PRAGMA secure_delete=ON")
            if path != ":memory:":
                # WAL without a sync per commit keeps writes sub-millisecond; a power cut loses at most recent sessions.
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
        self.restrict_files()

    def restrict_files(self) -> None:
        """Make the database and its WAL files readable by the service's user only (0600)."""
        if self._path == ":memory:":
            return
        for suffix in ("", "-wal", "-shm"):
            try:
                os.chmod(self._path + suffix, 0o600)
            except FileNotFoundError:
                continue

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection; hold ``lock`` while using it."""
        return self._conn

    def close(self) -> None:
        """Close the connection."""
        with self.lock:
            self._conn.close()
