"""make run and make run-scaled start the staff console on their own tracker store, with only its own secrets."""

from __future__ import annotations

from pathlib import Path

import launch
from launch.roles import environment
from tests.console.seed import REPO


class RecordingStack(launch.Stack):
    """A launcher Stack that records what it would start instead of starting it."""

    def __init__(self, env: dict[str, str]) -> None:
        super().__init__(env)
        self.started: list[tuple[str, str, list[str]]] = []

    def start(self, name: str, role: str, args: list[str], log: Path, sink: bool = True, cwd: Path = REPO) -> None:
        self.started.append((name, role, args))


def test_make_run_and_run_scaled_start_the_console_on_their_own_tracker_store() -> None:
    for scaled, endpoints in ((False, "var/endpoints.yml"), (True, "endpoints.scaled.yml")):
        env = {**launch.DEFAULTS, "ENDPOINTS": "var/endpoints.yml", "RASA_AUTH_TOKEN": "t", "STATE_DIR": "var"}
        stack = RecordingStack(env)
        urls = launch.start(stack, 1, 1, True, scaled, console=True)
        assert ("console", "console", [launch.RASA_PY, "-m", "console", "--endpoints", endpoints]) in stack.started
        assert urls["console"] == "http://127.0.0.1:8081/staff/", "loopback and 8081 by default"
    kept = environment(
        "console", {"STAFF_TOKEN": "s" * 40, "PGPASSWORD": "p", "GATEWAY_SECRET": "g", "RASA_AUTH_TOKEN": "r"}
    )
    assert set(kept) == {"STAFF_TOKEN", "PGPASSWORD"}
    assert "STAFF_TOKEN" not in environment("gateway", {"STAFF_TOKEN": "s" * 40})
