"""``python -m launch.services``: the scaled layout's PostgreSQL and Redis answer, and the tracker store exists.

Exit 3 / 4 name the service and what to set; the store is opened once as a replica does, so replicas never race.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from launch import Failed

EXIT_POSTGRES, EXIT_REDIS, EXIT_STORE = 3, 4, 5


class ServiceError(Failed):
    """A shared service cannot be used: ``ServiceError(message naming it, exit code saying which)``."""


def redis_parts(url: str) -> dict[str, str]:
    """REDIS_HOST, _PORT, _DB, _USERNAME and _PASSWORD of ``redis://[[user]:password@]host[:port][/db]``."""
    parts, db = urlsplit(url.strip()), urlsplit(url.strip()).path.strip("/") or "0"
    try:
        port = parts.port or 6379
    except ValueError as exc:
        raise ServiceError(f"REDIS_URL's port is not a number: {exc}", EXIT_REDIS) from exc
    if parts.scheme != "redis" or not parts.hostname or not db.isdigit():
        raise ServiceError(
            "REDIS_URL must look like redis://127.0.0.1:6379/0 (or redis://[username]:password@host:6379/0, the "
            "database a number); rediss:// and unix sockets are not supported by the lock store settings",
            EXIT_REDIS,
        )
    names = ("REDIS_HOST", "REDIS_PORT", "REDIS_DB", "REDIS_USERNAME", "REDIS_PASSWORD")
    values = (parts.hostname, str(port), db, unquote(parts.username or ""), unquote(parts.password or ""))
    return dict(zip(names, values, strict=True))


def _pg(env: Mapping[str, str]) -> Any:
    import psycopg2

    login = {"host": env.get("PGHOST"), "port": env.get("PGPORT"), "user": env.get("PGUSER"), "connect_timeout": 3}
    connection = psycopg2.connect(**login, password=env.get("PGPASSWORD") or None, dbname=env.get("PG_LOGIN_DB"))
    try:
        with connection.cursor() as cursor:  # whether PG_DATABASE exists
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (env.get("PG_DATABASE"),))
            return cursor.fetchone() is not None
    finally:
        connection.close()


def check(env: Mapping[str, str]) -> bool:
    """Whether PG_DATABASE exists; raises ServiceError when PostgreSQL or Redis does not answer."""
    import psycopg2
    import redis

    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", env.get("PG_DATABASE", "")):  # Rasa creates it unquoted
        message = "PG_DATABASE must be a lower-case name of letters, digits and _ (Rasa creates it unquoted), got "
        raise ServiceError(message + repr(env.get("PG_DATABASE")), EXIT_POSTGRES)
    try:
        existed = _pg(env)
    except psycopg2.Error as exc:
        reason = str(exc).strip().splitlines()[0].rstrip(".") if str(exc).strip() else type(exc).__name__
        raise ServiceError(
            f"PostgreSQL is not reachable at {env.get('PGHOST')}:{env.get('PGPORT')} as user {env.get('PGUSER')!r}: "
            f"{reason}. Start PostgreSQL, or point the scaled layout at yours with PGHOST, PGPORT, PGUSER and "
            "PGPASSWORD (PG_LOGIN_DB names the database to log in to).",
            EXIT_POSTGRES,
        ) from exc
    r = redis_parts(env.get("REDIS_URL", ""))
    login = {"username": r["REDIS_USERNAME"] or None, "password": r["REDIS_PASSWORD"] or None}
    client = redis.Redis(r["REDIS_HOST"], int(r["REDIS_PORT"]), int(r["REDIS_DB"]), socket_timeout=3, **login)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ServiceError(
            f"Redis is not reachable at {r['REDIS_HOST']}:{r['REDIS_PORT']}/{r['REDIS_DB']}: {type(exc).__name__}: "
            f"{str(exc).rstrip('.')}. Start Redis, or set REDIS_URL (redis://[username]:password@host:port/db).",
            EXIT_REDIS,
        ) from exc
    finally:
        client.close()
    return existed


def prepare_store(env: Mapping[str, str], timeout_seconds: int = 60) -> str:
    """Open the tracker store once as a replica would (creating database and tables); returns what happened."""
    existed = check(env)
    from rasa.core.tracker_store import create_tracker_store
    from rasa.utils.endpoints import read_endpoint_config

    # Rasa's SQLTrackerStore retries a failing connection forever (sleep 5, again): an alarm bounds it.
    signal.signal(signal.SIGALRM, lambda *_: sys.exit(EXIT_STORE))
    signal.alarm(timeout_seconds)
    try:
        create_tracker_store(read_endpoint_config("endpoints.scaled.yml", "tracker_store"))
    except SystemExit as exc:
        raise ServiceError(
            f"the tracker store in PostgreSQL (database {env.get('PG_DATABASE')!r}) could not be opened or created "
            f"within {timeout_seconds} s; PGUSER needs the CREATEDB right to create it (see the warnings above)",
            EXIT_STORE,
        ) from exc
    finally:
        signal.alarm(0)
    if not _pg(env):
        raise ServiceError(
            f"the database {env.get('PG_DATABASE')!r} was not created (see the errors above)", EXIT_STORE
        )
    return "existing" if existed else "created"


def main() -> int:
    """Check both services and prepare the store; 0, or the failing service's exit code."""
    # Rasa's own warnings (a failed CREATE DATABASE, a refused connection) explain a failure: keep them on stderr.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s - %(message)s")
    env = dict(os.environ)
    try:
        outcome = prepare_store(env)
    except ServiceError as exc:
        print(f"run-scaled: {exc.args[0]}", file=sys.stderr)
        return int(exc.args[1])
    print(f"PostgreSQL database {env.get('PG_DATABASE')!r} at {env.get('PGHOST')}:{env.get('PGPORT')}: {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
