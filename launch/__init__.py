"""The one launcher of the gateway, Rasa and action servers: each with only its role's secrets (launch.roles).

``python -m launch`` (make run, run-scaled, shell), the e2e and scaled tests and the load harness start them here.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
import urllib.request
from contextlib import ExitStack, suppress
from pathlib import Path
from subprocess import STDOUT
from typing import IO

from launch.roles import environment

REPO = Path(__file__).resolve().parents[1]
RASA_PY, GATEWAY_PY, RASA = (str(REPO / p) for p in (".venv/bin/python", ".venv-gateway/bin/python", ".venv/bin/rasa"))
# The defaults of CONTRACT §2, each overridable by env.
DEFAULTS = dict(
    pair.split("=", 1)
    for pair in "RASA_HOST=127.0.0.1 RASA_PORT=5005 ACTION_PORT=5055 SANIC_HOST=127.0.0.1 GATEWAY_HOST=0.0.0.0 "
    "GATEWAY_PORT=8080 STAFF_HOST=127.0.0.1 STAFF_PORT=8081 STATE_DIR=var RASA_MODEL=models/pinbot.tar.gz "
    "TF_CPP_MIN_LOG_LEVEL=2 START_TIMEOUT_SECONDS=300"
    "".split()
)


class Failed(Exception):
    """A process exited before the layout was up; the message says which, with the end of its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_block(count: int) -> int:
    """The first of ``count`` consecutive local ports that could all be bound a moment ago (replicas: base, base+1…)."""
    for _ in range(200):
        with ExitStack() as held:
            base = free_port()
            with suppress(OSError, OverflowError):  # taken, or beyond 65535
                for port in range(base, base + count):
                    held.enter_context(socket.socket()).bind(("127.0.0.1", port))
                return base
    raise RuntimeError(f"no {count} consecutive free ports")


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """Whether something accepts connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def state_env(given: dict[str, str]) -> dict[str, str]:
    """``given`` with the defaults, a private STATE_DIR (0700/0600), its endpoints.yml and the generated secrets."""
    env = {**DEFAULTS, "PYTHONPATH": str(REPO), **given, "RASA_TELEMETRY_ENABLED": "false"}
    os.umask(0o077)  # runtime state holds conversations, logs and secrets
    state = Path(env["STATE_DIR"])
    (state / "log").mkdir(parents=True, exist_ok=True)
    for path in [state, *state.glob("*"), *state.glob("*/*")]:
        if not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)
    env.setdefault("ACTION_ENDPOINT_URL", f"http://127.0.0.1:{env['ACTION_PORT']}/webhook")
    env.setdefault("RASA_URL", f"http://{env['RASA_HOST']}:{env['RASA_PORT']}")
    env.setdefault("TRACKER_DB", str(state / "tracker.db"))
    # endpoints.yml holds the defaults (Rasa's layout, no variables); a different action-server URL gets a copy.
    env["ENDPOINTS"] = str(state / "endpoints.yml")
    text = (REPO / "endpoints.yml").read_text(encoding="utf-8")
    Path(env["ENDPOINTS"]).write_text(text.replace("http://127.0.0.1:5055/webhook", env["ACTION_ENDPOINT_URL"]))
    # Rasa's API token (the gateway's too), the key of the gateway's conversation ids and the staff console's login:
    # set them in production, else a random one is kept in the state directory (LINE conversations survive restarts).
    kept = ("RASA_AUTH_TOKEN", "rasa.token"), ("GATEWAY_SECRET", "gateway.secret"), ("STAFF_TOKEN", "staff.token")
    for name, file in ((name, state / file) for name, file in kept):
        if not env.get(name):
            if not (file.is_file() and file.read_text().strip()):
                file.write_text(secrets.token_hex(32))
            env[name] = file.read_text().strip()
    return env


class Stack:
    """The servers of one launch by name; ``stop`` ends them (SIGTERM, then SIGKILL)."""

    def __init__(self, env: dict[str, str]) -> None:
        """Processes start from ``env``, filtered to their role."""
        self.env, self.logs = env, dict[str, Path]()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.sinks: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, role: str, args: list[str], log: Path, sink: bool = True, cwd: Path = REPO) -> None:
        """Start ``name`` as ``role`` in ``cwd``, its output into ``log`` through privacy.logsink (or straight)."""
        environment(role, {})  # an unknown role starts nothing
        out: IO[bytes] = log.open("ab")
        if sink:
            out.close()
            command = [RASA_PY, "-m", "privacy.logsink", str(log)]
            self.sinks.append(subprocess.Popen(command, stdin=subprocess.PIPE, env=environment("logsink", self.env)))
            out = self.sinks[-1].stdin  # type: ignore[assignment]
        self.procs[name] = subprocess.Popen(args, cwd=cwd, env=environment(role, self.env), stdout=out, stderr=STDOUT)
        self.logs[name] = log
        out.close()

    def wait(self, urls: dict[str, str], timeout: float) -> bool:
        """Until each process's URL answers 200 (False after ``timeout``); raises Failed when a process exits."""
        deadline, pending = time.monotonic() + timeout, dict(urls)
        while pending and time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    time.sleep(0.5)  # let its log sink write the last lines
                    tail = "\n".join(self.logs[name].read_text(errors="replace").splitlines()[-30:])
                    raise Failed(f"{name} exited during start-up; the end of {self.logs[name]}:\n{tail}")
            for name, url in list(pending.items()):
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        if response.status == 200:
                            pending.pop(name)
                except OSError:
                    time.sleep(0.2)
        return not pending

    def stop(self, *names: str, grace: float = 20.0) -> None:
        """SIGTERM (servers finish their turns and close connections), SIGKILL what is left after ``grace`` s."""
        procs = [self.procs.pop(name) for name in names or list(self.procs) if name in self.procs]
        for proc in [proc for proc in procs if proc.poll() is None]:
            proc.terminate()
        deadline = time.monotonic() + grace
        for proc in procs + ([] if self.procs else self.sinks):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def local(host: str, port: object) -> str:
    """The URL this machine reaches a server on."""
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '127.0.0.1') else host}:{port}"


def start(
    stack: Stack, rasa: int, actions: int, gateway: bool, scaled: bool = False, sink: bool = True, console: bool = False
) -> dict[str, str]:
    """Start the action servers, the Rasa servers (the gateway, the staff console); the URL that tells each is ready."""
    env, log, urls, rasa_urls = stack.env, Path(stack.env["STATE_DIR"]) / "log", {}, []
    ports = [int(env["ACTION_PORT"]) + j for j in range(actions)]
    for j, port in enumerate(ports):
        name = f"actions-{j}" if scaled else "actions"
        command = [RASA, "run", "actions", "--actions", "actions", "--port", str(port), "--logging-config-file"]
        stack.start(name, "actions", command + ["logging.yml"], log / f"{name}.log", sink)
        urls[name] = f"http://127.0.0.1:{port}/health"
    for i in range(rasa):
        name, port = (f"rasa-{i}" if scaled else "rasa"), int(env["RASA_PORT"]) + i
        # Replica i calls action server i mod ACTION_REPLICAS; channels.cli adds --auth-token from RASA_AUTH_TOKEN.
        if scaled:
            env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{ports[i % actions]}/webhook"
        command = [RASA_PY, "-m", "channels.cli", "run", "--model", env["RASA_MODEL"], "--enable-api", "-i"]
        command += [env["RASA_HOST"], "-p", str(port), "--credentials", "credentials.yml", "--endpoints"]
        command += ["endpoints.scaled.yml" if scaled else env["ENDPOINTS"], "--logging-config-file", "logging.yml"]
        stack.start(name, "rasa", command, log / f"{name}.log", sink)
        rasa_urls.append(local(env["RASA_HOST"], port))
        urls[name] = f"{rasa_urls[-1]}/status?token={env['RASA_AUTH_TOKEN']}"
    if gateway:
        if scaled:
            env["RASA_URLS"] = ",".join(rasa_urls)
        stack.start("gateway", "gateway", [GATEWAY_PY, "-m", "gateway"], log / "gateway.log", sink)
        urls["gateway"] = f"{local(env['GATEWAY_HOST'], env['GATEWAY_PORT'])}/healthz"
    if console:  # it reads the tracker store the Rasa servers write
        endpoints = "endpoints.scaled.yml" if scaled else env["ENDPOINTS"]
        stack.start(
            "console", "console", [RASA_PY, "-m", "console", "--endpoints", endpoints], log / "console.log", sink
        )
        urls["console"] = f"{local(env['STAFF_HOST'], env['STAFF_PORT'])}/staff/"
    return urls
