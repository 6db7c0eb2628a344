"""Each process gets only its own secrets (launch/roles.py), read back from /proc/<pid>/environ.

``make run`` (python -m launch run) is started for real on free ports with dummy secrets in its environment; the
scaled layout gets the same check in test_scaled_faults.py. The table itself and the exec are tested directly.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, Iterator

import pytest

import launch
from launch.roles import ROLES, environment
from testkit.services import free_port
from tests.scaled.stack import (
    FOREIGN_SECRETS,
    LINE_SECRETS,
    REPO,
    STAFF_TOKEN,
    assert_only_own_secrets,
    group_processes,
    listening_pid,
    process_environ,
)

PLANTED = {
    "RASA_AUTH_TOKEN": secrets.token_hex(32),
    "GATEWAY_SECRET": secrets.token_hex(32),
    "STAFF_TOKEN": STAFF_TOKEN,
    "PGPASSWORD": f"pg-{secrets.token_hex(8)}",
    "REDIS_URL": f"redis://:redis-{secrets.token_hex(8)}@127.0.0.1:1/0",
    "REDIS_PASSWORD": f"redis-{secrets.token_hex(8)}",
    **LINE_SECRETS,
    **FOREIGN_SECRETS,
}


def test_the_table_gives_each_role_its_own_secrets() -> None:
    env = {**PLANTED, "RASA_URL": "http://127.0.0.1:5005", "RETENTION_DAYS": "7", "TOKENIZERS_PARALLELISM": "false"}
    for role in ("rasa", "actions", "gateway", "console", "logsink"):
        kept = environment(role, env)
        assert_only_own_secrets(role, kept, PLANTED)
        # What is not a secret reaches everyone, whatever its name looks like.
        assert {"RASA_URL", "RETENTION_DAYS", "TOKENIZERS_PARALLELISM"} <= set(kept)
    services = environment("services", env)
    assert {"PGPASSWORD", "REDIS_URL", "REDIS_PASSWORD"} <= set(services) and "RASA_AUTH_TOKEN" not in services
    for role in ROLES:
        kept = environment(role, {"GITHUB_TOKEN": "t", "AWS_SECRET_ACCESS_KEY": "k", "X_URL": "https://u:p@h/"})
        assert kept == {}, (role, kept)
    with pytest.raises(ValueError, match="unknown role"):
        environment("everyone", env)


def test_whoever_reads_the_scaled_endpoints_keeps_every_variable_they_name() -> None:
    """Rasa refuses an unset ${VAR}: the replicas and the start-up check (which opens the store as a replica does)
    must keep every variable endpoints.scaled.yml names, secrets included."""
    names = set(re.findall(r"\$\{(\w+)\}", (REPO / "endpoints.scaled.yml").read_text(encoding="utf-8")))
    assert {"PGPASSWORD", "REDIS_PASSWORD", "REDIS_USERNAME"} <= names
    for role in ("rasa", "services"):
        assert names <= set(environment(role, {name: "x" for name in names})), role


def test_the_launcher_starts_a_command_with_only_its_role_s_environment(tmp_path: Path) -> None:
    """What the launcher starts sees only its role's environment (read from inside it); its output goes to its log."""
    script = "import os, sys; sys.stdout.write(str(os.getpid()) + '\\n' + '\\n'.join(sorted(os.environ)))"
    stack = launch.Stack({**os.environ, **PLANTED, "PYTHONPATH": str(REPO)})
    stack.start("probe", "actions", [sys.executable, "-c", script], tmp_path / "probe.log", sink=False)
    process = stack.procs["probe"]
    assert process.wait(60) == 0
    pid, *names = (tmp_path / "probe.log").read_text().splitlines()
    assert int(pid) == process.pid
    assert not set(PLANTED) & set(names) and "PYTHONPATH" in names
    with pytest.raises(ValueError, match="unknown role"):
        stack.start("nobody", "nobody", ["env"], tmp_path / "nobody.log", sink=False)


@pytest.fixture(scope="module")
def run_all(model_path: Path) -> Iterator[Dict[str, int]]:
    """``python -m launch run`` (what make run starts) on free ports, with every secret planted; its ports and pgid."""
    ports = {"rasa": free_port(), "actions": free_port(), "gateway": free_port(), "console": free_port()}
    state_dir = Path(tempfile.mkdtemp(prefix="pinbot-secrets-"))
    env = {k: v for k, v in os.environ.items() if k not in ("RASA_URL", "RASA_URLS", "ACTION_ENDPOINT_URL")}
    env.update(
        PLANTED,
        STATE_DIR=str(state_dir),
        RASA_MODEL=str(model_path),
        RASA_PORT=str(ports["rasa"]),
        ACTION_PORT=str(ports["actions"]),
        GATEWAY_HOST="127.0.0.1",
        GATEWAY_PORT=str(ports["gateway"]),
        STAFF_PORT=str(ports["console"]),
        GATEWAY_STATE="sqlite",
        PYTHONPATH=str(REPO),
    )
    process = subprocess.Popen(
        [launch.RASA_PY, "-m", "launch", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{ports['gateway']}/healthz", process)
        _wait_healthy(f"http://127.0.0.1:{ports['console']}/staff/", process)
        yield {**ports, "pgid": process.pid}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        subprocess.run(["rm", "-rf", str(state_dir)], check=False)


def _wait_healthy(url: str, process: "subprocess.Popen[bytes]", timeout: float = 600) -> None:
    """Until ``url`` answers 200 (the gateway's /healthz asks Rasa's token-guarded /status: Rasa has its model)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the launcher exited with {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    raise AssertionError(f"{url} not healthy within {timeout}s")


def test_make_run_gives_each_process_only_its_own_secrets(run_all: Dict[str, int]) -> None:
    for role in ("rasa", "actions", "gateway", "console"):
        environ = process_environ(listening_pid(run_all[role]))
        assert_only_own_secrets(role, environ, PLANTED)
    assert process_environ(listening_pid(run_all["rasa"]))["RASA_AUTH_TOKEN"] == PLANTED["RASA_AUTH_TOKEN"]
    sinks = [pid for pid, command in group_processes(run_all["pgid"]) if "privacy.logsink" in command]
    assert len(sinks) == 4, "one log sink per server"
    for pid in sinks:
        assert_only_own_secrets("logsink", process_environ(pid), PLANTED)
