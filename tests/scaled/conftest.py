"""Fixtures of the scaled-layout fault tests: private PostgreSQL and Redis per session, one stack per module."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Iterator

import pytest

from storage.redacting_sql import QUIET_SERVER_LOG
from testkit.redis_server import RedisServer
from tests.scaled.services import PostgresCluster
from tests.scaled.stack import APP_PASSWORD, APP_ROLE, REPO, ScaledStack, started

# Redis's password has characters REDIS_URL must percent-encode and the shell must quote.
REDIS_PASSWORD = f"redis pw:@/'{secrets.token_hex(8)}"


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The trained model (make test-scaled trains it first and passes RASA_MODEL)."""
    path = Path(os.environ.get("RASA_MODEL", REPO / "models" / "pinbot.tar.gz"))
    if not path.is_absolute():
        path = REPO / path
    assert path.exists(), f"no trained model at {path}: run `make train` first"
    return path


@pytest.fixture(scope="session")
def pg() -> Iterator[PostgresCluster]:
    """A private PostgreSQL 15 cluster on a free port (the machine's 5432 is never touched).

    The layout logs in as a least-privilege role, as README "Scaled layout" tells a DBA to create it: not a
    superuser, CREATEDB (Rasa's store creates the tracker database), a password, and the logging settings that keep
    statements out of the server log set on the role.
    """
    cluster = PostgresCluster()
    try:
        cluster.start()
        cluster.add_login_role(APP_ROLE, APP_PASSWORD, createdb=True)
        connection = cluster.connect()
        try:
            with connection.cursor() as cursor:
                for name, value in QUIET_SERVER_LOG.items():
                    cursor.execute(f"ALTER ROLE {APP_ROLE} SET {name} = %s", (value,))
        finally:
            connection.close()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private redis-server on a free port (the machine's 6379 is never touched), with an ACL user and password."""
    server = RedisServer(tmp_path_factory.mktemp("redis"), password=REDIS_PASSWORD, username="pinbot")
    try:
        server.start()
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="module")
def stack(
    pg: PostgresCluster, redis_server: RedisServer, model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScaledStack]:
    """The whole scaled layout, 2 Rasa replicas and 2 action servers, on a database that does not exist yet."""
    with started(pg, redis_server, model_path, tmp_path_factory.mktemp("scaled-state")) as running:
        yield running
