"""Private PostgreSQL and Redis servers for the store tests: the machine's own (5432, 6379) are never touched.

Both start once per test session on free 127.0.0.1 ports (tests/scaled/services.py, testkit/redis_server.py).
Without their binaries the tests that need them skip with the reason, or fail where SCALED_TESTS=required (CI).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.redis_server import RedisServer
from tests.scaled.services import PostgresCluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """A private PostgreSQL 15 cluster (trust for ``postgres``; roles added by tests give their password)."""
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def pg_database(pg_cluster: PostgresCluster) -> Iterator[str]:
    """A database name that does not exist yet; dropped afterwards."""
    name = f"pinbot_test_{uuid.uuid4().hex[:12]}"
    yield name
    connection = pg_cluster.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        connection.close()


@pytest.fixture
def app_role(pg_cluster: PostgresCluster, pg_database: str) -> Iterator[tuple[str, str]]:
    """(role, password) of a least-privilege login on ``pg_database``, created as README "Scaled layout" says.

    Not a superuser, no CREATEDB: CONNECT on the tracker database the DBA created, and CREATE on its schema so that
    the store makes (and owns) its own tables. The password has characters a URL would have to escape.
    """
    role, password = f"pinbot_{uuid.uuid4().hex[:8]}", f"pw @:/{secrets.token_hex(8)}"
    pg_cluster.add_login_role(role, password)
    admin = pg_cluster.connect()
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {pg_database}")
            cursor.execute(f"REVOKE ALL ON DATABASE {pg_database} FROM PUBLIC")
            cursor.execute(f"GRANT CONNECT ON DATABASE {pg_database} TO {role}")
    finally:
        admin.close()
    in_db = pg_cluster.connect(pg_database)
    try:
        with in_db.cursor() as cursor:
            cursor.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {role}")
    finally:
        in_db.close()
    yield role, password


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private redis-server without a password."""
    yield from _redis(tmp_path_factory.mktemp("redis"))


@pytest.fixture(scope="session")
def redis_with_password(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private redis-server that refuses clients without its password (``requirepass``)."""
    yield from _redis(tmp_path_factory.mktemp("redis-password"), password=f"pw {secrets.token_hex(8)}@:/")


@pytest.fixture(scope="session")
def redis_with_user(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private redis-server where only the ACL user ``pinbot`` may log in, with its password."""
    yield from _redis(tmp_path_factory.mktemp("redis-user"), password=secrets.token_hex(12), username="pinbot")


def _redis(workdir: Path, password: str = "", username: str = "") -> Iterator[RedisServer]:
    server = RedisServer(workdir, password=password, username=username)
    try:
        server.start()
        yield server
    finally:
        server.kill()
