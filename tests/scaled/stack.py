"""``python -m launch scaled`` (make run-scaled) under test: start it as residents' operators would, talk to it through the gateway, look
into the shared PostgreSQL tracker store and Redis, and check that stopping it leaves nothing behind."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import psycopg2
import redis

from launch import free_port_block
from replies.catalogue import apology
from testkit.redis_server import RedisServer
from testkit.services import free_port
from tests.scaled.services import PostgresCluster

APOLOGY = apology("unavailable")  # what a resident reads when nothing else could be produced

REPO = Path(__file__).resolve().parents[2]
RASA_PY = str(REPO / ".venv" / "bin" / "python")
# The gateway's polite 503 when its shared state (Redis) is down: gateway/app.py, _state_unavailable.
UNAVAILABLE_TEXT = "ただいまご利用いただけません。"
# The gateway's 404 for a session it does not know (gateway/webchat.py), e.g. one Redis lost.
UNKNOWN_SESSION_TEXT = "会話の有効期限が切れました。"
GATEWAY_KEY_PREFIX = "pinbot:gw:"
# How long the script may take to get every replica ready: on a shared 2-core machine two replicas loading the model
# at once took close to 4 minutes, which the script's 300 s default does not always cover.
START_TIMEOUT_SECONDS = 600
# The layout's PostgreSQL login: a role that is not a superuser (tests/scaled/conftest.py creates it).
APP_ROLE = "pinbot"
APP_PASSWORD = f"pg pw:@/'{secrets.token_hex(8)}"
# Secrets no process of the layout may hold, and LINE's, which only the gateway may (launch/roles.py).
FOREIGN_SECRETS = {"OPERATOR_API_TOKEN": secrets.token_hex(16), "DATABASE_URL": "postgres://u:dummy-db-pw@h/db"}
LINE_SECRETS = {"LINE_CHANNEL_SECRET": secrets.token_hex(16), "LINE_CHANNEL_ACCESS_TOKEN": secrets.token_hex(24)}
STAFF_TOKEN = secrets.token_hex(20)
# Variables of the developer's shell that would steer the script away from this test's private services.
_INHERITED_OUT = ("RASA_URL", "RASA_URLS", "ACTION_ENDPOINT_URL", "TRACKER_DB", "ENDPOINTS", "REDIS_HOST", "REDIS_PORT")


# The secrets each kind of process holds, by name; every other secret planted in its launcher's environment must be
# missing from its own (/proc/<pid>/environ). launch/roles.py enforces this; these lines say it independently.
OWN_SECRETS: Dict[str, frozenset[str]] = {
    "rasa": frozenset({"RASA_AUTH_TOKEN", "PGPASSWORD", "REDIS_PASSWORD"}),
    "actions": frozenset(),
    "gateway": frozenset(
        {
            "RASA_AUTH_TOKEN",
            "GATEWAY_SECRET",
            "LINE_CHANNEL_SECRET",
            "LINE_CHANNEL_ACCESS_TOKEN",
            "REDIS_URL",
        }
    ),
    "console": frozenset({"STAFF_TOKEN", "PGPASSWORD"}),
    "logsink": frozenset(),
}
# Planted secrets whose value must not show up under any other name either (a copy would defeat the split).
_VALUE_CHECKED = ("RASA_AUTH_TOKEN", "GATEWAY_SECRET", "STAFF_TOKEN", "PGPASSWORD", *LINE_SECRETS, *FOREIGN_SECRETS)


def assert_only_own_secrets(role: str, environ: Dict[str, str], planted: Dict[str, str]) -> None:
    """``environ`` (a process's) holds exactly the planted secrets its role may, by name and by value."""
    own = OWN_SECRETS[role]
    held = sorted(name for name in planted if name in environ)
    assert held == sorted(name for name in planted if name in own), f"{role} holds {held}"
    for name in _VALUE_CHECKED:
        if name in planted and name not in own and planted[name]:
            copies = [key for key, value in environ.items() if planted[name] in value]
            assert not copies, f"{role} holds the value of {name} as {copies}"


def group_processes(pgid: int) -> List[Tuple[int, str]]:
    """(pid, command line) of every live process in a process group."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(
                    (int(proc.name), (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
                )
        except (OSError, IndexError, ValueError):
            continue
    return found


@dataclass
class Reply:
    """One answer of the gateway's web chat API."""

    status: int
    body: Dict[str, Any]
    headers: Dict[str, str]
    started: float
    ended: float

    @property
    def messages(self) -> List[Dict[str, Any]]:
        """The bot's messages (empty for an error)."""
        messages = self.body.get("messages")
        return messages if isinstance(messages, list) else []

    @property
    def text(self) -> str:
        """All message texts as one string."""
        return "\n".join(str(m.get("text", "")) for m in self.messages)

    @property
    def texts(self) -> List[str]:
        """Each message's text."""
        return [str(m.get("text", "")) for m in self.messages]

    @property
    def button_titles(self) -> List[str]:
        """Titles of every offered button."""
        return [b["title"] for m in self.messages for b in m.get("buttons", [])]

    @property
    def is_fallback(self) -> bool:
        """The polite apology the resident gets when no replica could answer the turn."""
        return self.status == 200 and APOLOGY in self.text


def request_json(
    method: str, url: str, body: Optional[Any] = None, timeout: float = 60.0
) -> Tuple[int, Dict[str, Any], Dict[str, str]]:
    """Send JSON, return status, decoded JSON body and headers (names in lower case); HTTP errors are answers too."""
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read().decode()
            return response.status, json.loads(raw or "{}"), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        raw = error.read().decode()
        return error.code, json.loads(raw or "{}"), {k.lower(): v for k, v in error.headers.items()}


def listening_pid(port: int) -> int:
    """The process listening on 127.0.0.1:port (``ss`` shows it to root)."""
    output = subprocess.run(
        ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=True, timeout=10
    ).stdout
    match = re.search(r"pid=(\d+)", output)
    if match is None:
        raise AssertionError(f"nothing listens on port {port}: {output!r}")
    return int(match.group(1))


def process_environ(pid: int) -> Dict[str, str]:
    """The environment a process was started with."""
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(): value.decode(errors="replace") for key, value in pairs}


@dataclass
class ScaledStack:
    """One scaled layout (python -m launch scaled) on free ports, on this session's private PostgreSQL and Redis."""

    state_dir: Path
    pg: PostgresCluster
    redis_server: RedisServer
    model: Path
    database: str
    rasa_replicas: int = 2
    action_replicas: int = 2
    rasa_timeout_seconds: float = 30.0
    rasa_port: int = 0
    action_port: int = 0
    gateway_port: int = field(default_factory=free_port)
    staff_port: int = field(default_factory=free_port)
    auth_token: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    gateway_secret: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    extra_env: Dict[str, str] = field(default_factory=dict)
    process: Optional["subprocess.Popen[str]"] = None
    stdout_lines: List[str] = field(default_factory=list)
    _ready: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        """Pick the replicas' base ports."""
        self.rasa_port = self.rasa_port or free_port_block(self.rasa_replicas)
        self.action_port = self.action_port or free_port_block(self.action_replicas)

    # ---- the script ----

    def env(self) -> Dict[str, str]:
        """What an operator would export: the private services, free ports, a pinned time, generous limits."""
        env = {k: v for k, v in os.environ.items() if k not in _INHERITED_OUT and not k.startswith("LINE_")}
        env.update(
            STATE_DIR=str(self.state_dir),
            RASA_MODEL=str(self.model),
            RASA_REPLICAS=str(self.rasa_replicas),
            ACTION_REPLICAS=str(self.action_replicas),
            RASA_PORT=str(self.rasa_port),
            ACTION_PORT=str(self.action_port),
            GATEWAY_HOST="127.0.0.1",
            GATEWAY_PORT=str(self.gateway_port),
            STAFF_PORT=str(self.staff_port),
            PGHOST="127.0.0.1",
            PGPORT=str(self.pg.port),
            PGUSER=APP_ROLE,
            PGPASSWORD=APP_PASSWORD,
            PG_DATABASE=self.database,
            REDIS_URL=self.redis_server.url,
            REDIS_KEY_PREFIX=GATEWAY_KEY_PREFIX,
            GATEWAY_STATE="redis",
            RASA_AUTH_TOKEN=self.auth_token,
            GATEWAY_SECRET=self.gateway_secret,
            PINBOT_NOW="2026-11-24T10:00:00+09:00",
            DEFAULT_MUNICIPALITY="",
            RASA_TIMEOUT_SECONDS=str(self.rasa_timeout_seconds),
            RASA_HEALTH_INTERVAL_SECONDS="1",
            TICKET_LOCK_LIFETIME="10",
            START_TIMEOUT_SECONDS=str(START_TIMEOUT_SECONDS),
            RATE_LIMIT_SESSION_PER_MINUTE="1000",
            RATE_LIMIT_IP_PER_MINUTE="1000",
            RATE_LIMIT_SESSIONS_PER_IP_PER_MINUTE="1000",
            RASA_TELEMETRY_ENABLED="false",
            PYTHONPATH=str(REPO),
            STAFF_TOKEN=STAFF_TOKEN,
            **LINE_SECRETS,
            **FOREIGN_SECRETS,
        )
        return {**env, **self.extra_env}

    def launch(self, env: Optional[Dict[str, str]] = None) -> "subprocess.Popen[str]":
        """Start the script in its own process group (so that a test can find anything it leaves behind)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        stderr = (self.state_dir / "run_scaled.stderr").open("a")
        process = subprocess.Popen(
            [RASA_PY, "-m", "launch", "scaled"],
            cwd=REPO,
            env=env or self.env(),
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )
        stderr.close()
        return process

    def start(self, timeout: float = START_TIMEOUT_SECONDS + 60) -> None:
        """Start the layout and wait for its ``READY <url>`` line."""
        self._ready.clear()
        self.stdout_lines = []
        self.process = self.launch()
        reader = threading.Thread(target=self._read_stdout, args=(self.process,), daemon=True)
        reader.start()
        deadline = time.monotonic() + timeout
        while not self._ready.wait(1.0):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = self.stderr_text()[-4000:]
                self.kill()
                raise RuntimeError(f"the launcher did not print READY (exit {self.process.returncode}):\n{log}")
        assert f"READY {self.gateway_url}" in self.stdout_lines

    def _read_stdout(self, process: "subprocess.Popen[str]") -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.stdout_lines.append(line.rstrip("\n"))
            if line.startswith("READY "):
                self._ready.set()

    def stderr_text(self) -> str:
        """What the script printed on stderr (all runs)."""
        path = self.state_dir / "run_scaled.stderr"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, timeout: float = 90.0) -> List[str]:
        """SIGTERM the script alone (it must stop its children); returns what is still running afterwards."""
        process = self.process
        if process is None:
            return []
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the launcher did not exit within {timeout}s of SIGTERM") from None
        leftovers = self.group_members(process.pid, settle=10.0)
        self.kill()
        self.process = None
        return leftovers

    @staticmethod
    def group_members(pgid: int, settle: float = 0.0) -> List[str]:
        """Processes still in the script's process group, after waiting up to ``settle`` seconds for them to go."""
        deadline = time.monotonic() + settle
        while True:
            members = []
            for proc in Path("/proc").iterdir():
                if not proc.name.isdigit():
                    continue
                try:
                    stat = (proc / "stat").read_text()
                    # Fields after the command name: state, ppid, pgrp; a zombie has already exited.
                    fields = stat.rsplit(")", 1)[1].split()
                    if int(fields[2]) == pgid and fields[0] != "Z":
                        members.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
                except (OSError, IndexError, ValueError):
                    continue
            if not members or time.monotonic() >= deadline:
                return members
            time.sleep(0.2)

    def kill(self) -> None:
        """Kill whatever is left of the script's process group (teardown safety net)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            pass

    # ---- addresses ----

    @property
    def gateway_url(self) -> str:
        """The gateway's base URL."""
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def rasa_ports(self) -> List[int]:
        """Ports of the Rasa replicas, replica 0 first."""
        return [self.rasa_port + i for i in range(self.rasa_replicas)]

    @property
    def action_ports(self) -> List[int]:
        """Ports of the action servers."""
        return [self.action_port + j for j in range(self.action_replicas)]

    @property
    def console_url(self) -> str:
        """The staff console's base URL."""
        return f"http://127.0.0.1:{self.staff_port}"

    def all_ports(self) -> List[int]:
        """Every port the layout listens on."""
        return self.rasa_ports + self.action_ports + [self.gateway_port, self.staff_port]

    # ---- the gateway's web chat API (CONTRACT §4) ----

    def new_session(self) -> str:
        """A web chat session id."""
        status, body, _ = request_json("POST", f"{self.gateway_url}/api/chat/session", {})
        assert status == 200, (status, body)
        return str(body["session_id"])

    def say(self, session_id: str, text: str, timeout: float = 90.0) -> Reply:
        """A typed message, as the widget sends it."""
        started = time.monotonic()
        status, body, headers = request_json(
            "POST", f"{self.gateway_url}/api/chat/message", {"session_id": session_id, "text": text}, timeout
        )
        return Reply(status, body, headers, started, time.monotonic())

    def healthz(self) -> int:
        """The gateway's /healthz status code."""
        return request_json("GET", f"{self.gateway_url}/healthz", timeout=10)[0]

    # ---- Rasa directly (the REST channel the gateway uses) ----

    def rest(self, replica: int, sender: str, text: str, timeout: float = 90.0) -> List[Dict[str, Any]]:
        """One turn straight to a replica's REST channel; returns the bot's messages."""
        status, body, _ = request_json(
            "POST",
            f"http://127.0.0.1:{self.rasa_ports[replica]}/webhooks/rest/webhook",
            {"sender": sender, "message": text},
            timeout,
        )
        assert status == 200, (status, body)
        assert isinstance(body, list), body
        return body

    # ---- the shared stores ----

    def redis_client(self) -> "redis.Redis[str]":
        """A client of the private Redis."""
        return redis.Redis.from_url(self.redis_server.url, decode_responses=True, socket_timeout=5)

    def sender_of(self, session_id: str) -> str:
        """The Rasa sender id the gateway keeps for a web session (gateway/state.py: a JSON value per session)."""
        client = self.redis_client()
        try:
            raw = client.get(f"{GATEWAY_KEY_PREFIX}session:{session_id}")
            conversation = json.loads(raw)["conversation_id"] if raw else None
        finally:
            client.close()
        assert conversation, f"no session {session_id[:6]}… in Redis"
        return str(conversation)

    def pg_connect(self, database: Optional[str] = None) -> Any:
        """A psycopg2 connection to the private cluster."""
        return psycopg2.connect(
            host="127.0.0.1", port=self.pg.port, user="postgres", dbname=database or self.database, connect_timeout=5
        )

    def database_exists(self) -> bool:
        """Whether the tracker database exists in the cluster."""
        connection = self.pg_connect("postgres")
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,))
                return cursor.fetchone() is not None
        finally:
            connection.close()

    def events(self, sender: str) -> List[Dict[str, Any]]:
        """Every stored event of a conversation, in the order the replicas wrote them."""
        connection = self.pg_connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (sender,))
                return [json.loads(row[0]) for row in cursor.fetchall()]
        finally:
            connection.close()

    def user_texts(self, sender: str) -> List[str]:
        """The resident's messages as stored, in order."""
        return [e.get("text") or "" for e in self.events(sender) if e.get("event") == "user"]

    def turns(self, sender: str) -> List[Tuple[str, List[str]]]:
        """(user text, bot texts that answered it) per stored turn, in order."""
        turns: List[Tuple[str, List[str]]] = []
        for event in self.events(sender):
            if event.get("event") == "user":
                turns.append((event.get("text") or "", []))
            elif event.get("event") == "bot" and turns:
                turns[-1][1].append(event.get("text") or "")
        return turns


@contextmanager
def started(
    pg: PostgresCluster, redis_server: RedisServer, model: Path, state_dir: Path, **extra_env: str
) -> Iterator[ScaledStack]:
    """The whole scaled layout (2 Rasa replicas, 2 action servers) on a database that does not exist yet; stopped
    afterwards, also after a failed start."""
    running = ScaledStack(
        state_dir=state_dir,
        pg=pg,
        redis_server=redis_server,
        model=model,
        database=f"pinbot_{uuid.uuid4().hex[:10]}",
        extra_env=extra_env,
    )
    assert not running.database_exists()
    try:
        running.start()
        yield running
    finally:
        if running.process is not None:
            running.stop()
