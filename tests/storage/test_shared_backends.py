"""The scaled layout's stores against real PostgreSQL and Redis servers (private ones, tests/storage/conftest.py).

Several Rasa replicas share one tracker database and one lock store: statistics must add up when replicas save at
once, pooled connections must survive the server dropping them, and ticket numbers must never be issued twice.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from storage.redacting_sql import RedactingSQLTrackerStore
from storage.redis_lock import AtomicRedisLockStore
from testkit.redis_server import RedisServer
from tests.scaled.services import PostgresCluster

DOMAIN = Domain.from_yaml(Path(__file__).resolve().parents[2].joinpath("domain.yml").read_text(encoding="utf-8"))


@dataclass
class Database:
    """A tracker database of the private cluster that does not exist yet."""

    cluster: PostgresCluster
    name: str

    def store(self) -> RedactingSQLTrackerStore:
        """A store as a replica opens it (as the superuser ``postgres``: creating the database, then its tables)."""
        return RedactingSQLTrackerStore(
            domain=DOMAIN,
            dialect="postgresql",
            host="127.0.0.1",
            port=self.cluster.port,
            username="postgres",
            db=self.name,
            login_db="postgres",
        )


@pytest.fixture
def database(pg_cluster: PostgresCluster, pg_database: str) -> Database:
    """A database of the private cluster that does not exist yet (dropped afterwards)."""
    return Database(pg_cluster, pg_database)


def _store(database: Database) -> RedactingSQLTrackerStore:
    return database.store()


def _conversation(sender: str) -> DialogueStateTracker:
    events = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("暗証番号を忘れました", intent={"name": "forgot_pin", "confidence": 1.0}),
    ]
    return DialogueStateTracker.from_events(sender, events, DOMAIN.slots)


def _forgot_pin_count(store: RedactingSQLTrackerStore) -> int:
    return sum(n for *_, key, n in store.stats() if key == "forgot_pin")


def test_the_database_is_created_if_missing_and_concurrent_replicas_add_up(database: Database) -> None:
    replicas = [_store(database), _store(database)]
    savers = 8
    barrier = threading.Barrier(savers)
    errors: list[BaseException] = []

    def save(index: int) -> None:
        barrier.wait()
        try:
            asyncio.run(replicas[index % 2].save(_conversation(f"resident-{index}")))
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(savers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _forgot_pin_count(replicas[0]) == savers
    for index in range(savers):
        restored = asyncio.run(replicas[1].retrieve(f"resident-{index}"))
        assert restored is not None and restored.latest_message is not None
        assert restored.latest_message.intent["name"] == "forgot_pin"


def test_commits_do_not_wait_for_the_disk(database: Database) -> None:
    store = _store(database)
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("SHOW synchronous_commit")).scalar() == "off"


def test_the_store_recovers_when_the_server_drops_its_connections(database: Database) -> None:
    store = _store(database)
    asyncio.run(store.save(_conversation("before")))
    # What a PostgreSQL restart does to a pool: every server-side connection goes away.
    admin = database.cluster.connect()
    try:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database.name,)
            )
            dropped = cursor.fetchall()
    finally:
        admin.close()
    assert dropped, "the store kept no pooled connection to drop"
    asyncio.run(store.save(_conversation("after")))
    assert asyncio.run(store.retrieve("after")) is not None
    assert _forgot_pin_count(store) == 2


@dataclass
class LockPrefix:
    """A key prefix of its own on the private Redis, so that tests do not see each other's locks."""

    server: RedisServer
    prefix: str

    def store(self) -> AtomicRedisLockStore:
        """A lock store as a replica opens it."""
        return AtomicRedisLockStore(host="127.0.0.1", port=self.server.port, db=0, key_prefix=self.prefix)


@pytest.fixture
def lock_prefix(redis_server: RedisServer) -> LockPrefix:
    """A fresh key prefix on the private Redis."""
    return LockPrefix(redis_server, f"pinbottest{uuid.uuid4().hex[:10]}")


def _lock_store(prefix: LockPrefix) -> AtomicRedisLockStore:
    return prefix.store()


def test_concurrent_replicas_never_get_the_same_ticket(lock_prefix: LockPrefix) -> None:
    replicas, per_replica = 6, 25
    barrier = threading.Barrier(replicas)
    tickets: list[int] = []
    guard = threading.Lock()

    def take(store: AtomicRedisLockStore) -> None:
        barrier.wait()
        for _ in range(per_replica):
            ticket = store.issue_ticket("conversation", lock_lifetime=60)
            with guard:
                tickets.append(ticket)

    threads = [threading.Thread(target=take, args=(_lock_store(lock_prefix),)) for _ in range(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(tickets) == list(range(replicas * per_replica))
    lock = _lock_store(lock_prefix).get_lock("conversation")
    assert lock is not None and len(lock.tickets) == replicas * per_replica


def test_turns_of_one_conversation_run_one_at_a_time_in_ticket_order(lock_prefix: LockPrefix) -> None:
    stores = [_lock_store(lock_prefix) for _ in range(3)]
    inside: list[int] = []
    order: list[int] = []

    async def turn(index: int) -> None:
        async with stores[index % 3].lock("conversation", lock_lifetime=30, wait_time_in_seconds=0.01):
            inside.append(index)
            assert len(inside) == 1, "two turns of one conversation ran at once"
            await asyncio.sleep(0.005)
            order.append(index)
            inside.remove(index)

    async def burst() -> None:
        tasks = []
        for index in range(12):
            tasks.append(asyncio.create_task(turn(index)))
            await asyncio.sleep(0.001)  # the turns arrive in this order
        await asyncio.gather(*tasks)

    asyncio.run(burst())
    assert order == list(range(12))
    # The last cleanup found no waiter: nothing is left behind in Redis.
    assert stores[0].get_lock("conversation") is None


def test_the_lock_store_loads_from_an_endpoint_config(lock_prefix: LockPrefix) -> None:
    from rasa.core.lock_store import LockStore
    from rasa.utils.endpoints import EndpointConfig

    config: dict[str, Any] = {"port": lock_prefix.server.port, "db": 0, "key_prefix": lock_prefix.prefix}
    endpoint = EndpointConfig(url="127.0.0.1", type="storage.redis_lock.AtomicRedisLockStore", **config)
    store = LockStore.create(endpoint)
    assert isinstance(store, AtomicRedisLockStore)
    assert store.key_prefix.startswith(lock_prefix.prefix + ":")
    assert store.issue_ticket("c") == 0
