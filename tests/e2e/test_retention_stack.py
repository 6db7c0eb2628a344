"""Retention on the real Rasa server: a conversation older than RETENTION_DAYS is purged by the running server's
periodic job; the text-free counts stay."""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from tests.e2e.stack import Stack

RETENTION_DAYS = 6 / 86400  # six seconds: the purge job then runs every ~1.5 s


@pytest.fixture(scope="module")
def short_stack(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Rasa + actions with a six-second retention."""
    running = Stack(
        model=model_path,
        state_dir=tmp_path_factory.mktemp("retention"),
        env_extra={"RETENTION_DAYS": repr(RETENTION_DAYS), "DEFAULT_MUNICIPALITY": ""},
    )
    try:
        running.start_actions()
        running.start_rasa()
        yield running
    finally:
        running.stop_all()


def count_events(stack: Stack, sender: str) -> int:
    with sqlite3.connect(stack.tracker_db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0])


def test_idle_conversations_are_purged_and_counts_stay(short_stack: Stack) -> None:
    sender = f"e2e-{uuid.uuid4().hex}"
    short_stack.say(sender, "暗証番号を忘れました", metadata={"municipality": "tajimi"})
    assert count_events(short_stack, sender) > 0
    deadline = time.monotonic() + 30
    while count_events(short_stack, sender) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert count_events(short_stack, sender) == 0, "the running server did not purge an expired conversation"
    with sqlite3.connect(short_stack.tracker_db) as conn:
        rows = conn.execute("SELECT metric, key, SUM(count) FROM daily_counts GROUP BY metric, key")
        stats = {(metric, key): n for metric, key, n in rows}
    assert stats.get(("conversations", ""), 0) >= 1
    assert sum(n for (metric, _), n in stats.items() if metric == "intent") >= 1
