"""Runs ``python -m gateway`` as its own process on a free 127.0.0.1 port (transport tests, the fairness probe)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from gateway.settings import REPO_ROOT
from testkit.services import free_port, port_open
from tests.gateway.fakes.fake_rasa import FAKE_RASA_TOKEN

START_TIMEOUT_SECONDS = 30.0


def gateway_env(state_dir: Path, rasa_url: str, **overrides: str) -> dict[str, str]:
    """The environment of a gateway process on a free port, talking to ``rasa_url``, with ``overrides`` on top."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "GATEWAY_", "RASA_", "FORWARDED_"))}
    return {
        **base,
        "PYTHONPATH": str(REPO_ROOT),
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(free_port()),
        "GATEWAY_SECRET": "gateway-process-secret-of-32-bytes!",
        "GATEWAY_DB_PATH": str(state_dir / "gateway.sqlite3"),
        "GATEWAY_LOG_LEVEL": "ERROR",
        "RASA_URL": rasa_url,
        "RASA_AUTH_TOKEN": FAKE_RASA_TOKEN,
        **overrides,
    }


@contextmanager
def gateway_process(env: Mapping[str, str], log_path: Path | None = None) -> Iterator[str]:
    """Start the gateway with ``env`` (see ``gateway_env``), yield its base URL, stop it (and only it) at the end.

    Its output goes to ``log_path`` if given (for the test to read), else to a temporary file.
    """
    port = int(env["GATEWAY_PORT"])
    with contextlib.ExitStack() as stack:
        # A file, not a pipe: a pipe nobody reads while the gateway runs could fill up and block its logging.
        log = (
            stack.enter_context(log_path.open("w+", encoding="utf-8"))
            if log_path is not None
            else stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8"))
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway"], cwd=REPO_ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while not port_open(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"gateway did not start: {log.read()[-2000:]}")
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
