"""endpoints.scaled.yml with a least-privilege PostgreSQL role and a Redis that wants a password (and a user).

REDIS_URL is the one Redis setting: scripts/scaled_services.py derives the lock store's REDIS_* variables from it,
run_scaled.sh ``eval``s them, and Rasa substitutes them into endpoints.scaled.yml. Here the same chain runs against
the private servers: derivation, shell quoting, Rasa's substitution, then both stores at work.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from scripts.scaled_services import ServiceError, redis_env, redis_target
from storage.redacting_sql import RedactingSQLTrackerStore
from storage.redis_lock import AtomicRedisLockStore
from testkit.redis_server import RedisServer
from tests.scaled.services import PostgresCluster

REPO = Path(__file__).resolve().parents[2]
ENDPOINTS = str(REPO / "endpoints.scaled.yml")
DOMAIN = Domain.from_yaml((REPO / "domain.yml").read_text(encoding="utf-8"))
DERIVED = ("REDIS_HOST", "REDIS_PORT", "REDIS_DB", "REDIS_USERNAME", "REDIS_PASSWORD")


def derived_in_bash(url: str) -> dict[str, str]:
    """What run_scaled.sh ends up with: redis_env's lines ``eval``ed by bash (given on stdin, as on its pipe)."""
    script = 'eval "$(cat)"; for name in ' + " ".join(DERIVED) + '; do printf "%s=%s\\0" "$name" "${!name}"; done'
    shown = subprocess.run(
        ["bash", "-c", script], input=redis_env({"REDIS_URL": url}), capture_output=True, text=True, check=True
    ).stdout
    return dict(item.split("=", 1) for item in shown.split("\0") if item)


def test_the_derivation_survives_the_shell_and_never_shows_the_password() -> None:
    password = "p@ss w:/'\"$(touch /tmp/x)`x`\\"
    url = f"redis://pinbot:{_quote(password)}@cache.local:6380/3"
    assert derived_in_bash(url) == {
        "REDIS_HOST": "cache.local",
        "REDIS_PORT": "6380",
        "REDIS_DB": "3",
        "REDIS_USERNAME": "pinbot",
        "REDIS_PASSWORD": password,
    }
    assert derived_in_bash("redis://127.0.0.1:6379/0")["REDIS_PASSWORD"] == ""
    target = redis_target(url)
    assert password not in repr(target) and password not in target.display
    with pytest.raises(ServiceError) as refused:
        redis_target(f"redis://pinbot:{_quote(password)}@cache.local:6380/x")
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
        **derived_in_bash(server.url),
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
