"""The three layouts under test, each started by the one launcher: stock ``rasa init``, make run and run-scaled.

The stock bot runs in a ``launch.Stack`` of its own; the others are ``python -m launch run|scaled``, as make starts them.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import launch

REPO = launch.REPO
LAUNCHER = REPO / "launch" / "__main__.py"
PINBOT_NOW = "2026-11-24T10:00:00+09:00"
# The load test measures the bot, not the gateway's flood protection: limits far above any load generated here
# (every simulated resident connects from 127.0.0.1, one client address for the gateway's per-client cap).
GENEROUS_LIMITS = {
    "RATE_LIMIT_SESSION_PER_MINUTE": "1000000",
    "RATE_LIMIT_IP_PER_MINUTE": "1000000",
    "RATE_LIMIT_SESSIONS_PER_IP_PER_MINUTE": "1000000",
    "MAX_TURNS_IN_FLIGHT": "100000",
    "MAX_TURNS_PER_CLIENT": "100000",
}
# Left over from the caller's shell, these would point our servers at someone else's (or a stale) setup.
STALE = ("RASA_URL", "RASA_URLS", "TRACKER_DB", "ENDPOINTS", "ACTION_ENDPOINT_URL", "GATEWAY_DB_PATH")
STALE_SECRETS = ("RASA_AUTH_TOKEN", "GATEWAY_SECRET", "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN")
PORT_BLOCK = 8  # replicas listen on consecutive ports from RASA_PORT / ACTION_PORT
STOCK_MARKER = ".loadtest-rasa-version"
OWN_DATABASE = re.compile(r"^pinbot_load_[0-9a-z_]+$")  # only names the harness made up itself are ever dropped


class LayoutFailed(Exception):
    """A layout could not be prepared or did not come up; the message says why (with its log's tail)."""


class Launched:
    """``python -m launch …`` of one layout in a session of its own (Ctrl-C reaches the harness, which stops it)."""

    def __init__(self, name: str, command: list[str], cwd: Path, env: Mapping[str, str], log: Path) -> None:
        """Start ``command``, its output into ``log``."""
        self.name, self.log_path = name, log
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            self.popen = subprocess.Popen(
                command, cwd=cwd, env=dict(env), stdout=out, stderr=out, start_new_session=True
            )

    @property
    def pid(self) -> int:
        """The launcher's pid: every process of the layout is below it."""
        return self.popen.pid

    def alive(self) -> bool:
        """Whether the launcher still runs."""
        return self.popen.poll() is None

    def ready(self) -> bool:
        """Whether the launcher printed ``READY <url>``: every server answers."""
        return any(line.startswith("READY ") for line in self.log_tail(10**6).splitlines())

    def stop(self) -> None:
        """SIGTERM (the launcher stops its servers in order), then SIGKILL to whatever is left of its group."""
        self.popen.terminate()
        try:
            self.popen.wait(60)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the launcher's output, for an error message."""
        return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


class StockBot(launch.Stack):
    """The stock bot, started by the launcher's Stack (role ``stock``: no secret, not our PYTHONPATH)."""

    name = "stock"

    @property
    def pid(self) -> int:
        """The stock Rasa server's pid."""
        return self.procs["stock"].pid

    def alive(self) -> bool:
        """Whether the stock Rasa server still runs."""
        return "stock" in self.procs and self.procs["stock"].poll() is None


@dataclass
class Layout:
    """A running layout: the URL residents talk to, which API that is (rest or gateway), and its processes."""

    name: str
    url: str
    surface: str
    process: Launched | StockBot
    stock: bool = False
    notes: list[str] = field(default_factory=list)
    state_dir: Path | None = None


def base_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without variables that would point the servers elsewhere; telemetry off."""
    env = {k: v for k, v in environ.items() if k not in STALE + STALE_SECRETS}
    return {**env, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": env.get("TF_CPP_MIN_LOG_LEVEL", "2")}


def rasa_version() -> str:
    """The version of the Rasa this harness runs with (the same virtualenv as the servers)."""
    try:
        return importlib.metadata.version("rasa")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def stock_is_ready(stock_dir: Path) -> bool:
    """Whether the stock project exists, was made by this Rasa version, and has a trained model."""
    marker = stock_dir / STOCK_MARKER
    made = marker.is_file() and marker.read_text().strip() == rasa_version()
    return made and any((stock_dir / "models").glob("*.tar.gz"))


def start_stock(stock_dir: Path, logs: Path, environ: Mapping[str, str], timeout_s: float) -> Layout:
    """Create and train ``rasa init --no-prompt`` once (reused while Rasa's version is the same), then run it."""
    # Outside this repository's PYTHONPATH: the stock bot must not see our components or actions.
    bot = StockBot({k: v for k, v in base_env(environ).items() if k != "PYTHONPATH"})
    logs.mkdir(parents=True, exist_ok=True)
    try:
        if not stock_is_ready(stock_dir):
            shutil.rmtree(stock_dir, ignore_errors=True)
            stock_dir.mkdir(parents=True)
            init = [launch.RASA, "init", "--no-prompt", "--init-dir", str(stock_dir)]
            bot.start("stock-init", "stock", init, logs / "stock-init.log", sink=False, cwd=stock_dir)
            deadline = time.monotonic() + 3 * timeout_s  # rasa init trains for minutes on 2 busy cores
            while bot.procs["stock-init"].poll() is None and time.monotonic() < deadline:
                time.sleep(1.0)
            code = bot.procs["stock-init"].poll()
            bot.stop("stock-init")
            if code != 0 or not any((stock_dir / "models").glob("*.tar.gz")):
                raise LayoutFailed(f"rasa init --no-prompt failed (exit {code}); see {logs / 'stock-init.log'}")
            (stock_dir / STOCK_MARKER).write_text(rasa_version() + "\n")
        port = launch.free_port()
        command = [launch.RASA, "run", "--enable-api", "-i", "127.0.0.1", "-p", str(port)]
        bot.start("stock", "stock", command, logs / "stock.log", sink=False, cwd=stock_dir)
        if not bot.wait({"stock": f"http://127.0.0.1:{port}/status"}, timeout_s):
            raise LayoutFailed(f"stock: Rasa not up in time (see {logs / 'stock.log'})")
    except BaseException as exc:
        bot.stop()
        if isinstance(exc, launch.Failed):
            raise LayoutFailed(f"stock: {exc}") from None
        raise
    return Layout(
        "stock", f"http://127.0.0.1:{port}", "rest", bot, stock=True, notes=[f"stock `rasa init` bot on :{port}"]
    )


def free_port_block(size: int, taken: set[int]) -> int:
    """The first port of ``size`` consecutive free ports, none in ``taken`` (replicas listen on port, port+1, …)."""
    for _ in range(500):
        base = launch.free_port()
        block = range(base, base + size)
        if base + size < 65535 and not taken.intersection(block) and not any(map(launch.port_open, block)):
            taken.update(block)
            return base
    raise RuntimeError(f"no block of {size} free ports found")


def start_layout(
    name: str,
    logs: Path,
    environ: Mapping[str, str],
    timeout_s: float,
    services: ScaledServices | None = None,
    script: Path = LAUNCHER,
    replicas: Mapping[str, int] | None = None,
) -> Layout:
    """``python -m launch run|scaled`` on free ports with a throw-away state directory, until it prints READY.

    ``script`` may be another checkout's launcher, or its ``scripts/run_scaled.sh`` (for a comparison run).
    """
    if not script.is_file():
        raise LayoutFailed(f"not available: {script} does not exist in this checkout")
    checkout = script.parents[1]
    taken: set[int] = set()
    block = max([PORT_BLOCK, *(replicas or {}).values()])
    ports = {"rasa": free_port_block(block, taken), "action": free_port_block(block, taken)}
    ports["gateway"] = free_port_block(1, taken)
    state_dir = Path(tempfile.mkdtemp(prefix=f"pinbot-load-{name}-"))
    env = {**base_env(environ), **GENEROUS_LIMITS, **(services.env if services else {})}
    env.update({k: str(v) for k, v in (replicas or {}).items()})
    env.update(
        RASA_PORT=str(ports["rasa"]),
        ACTION_PORT=str(ports["action"]),
        GATEWAY_PORT=str(ports["gateway"]),
        GATEWAY_HOST="127.0.0.1",  # a load test never exposes a gateway on the machine's public interfaces
        STATE_DIR=str(state_dir),
        PINBOT_NOW=environ.get("PINBOT_NOW", PINBOT_NOW),
        RASA_AUTH_TOKEN=secrets.token_hex(32),
        GATEWAY_SECRET=secrets.token_hex(32),
        PYTHONPATH=str(checkout),  # the checkout the launcher belongs to runs its own code
        # The harness's own deadline applies; the launcher's shorter default would cut a slow start on a busy machine.
        START_TIMEOUT_SECONDS=str(max(1, int(timeout_s))),
    )
    mode = "scaled" if name == "scaled" else "run"
    command = ["bash", str(script)] if script.suffix == ".sh" else [launch.RASA_PY, "-m", "launch", mode]
    process = Launched(name, command, checkout, env, logs / f"{name}.log")
    layout = Layout(name, f"http://127.0.0.1:{ports['gateway']}", "gateway", process, state_dir=state_dir)
    described = ", ".join(f"{k}={env[k]}" for k in ("RASA_REPLICAS", "ACTION_REPLICAS") if k in env)
    where = f", PG_DATABASE={services.database}, REDIS_KEY_PREFIX={services.redis_prefix}" if services else ""
    layout.notes.append(
        f"{' '.join(command[1:])} ({described or 'its defaults'}): gateway :{ports['gateway']}, Rasa from "
        f":{ports['rasa']}, actions from :{ports['action']}{where}"
    )
    deadline = time.monotonic() + timeout_s
    try:
        while not process.ready():
            time.sleep(0.5)
            if not process.alive() or time.monotonic() > deadline:
                why = f"exited (code {process.popen.returncode})" if not process.alive() else "printed no READY in time"
                raise LayoutFailed(f"{name}: the launcher {why}:\n{process.log_tail()}")
    except BaseException:  # Ctrl-C included: nothing started is left running
        stop_layout(layout, logs)
        raise
    return layout


def stop_layout(layout: Layout, logs: Path) -> None:
    """Stop every process of the layout, keep its servers' logs under ``logs``, remove its throw-away state."""
    layout.process.stop()
    state = layout.state_dir
    if state is None or not state.name.startswith("pinbot-load-"):
        return
    if (state / "log").is_dir():
        kept = logs / f"{layout.name}-servers"
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(state / "log", kept)
    shutil.rmtree(state, ignore_errors=True)


def layout_env_notes() -> list[str]:
    """What the harness changes in the layouts' environment, for the report."""
    limits = ", ".join(f"{k}={v}" for k, v in GENEROUS_LIMITS.items())
    return [
        f"gateway limits raised so the rate limiter is not what is measured: {limits}",
        f"PINBOT_NOW={os.environ.get('PINBOT_NOW', PINBOT_NOW)}, GATEWAY_HOST=127.0.0.1, throw-away STATE_DIR",
    ]


class ScaledServices:
    """The machine's PostgreSQL and Redis for the scaled layout, with a database and key prefixes of this run."""

    def __init__(self, environ: Mapping[str, str], run_id: str) -> None:
        """Names unique to ``run_id``; nothing is created here."""
        self.database, self.redis_prefix = f"pinbot_load_{run_id}", f"pinbot:load:{run_id}:"
        # Rasa's lock store takes an alphanumeric prefix only (it adds ":lock:" itself).
        self.rasa_lock_prefix = "pinbotload" + "".join(ch for ch in run_id if ch.isalnum())
        defaults = {
            "PGHOST": "127.0.0.1",
            "PGPORT": "5432",
            "PGUSER": "postgres",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        }
        self.env = {k: environ.get(k, v) for k, v in defaults.items()} | {"PG_DATABASE": self.database}
        self.env |= {"REDIS_KEY_PREFIX": self.redis_prefix, "REDIS_KEY_PREFIX_RASA": self.rasa_lock_prefix}
        self.env["GATEWAY_STATE"] = "redis"

    def drop_database(self) -> str:
        """DROP the run's database (connections forced closed); a one-line outcome for the report."""
        if not OWN_DATABASE.match(self.database):
            return f"not dropped: {self.database!r} is not a harness database name"
        import psycopg2  # the Rasa virtualenv has it (Rasa's SQL tracker store); libpq reads PGPASSWORD itself

        login = {"host": self.env["PGHOST"], "port": self.env["PGPORT"], "user": self.env["PGUSER"]}
        try:
            connection = psycopg2.connect(**login, dbname="postgres", connect_timeout=5)
            connection.autocommit = True  # DROP DATABASE cannot run in a transaction
            connection.cursor().execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            connection.close()
        except psycopg2.Error as exc:
            return f"DROP DATABASE {self.database} failed: {str(exc).strip()[:200]}"
        return f"database {self.database} dropped"

    def delete_redis_keys(self) -> str:
        """Delete every key under the run's prefixes (the gateway's and Rasa's lock store); a one-line outcome."""
        import redis  # the Rasa virtualenv has it (Rasa's lock store)

        prefixes, deleted = (self.redis_prefix, f"{self.rasa_lock_prefix}:"), 0
        try:
            client = redis.Redis.from_url(self.env["REDIS_URL"], socket_timeout=5, socket_connect_timeout=5)
            for prefix in prefixes:
                keys = list(client.scan_iter(match=f"{prefix}*", count=500))
                for start in range(0, len(keys), 500):
                    deleted += int(client.delete(*keys[start : start + 500]))
            client.close()
        except redis.RedisError as exc:
            by_hand = " and ".join(p + "*" for p in prefixes)
            return f"Redis cleanup failed ({type(exc).__name__}): delete keys {by_hand} by hand"
        return f"{deleted} Redis keys under {' and '.join(prefixes)} deleted"
