"""Start and stop the real action server and Rasa server on free local ports for end-to-end tests.

``python -m tests.e2e.stack CMD…`` runs CMD while both run on free ports with a throw-away state directory, RASA_URL
pointing at them (make test-browser-e2e).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import launch
from launch import free_port

REPO = launch.REPO
PINBOT_NOW = "2026-11-24T10:00:00+09:00"
# A JSON request body: an object, or a list (Rasa's /tracker/events takes several events at once).
JsonBody = Optional[Union[Dict[str, Any], List[Any]]]


def http_json(method: str, url: str, body: JsonBody = None, timeout: float = 30.0) -> Any:
    """Send a JSON request and decode the JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode() or "null")


@dataclass
class Stack:
    """The action server and the Rasa server of one test session (the launcher's, logs unfiltered), own state."""

    model: Path
    state_dir: Path
    env_extra: Dict[str, str] = field(default_factory=dict)
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    gateway_port: int = field(default_factory=free_port)
    staff_port: int = field(default_factory=free_port)
    staff_token: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    auth_token: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    servers: launch.Stack = field(default_factory=lambda: launch.Stack({}))

    @property
    def rasa_url(self) -> str:
        """Base URL of the Rasa server."""
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def tracker_db(self) -> Path:
        """The SQLite tracker store file."""
        return self.state_dir / "tracker.db"

    def log_path(self, name: str) -> Path:
        """Where a process writes its output: straight, so a test sees what the server itself logged."""
        return self.state_dir / "log" / f"{name}.log"

    def _start(self, rasa: int, actions: int, gateway: bool, timeout: float, console: bool = False) -> None:
        """Start processes through the launcher, each with only its role's secrets, and wait until they answer."""
        given = {k: v for k, v in os.environ.items() if k not in ("RASA_URL", "RASA_URLS", "ENDPOINTS")}
        given.update(
            STATE_DIR=str(self.state_dir),
            RASA_MODEL=str(self.model),
            RASA_PORT=str(self.rasa_port),
            ACTION_PORT=str(self.action_port),
            ACTION_ENDPOINT_URL=f"http://127.0.0.1:{self.action_port}/webhook",
            TRACKER_DB=str(self.tracker_db),
            RASA_AUTH_TOKEN=self.auth_token,
            STAFF_PORT=str(self.staff_port),
            STAFF_TOKEN=self.staff_token,
        )
        self.servers.env = launch.state_env({**given, **self.env_extra})
        urls = launch.start(self.servers, rasa, actions, gateway, sink=False, console=console)
        if not self.servers.wait(urls, timeout):
            raise RuntimeError(f"the servers did not come up in {timeout}s (logs: {self.state_dir / 'log'})")

    def start_actions(self) -> None:
        """Start the action server and wait until it answers."""
        self._start(0, 1, False, 120)

    def start_rasa(self) -> None:
        """Start the Rasa server with the REST channel and HTTP API, and wait for the model."""
        self._start(1, 0, False, 240)

    @property
    def gateway_url(self) -> str:
        """Base URL of the gateway (when started)."""
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def gateway_db(self) -> Path:
        """The gateway's SQLite file."""
        return self.state_dir / "gateway.sqlite3"

    def start_gateway(self) -> None:
        """Start the public gateway (its own venv) in front of this Rasa server and wait until it is healthy."""
        extra = {
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(self.gateway_port),
            "GATEWAY_DB_PATH": str(self.gateway_db),
            "GATEWAY_SECRET": secrets.token_hex(32),
            "RASA_URL": self.rasa_url,
            "RATE_LIMIT_SESSION_PER_MINUTE": "1000",
            "RATE_LIMIT_IP_PER_MINUTE": "1000",
            "RATE_LIMIT_SESSIONS_PER_IP_PER_MINUTE": "1000",
        }
        self.env_extra.update(extra)
        # /healthz is only 200 when the gateway reaches Rasa's token-guarded /status.
        self._start(0, 0, True, 120)

    @property
    def console_url(self) -> str:
        """Base URL of the staff console (when started)."""
        return f"http://127.0.0.1:{self.staff_port}"

    def start_console(self) -> None:
        """Start the staff console over this stack's tracker database and wait until it answers."""
        self._start(0, 0, False, 60, console=True)

    def stop(self, name: str) -> None:
        """Stop one process (SIGTERM, then SIGKILL)."""
        self.servers.stop(name)

    def stop_all(self) -> None:
        """Stop everything this stack started."""
        self.servers.stop()

    def say(self, sender: str, message: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """One turn through the REST channel; returns the bot's messages."""
        body: Dict[str, Any] = {"sender": sender, "message": message}
        if metadata is not None:
            body["metadata"] = metadata
        return http_json("POST", f"{self.rasa_url}/webhooks/rest/webhook", body)

    def tracker(self, sender: str) -> Dict[str, Any]:
        """The stored conversation, through the (token-guarded) HTTP API."""
        return http_json("GET", f"{self.rasa_url}/conversations/{sender}/tracker?token={self.auth_token}")

    def api(self, method: str, path: str, body: JsonBody = None, token: bool = True) -> Any:
        """Call Rasa's HTTP API with (or, to test the lock, without) the token."""
        separator = "&" if "?" in path else "?"
        url = f"{self.rasa_url}{path}{separator}token={self.auth_token}" if token else f"{self.rasa_url}{path}"
        return http_json(method, url, body)


def main(command: List[str]) -> int:
    """Run ``command`` beside the servers; its exit code. A failed run keeps its logs to read."""
    state = Path(tempfile.mkdtemp(prefix="pinbot-stack."))
    model = Path(os.environ.get("RASA_MODEL", "models/pinbot.tar.gz"))
    stack = Stack(model=model, state_dir=state, env_extra={"PINBOT_NOW": os.environ.get("PINBOT_NOW", PINBOT_NOW)})
    code = 1
    try:
        stack.start_actions()
        stack.start_rasa()
        code = subprocess.call(command, env={**stack.servers.env, "RASA_URL": stack.rasa_url})
    finally:
        stack.stop_all()
        shutil.rmtree(state) if code == 0 else print(f"logs kept in {state}/log", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
