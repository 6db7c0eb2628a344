"""The machine's PostgreSQL and Redis for the tests of the scaled layout: where they are, and what if they are not.

The project's machines (development and CI) run PostgreSQL 15 on 127.0.0.1:5432 (trust auth) and Redis 7 on
127.0.0.1:6379. Without them these tests skip with the reason; CI sets SCALED_TESTS=required, which turns the
skip into a failure, so that a missing service can never pass for a green run.
"""

from __future__ import annotations

import os

from testkit.services import port_open, unavailable

PG_HOST = os.environ.get("PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("PGPORT", "5432"))
PG_USER = os.environ.get("PGUSER", "postgres")
REDIS_HOST = os.environ.get("TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("TEST_REDIS_PORT", "6379"))


def require_postgres() -> None:
    """PostgreSQL must answer on PGHOST:PGPORT."""
    if not port_open(PG_PORT, PG_HOST, timeout=2):
        unavailable(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT} (PGHOST/PGPORT)")


def require_redis() -> None:
    """Redis must answer on TEST_REDIS_HOST:TEST_REDIS_PORT."""
    if not port_open(REDIS_PORT, REDIS_HOST, timeout=2):
        unavailable(f"Redis is not reachable on {REDIS_HOST}:{REDIS_PORT}")
