"""The machine's PostgreSQL and Redis used by the scaled layout: a fresh database and key prefix per run, removed after."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

from launch.roles import environment

# Only names the harness made up itself are ever dropped: a typo can never reach another database.
OWN_DATABASE = re.compile(r"^pinbot_load_[0-9a-z_]+$")


@dataclass(frozen=True)
class ScaledServices:
    """Where the scaled layout keeps its state during one harness run."""

    pg_host: str
    pg_port: str
    pg_user: str
    database: str
    redis_url: str
    redis_prefix: str
    # Rasa's lock store takes an alphanumeric prefix only (it adds ":lock:" itself).
    rasa_lock_prefix: str

    def env(self) -> dict[str, str]:
        """The variables of run_scaled.sh's contract (PGHOST, PGPORT, PG_DATABASE, REDIS_URL…)."""
        return {
            "PGHOST": self.pg_host,
            "PGPORT": self.pg_port,
            "PGUSER": self.pg_user,
            "PG_DATABASE": self.database,
            "REDIS_URL": self.redis_url,
            "REDIS_KEY_PREFIX": self.redis_prefix,
            "REDIS_KEY_PREFIX_RASA": self.rasa_lock_prefix,
            "GATEWAY_STATE": "redis",
        }


def services_for_run(environ: Mapping[str, str], run_id: str) -> ScaledServices:
    """The machine's servers (overridable like run_scaled.sh's own env), with names unique to this run."""
    return ScaledServices(
        pg_host=environ.get("PGHOST", "127.0.0.1"),
        pg_port=environ.get("PGPORT", "5432"),
        pg_user=environ.get("PGUSER", "postgres"),
        database=f"pinbot_load_{run_id}",
        redis_url=environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        redis_prefix=f"pinbot:load:{run_id}:",
        rasa_lock_prefix="pinbotload" + "".join(ch for ch in run_id if ch.isalnum()),
    )


def drop_database(services: ScaledServices) -> str:
    """DROP the run's database (connections forced closed); a one-line outcome for the report."""
    if not OWN_DATABASE.match(services.database):
        return f"not dropped: {services.database!r} is not a harness database name"
    if shutil.which("psql") is None:
        return f"psql not found: drop {services.database} by hand"
    command = [
        "psql",
        "-h",
        services.pg_host,
        "-p",
        services.pg_port,
        "-U",
        services.pg_user,
        "-d",
        "postgres",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        f'DROP DATABASE IF EXISTS "{services.database}" WITH (FORCE)',
    ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        env=environment("services", {**os.environ, "PGCONNECT_TIMEOUT": "5"}),
    )
    if done.returncode != 0:
        return f"DROP DATABASE {services.database} failed: {done.stderr.strip()[:200]}"
    return f"database {services.database} dropped"


def delete_redis_keys(services: ScaledServices) -> str:
    """Delete every key under the run's prefixes (the gateway's and Rasa's lock store); a one-line outcome."""
    prefixes = (services.redis_prefix, f"{services.rasa_lock_prefix}:")
    try:
        import redis  # the Rasa virtualenv has it (Rasa's lock store); imported here so other targets never need it
    except ImportError:
        return f"redis package missing: delete keys {' and '.join(p + '*' for p in prefixes)} by hand"
    deleted = 0
    try:
        client = redis.Redis.from_url(services.redis_url, socket_timeout=5, socket_connect_timeout=5)
        for prefix in prefixes:
            keys = list(client.scan_iter(match=f"{prefix}*", count=500))
            for start in range(0, len(keys), 500):
                deleted += int(client.delete(*keys[start : start + 500]))
        client.close()
    except redis.RedisError as exc:
        return f"Redis cleanup failed ({type(exc).__name__}): delete keys {' and '.join(p + '*' for p in prefixes)} by hand"
    return f"{deleted} Redis keys under {' and '.join(prefixes)} deleted"
