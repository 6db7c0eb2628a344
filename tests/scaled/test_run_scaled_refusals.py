"""``python -m launch scaled`` (make run-scaled) refuses to start without PostgreSQL or Redis, naming which one and what to set."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from launch.services import redis_parts
from testkit.redis_server import RedisServer
from testkit.services import free_port, port_open
from tests.scaled.services import PostgresCluster
from tests.scaled.stack import ScaledStack


def _run_until_exit(stack: ScaledStack, **overrides: str) -> subprocess.CompletedProcess[str]:
    env = stack.env()
    env.update(overrides)
    process = stack.launch(env)
    try:
        stdout, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    # Nothing was started, so nothing may be left in its process group, and no port of the layout is taken.
    assert ScaledStack.group_members(process.pid, settle=5.0) == []
    assert not any(port_open(port) for port in stack.all_ports())
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stack.stderr_text())


@pytest.fixture
def unstarted(pg: PostgresCluster, redis_server: RedisServer, tmp_path: Path) -> ScaledStack:
    """A layout on the private services that the test starts itself (the model is never loaded)."""
    return ScaledStack(
        state_dir=tmp_path / "state", pg=pg, redis_server=redis_server, model=tmp_path / "none.tar.gz", database="x"
    )


def test_unreachable_postgres_is_named_with_its_variables(unstarted: ScaledStack) -> None:
    result = _run_until_exit(unstarted, PGPORT=str(free_port()))
    assert result.returncode == 3, result
    assert "PostgreSQL is not reachable at 127.0.0.1:" in result.stderr
    assert "PGHOST, PGPORT, PGUSER and PGPASSWORD" in result.stderr
    assert "READY" not in result.stdout


def test_unreachable_redis_is_named_with_its_variable(unstarted: ScaledStack) -> None:
    result = _run_until_exit(unstarted, REDIS_URL=f"redis://:secret-pw@127.0.0.1:{free_port()}/0")
    assert result.returncode == 4, result
    assert "Redis is not reachable at 127.0.0.1:" in result.stderr and "set REDIS_URL" in result.stderr
    assert "secret-pw" not in result.stderr + result.stdout, "the password in REDIS_URL is never printed"
    assert "READY" not in result.stdout


def test_a_database_name_rasa_cannot_create_is_refused(unstarted: ScaledStack) -> None:
    """Rasa writes CREATE DATABASE <name> unquoted: a name that would not survive that is refused up front."""
    result = _run_until_exit(unstarted, PG_DATABASE="Pin-Bot")
    assert result.returncode == 3 and "PG_DATABASE must be a lower-case name" in result.stderr


def test_redis_url_is_the_one_source_of_the_lock_store_settings() -> None:
    assert redis_parts("redis://:p%40ss%20w@cache.local:6380/2") == {
        "REDIS_HOST": "cache.local",
        "REDIS_PORT": "6380",
        "REDIS_DB": "2",
        "REDIS_USERNAME": "",
        "REDIS_PASSWORD": "p@ss w",
    }
    parts = redis_parts("redis://127.0.0.1")
    assert (parts["REDIS_HOST"], parts["REDIS_PORT"], parts["REDIS_DB"], parts["REDIS_PASSWORD"]) == (
        "127.0.0.1",
        "6379",
        "0",
        "",
    )
    for bad in ("rediss://h:1/0", "unix:///tmp/r.sock", "redis://h:6379/x", "http://h", "redis://h:port/0"):
        with pytest.raises(Exception, match="REDIS_URL"):
            redis_parts(bad)
