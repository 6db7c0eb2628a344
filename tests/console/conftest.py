"""The console as its own process (python -m console) on a free port, over a seeded SQLite tracker database."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pytest

from launch import free_port
from tests.console.seed import REPO, seed


@dataclass
class Answer:
    """One HTTP answer of the console."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8")


@dataclass
class ConsoleServer:
    """A running console: its URL, token and database."""

    url: str
    token: str
    db: Path
    now: float

    def get(self, path: str, token: Optional[str] = "own", cookie: str = "") -> Answer:
        """GET ``path`` with the Bearer token (``own``), another one, or none; redirects are not followed."""
        headers = {"Cookie": cookie} if cookie else {}
        if token:
            headers["Authorization"] = f"Bearer {self.token if token == 'own' else token}"
        return self.request("GET", path, headers=headers)

    def request(self, method: str, path: str, body: bytes = b"", headers: Optional[dict[str, str]] = None) -> Answer:
        """One request; HTTP errors are answers too."""
        request = urllib.request.Request(self.url + path, data=body or None, method=method, headers=headers or {})
        opener = urllib.request.build_opener(NoRedirect())
        try:
            with opener.open(request, timeout=30) as response:
                return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Show a redirect to the test instead of following it."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def start_console(db: Path, token: str, extra: Optional[dict[str, str]] = None) -> tuple[subprocess.Popen[bytes], str]:
    """``python -m console`` on a free port over ``db``; waits until it answers."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TRACKER_DB": str(db), "STAFF_TOKEN": token}
    env.update(STAFF_PORT=str(port), **(extra or {}))
    process = subprocess.Popen([sys.executable, "-m", "console"], cwd=REPO, env=env, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, (process.stderr.read() if process.stderr else b"").decode()
        try:
            with urllib.request.urlopen(f"{url}/staff/", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("the console did not answer within 60 s")


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    """A console over a database seeded with tests/console/seed.py's conversations."""
    db = tmp_path_factory.mktemp("console") / "tracker.db"
    now = time.time()
    seed(db, now)
    token = secrets.token_urlsafe(32)
    process, url = start_console(db, token)
    try:
        yield ConsoleServer(url, token, db, now)
    finally:
        process.terminate()
        process.wait(20)
