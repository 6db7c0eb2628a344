"""PostgreSQL keeps no copy of what the tracker store deleted, and its server log keeps no resident's words.

Against the private cluster (tests/storage/conftest.py): as the superuser ``postgres`` (what the scaled layout used to
default to), and as a least-privilege role a DBA created the way README "Scaled layout" says.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from storage.redacting_sql import QUIET_SERVER_LOG, RedactingSQLTrackerStore
from tests.scaled.services import PostgresCluster

DOMAIN = Domain.from_yaml(Path(__file__).resolve().parents[2].joinpath("domain.yml").read_text(encoding="utf-8"))


def conversation(sender: str, text: str, at: float | None = None) -> DialogueStateTracker:
    """A session with one resident message."""
    at = time.time() if at is None else at
    events = [
        ActionExecuted("action_session_start", timestamp=at),
        SessionStarted(timestamp=at),
        ActionExecuted("action_listen", timestamp=at),
        UserUttered(text, intent={"name": "forgot_pin", "confidence": 1.0}, timestamp=at),
    ]
    return DialogueStateTracker.from_events(sender, events, DOMAIN.slots)


def open_store(
    cluster: PostgresCluster, database: str, user: str = "postgres", password: str = ""
) -> RedactingSQLTrackerStore:
    """The store as a replica opens it."""
    return RedactingSQLTrackerStore(
        domain=DOMAIN,
        dialect="postgresql",
        host="127.0.0.1",
        port=cluster.port,
        username=user,
        password=password or None,
        db=database,
        login_db="postgres",
        retention_days=1,
    )


def dead_tuples(cluster: PostgresCluster, database: str) -> int:
    """Deleted rows still physically in the events table (pgstattuple reads every page, no statistics delay)."""
    connection = cluster.connect(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
            cursor.execute("SELECT dead_tuple_count FROM pgstattuple('events')")
            row = cursor.fetchone()
            assert row is not None
            return int(row[0])
    finally:
        connection.close()


def server_log(cluster: PostgresCluster) -> str:
    """Everything the cluster has logged so far."""
    return cluster.log.read_text(encoding="utf-8", errors="replace")


def marker(kind: str) -> str:
    """A word of letters only, found nowhere else (no digit: the redaction rules must leave it as it is)."""
    return f"zq{kind}" + "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(10))


def fail_an_insert(store: RedactingSQLTrackerStore, word: str) -> None:
    """A save PostgreSQL refuses (a sender id longer than the column's 255 characters) with ``word`` in its text."""
    with pytest.raises(sa.exc.DataError):
        asyncio.run(store.save(conversation("x" * 300, f"手続きを教えてください {word}")))


def test_purged_and_deleted_rows_leave_no_dead_tuples(pg_cluster: PostgresCluster, pg_database: str) -> None:
    store = open_store(pg_cluster, pg_database)
    asyncio.run(store.save(conversation("old", "zq-purged", at=time.time() - 3 * 86400)))
    asyncio.run(store.save(conversation("unfollowed", "zq-deleted")))
    asyncio.run(store.save(conversation("kept", "zq-kept")))
    assert dead_tuples(pg_cluster, pg_database) == 0
    purged = store.purge_expired()
    assert dead_tuples(pg_cluster, pg_database) == 0, "the purged rows are still in the table's pages"
    assert purged == 4
    deleted = asyncio.run(store.delete("unfollowed"))
    assert dead_tuples(pg_cluster, pg_database) == 0, "the deleted conversation is still in the table's pages"
    assert deleted == 4
    assert asyncio.run(store.retrieve("kept")) is not None


def test_a_failed_insert_leaves_no_statement_in_the_server_log(pg_cluster: PostgresCluster, pg_database: str) -> None:
    store = open_store(pg_cluster, pg_database)
    word = marker("log")
    fail_an_insert(store, word)
    assert "value too long" in server_log(pg_cluster), "the insert did not fail on the server"
    assert word not in server_log(pg_cluster)
    with store.engine.connect() as connection:
        for name, value in QUIET_SERVER_LOG.items():
            assert connection.execute(sa.text(f"SHOW {name}")).scalar() == value


def test_a_least_privilege_role_works_and_the_readme_commands_quiet_the_server_log(
    pg_cluster: PostgresCluster, pg_database: str, app_role: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    role, password = app_role
    with pytest.raises(psycopg2.OperationalError, match="password"):
        psycopg2.connect(host="127.0.0.1", port=pg_cluster.port, user=role, password="wrong", dbname=pg_database)
    with caplog.at_level(logging.WARNING, logger="storage.redacting_sql"):
        store = open_store(pg_cluster, pg_database, role, password)
    # The role cannot change the logging itself: the store says exactly what the DBA must run.
    commands = [f"ALTER ROLE {role} SET {name} = '{value}';" for name, value in QUIET_SERVER_LOG.items()]
    warning = "\n".join(record.getMessage() for record in caplog.records)
    assert "ALTER ROLE" in warning and commands[0] in warning
    assert password not in warning
    # The store creates and owns its tables, so it works, and its VACUUM after a purge is allowed.
    asyncio.run(store.save(conversation("old", "zq-old", at=time.time() - 3 * 86400)))
    asyncio.run(store.save(conversation("new", "zq-new")))
    assert store.purge_expired() == 4
    assert dead_tuples(pg_cluster, pg_database) == 0
    restored = asyncio.run(store.retrieve("new"))
    assert restored is not None and restored.latest_message is not None
    assert restored.latest_message.text == "zq-new"
    # Without the DBA's settings, PostgreSQL logs the failed statement with the resident's words ...
    loud = marker("loud")
    fail_an_insert(store, loud)
    assert loud in server_log(pg_cluster)
    store.engine.dispose()
    # ... with them (README "Scaled layout", run by a superuser), it does not, and the store no longer warns.
    admin = pg_cluster.connect()
    try:
        with admin.cursor() as cursor:
            for command in commands:
                cursor.execute(command)
    finally:
        admin.close()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="storage.redacting_sql"):
        store = open_store(pg_cluster, pg_database, role, password)
    assert not [r for r in caplog.records if "ALTER ROLE" in r.getMessage()]
    quiet = marker("quiet")
    fail_an_insert(store, quiet)
    assert quiet not in server_log(pg_cluster)
    store.engine.dispose()
