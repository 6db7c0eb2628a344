"""Start and stop the real action server and Rasa server on free local ports for end-to-end tests."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from scripts.process_env import environment
from testkit.services import free_port

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
GATEWAY_PYTHON = REPO / ".venv-gateway" / "bin" / "python"
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
    """The action server and the Rasa server of one test session, with their own state directory."""

    model: Path
    state_dir: Path
    env_extra: Dict[str, str] = field(default_factory=dict)
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    gateway_port: int = field(default_factory=free_port)
    processes: Dict[str, subprocess.Popen] = field(default_factory=dict)
    auth_token: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)

    @property
    def rasa_url(self) -> str:
        """Base URL of the Rasa server."""
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def tracker_db(self) -> Path:
        """The SQLite tracker store file."""
        return self.state_dir / "tracker.db"

    def log_path(self, name: str) -> Path:
        """Where a process writes its output."""
        return self.state_dir / f"{name}.log"

    def _env(self, role: str) -> Dict[str, str]:
        # Each process gets only its role's secrets, as the scripts start them (scripts/process_env.py).
        env = dict(os.environ)
        env.update(
            RASA_TELEMETRY_ENABLED="false",
            PYTHONPATH=str(REPO),
            SANIC_HOST="127.0.0.1",
            ACTION_ENDPOINT_URL=f"http://127.0.0.1:{self.action_port}/webhook",
            TRACKER_DB=str(self.tracker_db),
            RASA_AUTH_TOKEN=self.auth_token,
            TF_CPP_MIN_LOG_LEVEL="2",
        )
        env.update(self.env_extra)
        return environment(role, env)

    def _spawn(self, name: str, args: List[str]) -> None:
        """Start process ``name`` (``actions``, ``rasa`` or ``gateway``, also its role) with its log."""
        log = self.log_path(name).open("ab")
        self.processes[name] = subprocess.Popen(
            args, cwd=REPO, env=self._env(name), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def _endpoints(self) -> Path:
        """endpoints.yml with this stack's action-server port (the root file holds the default 5055)."""
        text = (REPO / "endpoints.yml").read_text(encoding="utf-8")
        path = self.state_dir / "endpoints.yml"
        path.write_text(
            text.replace("http://127.0.0.1:5055/webhook", f"http://127.0.0.1:{self.action_port}/webhook"),
            encoding="utf-8",
        )
        return path

    def start_actions(self) -> None:
        """Start the action server and wait until it answers."""
        self._spawn(
            "actions",
            [
                str(VENV_BIN / "rasa"),
                "run",
                "actions",
                "--actions",
                "actions",
                "--port",
                str(self.action_port),
                # The same logging (redaction filter) as the Rasa server's, as scripts/run_all.sh starts it.
                "--logging-config-file",
                "logging.yml",
            ],
        )
        self._wait(f"http://127.0.0.1:{self.action_port}/health", "actions")

    def start_rasa(self) -> None:
        """Start the Rasa server with the REST channel and HTTP API, and wait for the model."""
        self._spawn(
            "rasa",
            [
                # channels.cli adds --auth-token from RASA_AUTH_TOKEN, as scripts/run_all.sh does.
                str(VENV_BIN / "python"),
                "-m",
                "channels.cli",
                "run",
                "--model",
                str(self.model),
                "--enable-api",
                "-i",
                "127.0.0.1",
                "-p",
                str(self.rasa_port),
                "--credentials",
                "credentials.yml",
                "--endpoints",
                str(self._endpoints()),
                "--logging-config-file",
                "logging.yml",
            ],
        )
        self._wait(f"{self.rasa_url}/status?token={self.auth_token}", "rasa", timeout=240)

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
        self._spawn("gateway", [str(GATEWAY_PYTHON), "-m", "gateway"])
        # /healthz is only 200 when the gateway reaches Rasa's token-guarded /status.
        self._wait(f"{self.gateway_url}/healthz", "gateway")

    def stop(self, name: str) -> None:
        """Stop one process (SIGTERM, then SIGKILL)."""
        process = self.processes.pop(name, None)
        if process is None:
            return
        if process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        """Stop everything this stack started."""
        for name in list(self.processes):
            self.stop(name)

    def _wait(self, url: str, name: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited early:\n{self.log_path(name).read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{name} did not come up in {timeout}s")

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
