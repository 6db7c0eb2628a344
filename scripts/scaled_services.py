"""Helpers of scripts/run_scaled.sh for the shared services of the scaled layout (PostgreSQL and Redis).

``python -m scripts.scaled_services redis-env``
    prints ``export`` lines for REDIS_HOST, REDIS_PORT, REDIS_DB, REDIS_USERNAME and REDIS_PASSWORD taken from
    REDIS_URL, so that REDIS_URL stays the one setting (the gateway reads the URL, Rasa's lock store the parts). The
    lines go to the script on a pipe (it ``eval``s them): the password is never on a command line or in a file.
``python -m scripts.scaled_services prepare``
    checks that PostgreSQL and Redis answer (exit 3 / 4 with a message naming the service and the variables to
    set), then opens the tracker store of endpoints.scaled.yml once, exactly as a Rasa replica does: Rasa's
    ``SQLTrackerStore`` creates the database ``PG_DATABASE`` if it is missing (through ``PG_LOGIN_DB``), then the
    tables. Doing this once, before the replicas start, keeps them from racing to create the same tables.

Only psycopg2 and redis (both in the Rasa virtualenv) are needed for the checks; Rasa is imported for ``prepare``.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shlex
import signal
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import FrameType
from typing import Optional
from urllib.parse import unquote, urlsplit

ENDPOINTS = "endpoints.scaled.yml"
EXIT_POSTGRES = 3
EXIT_REDIS = 4
EXIT_STORE = 5
# Rasa writes `CREATE DATABASE <name>` unquoted: only a plain lower-case identifier survives that unchanged.
DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
CONNECT_TIMEOUT_SECONDS = 3


class ServiceError(Exception):
    """A shared service cannot be used; the message names it and the variables to set."""

    def __init__(self, message: str, exit_code: int) -> None:
        """Keep the exit code that tells the caller which service failed."""
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class RedisTarget:
    """REDIS_URL split into what Rasa's lock store takes."""

    host: str
    port: int
    db: int
    password: str = field(repr=False)
    username: str = ""

    @property
    def display(self) -> str:
        """host:port/db, never the password (this goes to logs and error messages)."""
        return f"{self.host}:{self.port}/{self.db}"


def redis_target(url: str) -> RedisTarget:
    """Parse ``redis://[[username]:password@]host[:port][/db]``; raises ServiceError on anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme != "redis" or not parts.hostname:
        raise ServiceError(
            "REDIS_URL must look like redis://127.0.0.1:6379/0 (or redis://[username]:password@host:6379/0); "
            "rediss:// and unix sockets are not supported by the lock store settings",
            EXIT_REDIS,
        )
    path = parts.path.strip("/") or "0"
    if not path.isdigit():
        raise ServiceError(f"REDIS_URL's database must be a number, got {path!r}", EXIT_REDIS)
    try:
        port = parts.port or 6379
    except ValueError as exc:
        raise ServiceError(f"REDIS_URL's port is not a number: {exc}", EXIT_REDIS) from exc
    return RedisTarget(parts.hostname, port, int(path), unquote(parts.password or ""), unquote(parts.username or ""))


def redis_env(env: Mapping[str, str]) -> str:
    """Shell ``export`` lines for the lock store's REDIS_* parts of REDIS_URL (values quoted for ``eval``)."""
    target = redis_target(env.get("REDIS_URL", ""))
    values = {
        "REDIS_HOST": target.host,
        "REDIS_PORT": str(target.port),
        "REDIS_DB": str(target.db),
        "REDIS_USERNAME": target.username,
        "REDIS_PASSWORD": target.password,
    }
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in values.items())


def check_postgres(env: Mapping[str, str]) -> None:
    """Connect to PG_LOGIN_DB as PGUSER; raises ServiceError naming PostgreSQL and its variables."""
    import psycopg2

    host, port, user = env.get("PGHOST", ""), env.get("PGPORT", ""), env.get("PGUSER", "")
    where = f"{host}:{port} as user {user!r}"
    database = env.get("PG_DATABASE", "")
    if not DATABASE_NAME.match(database):
        raise ServiceError(
            f"PG_DATABASE must be a lower-case name of letters, digits and _ (Rasa creates it unquoted), "
            f"got {database!r}",
            EXIT_POSTGRES,
        )
    try:
        connection = psycopg2.connect(
            host=host,
            port=port,
            user=user,
            password=env.get("PGPASSWORD") or None,
            dbname=env.get("PG_LOGIN_DB", "postgres"),
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
        )
    except psycopg2.Error as exc:
        reason = str(exc).strip().splitlines()[0].rstrip(".") if str(exc).strip() else type(exc).__name__
        raise ServiceError(
            f"PostgreSQL is not reachable at {where}: {reason}. Start PostgreSQL, or point the scaled layout at "
            "yours with PGHOST, PGPORT, PGUSER and PGPASSWORD (PG_LOGIN_DB names the database to log in to).",
            EXIT_POSTGRES,
        ) from exc
    connection.close()


def check_redis(env: Mapping[str, str]) -> None:
    """PING the server of REDIS_URL; raises ServiceError naming Redis and REDIS_URL."""
    import redis

    target = redis_target(env.get("REDIS_URL", ""))
    client = redis.Redis(
        host=target.host,
        port=target.port,
        db=target.db,
        username=target.username or None,
        password=target.password or None,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=CONNECT_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ServiceError(
            f"Redis is not reachable at {target.display}: {type(exc).__name__}: {str(exc).rstrip('.')}. Start Redis, or set "
            "REDIS_URL (redis://[username]:password@host:port/db).",
            EXIT_REDIS,
        ) from exc
    finally:
        client.close()


def _database_exists(env: Mapping[str, str]) -> bool:
    import psycopg2

    connection = psycopg2.connect(
        host=env.get("PGHOST"),
        port=env.get("PGPORT"),
        user=env.get("PGUSER"),
        password=env.get("PGPASSWORD") or None,
        dbname=env.get("PG_LOGIN_DB", "postgres"),
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (env.get("PG_DATABASE"),))
            return cursor.fetchone() is not None
    finally:
        connection.close()


def _give_up(_signum: int, _frame: Optional[FrameType]) -> None:
    # Rasa's SQLTrackerStore retries a failing connection forever (sleep 5, again): bound it here.
    raise TimeoutError


def prepare_store(env: Mapping[str, str], timeout_seconds: int) -> str:
    """Open the tracker store once as a replica would (creating database and tables); returns what happened."""
    existed = _database_exists(env)
    warnings.simplefilter("ignore")
    from rasa.core.tracker_store import create_tracker_store
    from rasa.utils.endpoints import read_endpoint_config

    config = read_endpoint_config(ENDPOINTS, "tracker_store")
    if config is None:
        raise ServiceError(f"{ENDPOINTS} has no tracker_store", EXIT_STORE)
    signal.signal(signal.SIGALRM, _give_up)
    signal.alarm(timeout_seconds)
    try:
        create_tracker_store(config)
    except TimeoutError as exc:
        raise ServiceError(
            f"the tracker store in PostgreSQL (database {env.get('PG_DATABASE')!r}) could not be opened or created "
            f"within {timeout_seconds} s; PGUSER needs the CREATEDB right to create it (see the warnings above)",
            EXIT_STORE,
        ) from exc
    finally:
        signal.alarm(0)
    if not _database_exists(env):
        raise ServiceError(
            f"the database {env.get('PG_DATABASE')!r} was not created (see the errors above)", EXIT_STORE
        )
    return "existing" if existed else "created"


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["redis-env", "check", "prepare"])
    parser.add_argument("--timeout", type=int, default=60, help="seconds to open the tracker store (prepare)")
    args = parser.parse_args(argv)
    # Rasa's own warnings (a failed CREATE DATABASE, a refused connection) explain a failure: keep them on stderr.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s - %(message)s")
    env = dict(os.environ)
    try:
        if args.command == "redis-env":
            sys.stdout.write(redis_env(env))
            return 0
        check_postgres(env)
        check_redis(env)
        if args.command == "prepare":
            outcome = prepare_store(env, args.timeout)
            print(
                f"PostgreSQL database {env.get('PG_DATABASE')!r} at {env.get('PGHOST')}:{env.get('PGPORT')}: {outcome}"
            )
    except ServiceError as exc:
        print(f"run-scaled: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
