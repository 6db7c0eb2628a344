"""The machine's PostgreSQL and Redis for the tests of the scaled layout: where they are, and what if they are not.

The project's machines (development and CI) run PostgreSQL 15 on 127.0.0.1:5432 (trust auth) and Redis 7 on
127.0.0.1:6379. Without them these tests skip with the reason; CI sets SCALED_TESTS=required, which turns the
skip into a failure, so that a missing service can never pass for a green run.
"""

from __future__ import annotations

import os
import socket

import pytest

PG_HOST = os.environ.get("PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("PGPORT", "5432"))
PG_USER = os.environ.get("PGUSER", "postgres")
REDIS_HOST = os.environ.get("TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("TEST_REDIS_PORT", "6379"))


def scaled_tests_required() -> bool:
    """True when a missing service must fail the run (CI), not skip."""
    return os.environ.get("SCALED_TESTS", "").strip().lower() == "required"


def unavailable(reason: str) -> None:
    """Skip, or fail where the scaled tests are required, with the same message."""
    message = f"{reason} (the scaled-layout tests need it; CI sets SCALED_TESTS=required)"
    if scaled_tests_required():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require_postgres() -> None:
    """PostgreSQL must answer on PGHOST:PGPORT."""
    if not _listening(PG_HOST, PG_PORT):
        unavailable(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT} (PGHOST/PGPORT)")


def require_redis() -> None:
    """Redis must answer on TEST_REDIS_HOST:TEST_REDIS_PORT."""
    if not _listening(REDIS_HOST, REDIS_PORT):
        unavailable(f"Redis is not reachable on {REDIS_HOST}:{REDIS_PORT}")
