"""endpoints.scaled.yml with a least-privilege PostgreSQL role and a Redis that wants a password (and a user).

REDIS_URL is the one Redis setting: the launcher (launch/services.py) derives the lock store's REDIS_* variables
from it, and Rasa substitutes them into endpoints.scaled.yml. Here the same chain runs against
the private servers: derivation, Rasa's substitution, then both stores at work.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from launch.services import ServiceError, redis_parts
from storage.redacting_sql import RedactingSQLTrackerStore
from storage.redis_lock import AtomicRedisLockStore
from testkit.redis_server import RedisServer
from tests.scaled.services import PostgresCluster

REPO = Path(__file__).resolve().parents[2]
ENDPOINTS = str(REPO / "endpoints.scaled.yml")
DOMAIN = Domain.from_yaml((REPO / "domain.yml").read_text(encoding="utf-8"))


def test_the_derivation_keeps_any_password_and_never_shows_it() -> None:
    password = "p@ss w:/'\"$(touch /tmp/x)`x`\\"
    url = f"redis://pinbot:{_quote(password)}@cache.local:6380/3"
    assert redis_parts(url) == {
        "REDIS_HOST": "cache.local",
        "REDIS_PORT": "6380",
        "REDIS_DB": "3",
        "REDIS_USERNAME": "pinbot",
        "REDIS_PASSWORD": password,
    }
    assert redis_parts("redis://127.0.0.1:6379/0")["REDIS_PASSWORD"] == ""
    with pytest.raises(ServiceError) as refused:
        redis_parts(f"redis://pinbot:{_quote(password)}@cache.local:6380/x")
    assert password not in str(refused.value) and _quote(password) not in str(refused.value)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


@pytest.mark.parametrize("redis_fixture", ["redis_with_password", "redis_with_user"])
def test_both_stores_work_with_least_privilege_logins(
    redis_fixture: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    pg_cluster: PostgresCluster,
    pg_database: str,
    app_role: tuple[str, str],
) -> None:
    server: RedisServer = request.getfixturevalue(redis_fixture)
    role, password = app_role
    env = {
        "ACTION_ENDPOINT_URL": "http://127.0.0.1:5055/webhook",
        "PGHOST": "127.0.0.1",
        "PGPORT": str(pg_cluster.port),
        "PGUSER": role,
        "PGPASSWORD": password,
        "PG_DATABASE": pg_database,
        # The role may connect to its own database only (the fixture revoked PUBLIC's CONNECT elsewhere it can).
        "PG_LOGIN_DB": pg_database,
        "REDIS_KEY_PREFIX_RASA": "pinbottest",
        **redis_parts(server.url),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    lock_config = read_endpoint_config(ENDPOINTS, "lock_store")
    locks = LockStore.create(lock_config)
    assert isinstance(locks, AtomicRedisLockStore)
    assert [locks.issue_ticket("resident"), locks.issue_ticket("resident")] == [0, 1]

    tracker_config = read_endpoint_config(ENDPOINTS, "tracker_store")
    store = create_tracker_store(tracker_config, DOMAIN)
    assert isinstance(store, RedactingSQLTrackerStore)
    events = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("暗証番号を忘れました", intent={"name": "forgot_pin", "confidence": 1.0}),
    ]
    asyncio.run(store.save(DialogueStateTracker.from_events("resident", events, DOMAIN.slots)))
    restored = asyncio.run(store.retrieve("resident"))
    assert restored is not None and restored.latest_message is not None
    assert restored.latest_message.intent["name"] == "forgot_pin"
    store.engine.dispose()
