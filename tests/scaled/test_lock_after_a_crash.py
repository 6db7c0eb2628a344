"""Rasa's lock store after a replica died mid-turn: its ticket stays in Redis until it expires, and the next turn of
that conversation (on another replica) waits behind it. Found by test_kill_one_replica_under_load."""

from __future__ import annotations

import asyncio
import time
import uuid

from storage.redis_lock import AtomicRedisLockStore
from testkit.redis_server import RedisServer

LIFETIME = 2.0


def _store(redis_server: RedisServer) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(
        host="127.0.0.1",
        port=redis_server.port,
        db=0,
        username=redis_server.username or None,
        password=redis_server.password or None,
        key_prefix="crashtest",
    )


async def _next_turn(store: AtomicRedisLockStore, conversation: str) -> float:
    """A turn of the same conversation on a live replica; returns how long it waited for the lock."""
    started = time.monotonic()
    async with store.lock(conversation, lock_lifetime=LIFETIME, wait_time_in_seconds=1):
        return time.monotonic() - started


def test_the_next_turn_runs_once_the_dead_ticket_expired(redis_server: RedisServer) -> None:
    """A turn that arrives a second or more after the dead replica's: it waits for that ticket, then runs."""
    store = _store(redis_server)
    conversation = f"c-{uuid.uuid4().hex}"
    store.issue_ticket(conversation, LIFETIME)  # the killed replica's turn: never finished, never cleaned up
    time.sleep(1.2)
    waited = asyncio.run(_next_turn(store, conversation))
    assert 0.5 <= waited <= LIFETIME + 1.5


def test_a_turn_right_behind_the_dead_one_is_not_refused(redis_server: RedisServer) -> None:
    store = _store(redis_server)
    conversation = f"c-{uuid.uuid4().hex}"
    store.issue_ticket(conversation, LIFETIME)
    time.sleep(0.2)  # the resident typed again right after the apology for the turn the dead replica had
    # Rasa's own ticket lock let the waiting ticket expire with the dead one and raised LockError here; the
    # store renews a waiting ticket, so the turn waits for the dead ticket and runs.
    waited = asyncio.run(_next_turn(store, conversation))
    assert 0.5 <= waited <= LIFETIME + 1.5
