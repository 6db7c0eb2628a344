"""logging.yml: every record of the Rasa server and the action server is redacted, whichever logger writes it.

Each server is replayed in a fresh interpreter in the order it sets logging up (our file, Rasa's or rasa_sdk's own
changes, Sanic's), then every kind of logger writes a secret; nothing of it may reach stdout or stderr.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import launch
from launch import DEFAULTS, Stack

REPO = Path(__file__).resolve().parents[2]

_LOG_EVERYWHERE = r"""
import json, logging
import structlog

secret = "暗証番号は１２３４、マイナンバーは123456789018"
for name in ("sanic.root", "sanic.error", "sanic.access", "sanic.server", "rasa", "rasa.core.processor",
             "rasa_sdk", "rasa_sdk.executor", "asyncio", ""):
    logging.getLogger(name).error("%s: %s", name or "root", secret)
try:
    raise RuntimeError(json.dumps({"tracker": {"text": secret}}))
except RuntimeError:
    logging.getLogger("sanic.error").exception("Exception occurred while handling uri")
    logging.getLogger("rasa.core.processor").exception("Encountered an exception while running action")
structlog.get_logger().error("rest.message.received.failure", text=secret)
print("done")
"""

_RASA_SERVER = r"""
from rasa.utils.common import configure_logging_and_warnings, update_sanic_log_level
from rasa.utils.io import configure_colored_logging
from rasa.utils.log_utils import configure_structlog
from sanic import Sanic

configure_logging_and_warnings(None, "logging.yml")  # rasa/__main__.py, --logging-config-file
configure_colored_logging(None)
configure_structlog(None)
Sanic("rasa_server")  # rasa/server.py: Sanic's own logging configuration
update_sanic_log_level()
"""

_ACTION_SERVER = r"""
import logging
from rasa.utils.common import configure_logging_and_warnings
from rasa.utils.io import configure_colored_logging
from rasa.utils.log_utils import configure_structlog
from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from sanic import Sanic

configure_logging_and_warnings(None, "logging.yml")  # `rasa run actions --logging-config-file logging.yml`
configure_colored_logging(None)
configure_structlog(None)
utils.configure_colored_logging(None)  # rasa_sdk/__main__.py
utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), None, None, "logging.yml")
utils.update_sanic_log_level()
Sanic("rasa_sdk", configure_logging=False)
"""

_SECRETS = re.compile(r"1234|１２３４|123456789018|\\uff11|\\\\uff11")


@pytest.mark.parametrize("setup", [_RASA_SERVER, _ACTION_SERVER], ids=["rasa server", "action server"])
def test_no_logger_of_either_server_writes_a_secret(setup: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "RASA_TELEMETRY_ENABLED": "false", "FORCE_JSON_LOGGING": "1"}
    run = subprocess.run(
        [sys.executable, "-c", setup + _LOG_EVERYWHERE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0 and "done" in run.stdout, output[-3000:]
    assert "rasa.core.processor: " in output and "［暗証番号］" in output, "the records were written"
    assert "sanic.error: " in output and "RuntimeError" in output
    leaks = [line for line in output.splitlines() if _SECRETS.search(line)]
    assert not leaks, "\n".join(leaks)


def test_the_filter_sits_on_the_root_and_on_every_logger_that_does_not_propagate() -> None:
    config = yaml.safe_load((REPO / "logging.yml").read_text(encoding="utf-8"))
    assert config["filters"]["redact"]["()"] == "privacy.logging_filter.RedactingFilter"
    for handler in config["root"]["handlers"]:
        assert "redact" in config["handlers"][handler]["filters"], handler
    assert "redact" in config["root"]["filters"]
    for name in ("rasa", "rasa_sdk", "sanic.root", "sanic.error", "sanic.access", "sanic.server"):
        assert "redact" in config["loggers"][name]["filters"], name


class _RecordingStack(Stack):
    """A Stack that records what it would start instead of starting it."""

    def __init__(self, env: dict[str, str]) -> None:
        super().__init__(env)
        self.started: list[tuple[str, str, list[str]]] = []

    def start(self, name: str, role: str, args: list[str], log: Path, sink: bool = True, cwd: Path = REPO) -> None:
        self.started.append((name, role, args))


@pytest.mark.parametrize("scaled", [False, True], ids=["run", "scaled"])
def test_every_server_is_started_with_the_logging_file(scaled: bool) -> None:
    """Both servers, in every layout the one launcher starts (make run, run-scaled, the tests), get the file."""
    env = {**DEFAULTS, "ENDPOINTS": "endpoints.yml", "RASA_AUTH_TOKEN": "t", "STATE_DIR": "var"}
    stack = _RecordingStack(env)
    launch.start(stack, rasa=2 if scaled else 1, actions=2 if scaled else 1, gateway=True, scaled=scaled)
    servers = [(name, args) for name, role, args in stack.started if role in ("rasa", "actions")]
    assert len(servers) == (4 if scaled else 2), stack.started
    for name, args in servers:
        assert "--logging-config-file logging.yml" in " ".join(args), f"{name}: {args}"
