"""The three layouts under test, each started by the one launcher: stock ``rasa init``, make run and run-scaled.

The stock bot runs in a ``launch.Stack`` of its own; the others are ``python -m launch run|scaled``, as make starts them.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rasa.version import __version__ as RASA_VERSION

import launch

REPO = launch.REPO
LAUNCHER = REPO / "launch" / "__main__.py"
PINBOT_NOW = "2026-11-24T10:00:00+09:00"
# The load test measures the bot, not the gateway's flood protection: limits far above any load generated here
# (every simulated resident connects from 127.0.0.1, one client address for the gateway's per-client cap).
GENEROUS_LIMITS = dict.fromkeys(
    ("RATE_LIMIT_SESSION_PER_MINUTE", "RATE_LIMIT_IP_PER_MINUTE", "RATE_LIMIT_SESSIONS_PER_IP_PER_MINUTE"), "1000000"
) | dict.fromkeys(("MAX_TURNS_IN_FLIGHT", "MAX_TURNS_PER_CLIENT"), "100000")
# Left over from the caller's shell, these would point our servers at someone else's (or a stale) setup.
STALE = ("RASA_URL", "RASA_URLS", "TRACKER_DB", "ENDPOINTS", "ACTION_ENDPOINT_URL", "GATEWAY_DB_PATH")
STALE_SECRETS = ("RASA_AUTH_TOKEN", "GATEWAY_SECRET", "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN")
PORT_BLOCK = 8  # replicas listen on consecutive ports from RASA_PORT / ACTION_PORT
STOCK_MARKER = ".loadtest-rasa-version"
REDIS_URL = "redis://127.0.0.1:6379/0"
OWN_DATABASE = re.compile(r"^pinbot_load_[0-9a-z_]+$")  # only names the harness made up itself are ever dropped


class LayoutFailed(Exception):
    """A layout could not be prepared or did not come up; the message says why (with its log's tail)."""


@dataclass
class Layout:
    """A running layout: the URL residents talk to, its API (rest or gateway), its root process, how to stop it."""

    url: str
    surface: str
    process: subprocess.Popen[bytes]  # the launcher (or the stock Rasa server): the layout's processes are below it
    stop: Callable[[], None]
    notes: list[str] = field(default_factory=list)

    @property
    def stock(self) -> bool:
        """Whether this is the stock bot (Rasa's REST channel, its own scripts)."""
        return self.surface == "rest"


def base_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without variables that would point the servers elsewhere; telemetry off."""
    env = {k: v for k, v in environ.items() if k not in STALE + STALE_SECRETS}
    return {**env, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": env.get("TF_CPP_MIN_LOG_LEVEL", "2")}


def stock_is_ready(stock_dir: Path) -> bool:
    """Whether the stock project exists, was made by this Rasa version, and has a trained model."""
    marker = stock_dir / STOCK_MARKER
    made = marker.is_file() and marker.read_text().strip() == RASA_VERSION
    return made and any((stock_dir / "models").glob("*.tar.gz"))


def start_stock(stock_dir: Path, logs: Path, environ: Mapping[str, str], timeout_s: float) -> Layout:
    """Create and train ``rasa init --no-prompt`` once (reused while Rasa's version is the same), then run it."""
    # Outside this repository's PYTHONPATH: the stock bot must not see our components or actions.
    bot = launch.Stack({k: v for k, v in base_env(environ).items() if k != "PYTHONPATH"})
    logs.mkdir(parents=True, exist_ok=True)
    try:
        if not stock_is_ready(stock_dir):
            shutil.rmtree(stock_dir, ignore_errors=True)
            stock_dir.mkdir(parents=True)
            init = [launch.RASA, "init", "--no-prompt", "--init-dir", str(stock_dir)]
            bot.start("stock-init", "stock", init, logs / "stock-init.log", sink=False, cwd=stock_dir)
            with contextlib.suppress(subprocess.TimeoutExpired):  # rasa init trains for minutes on 2 busy cores
                bot.procs["stock-init"].wait(3 * timeout_s)
            code = bot.procs["stock-init"].poll()
            bot.stop("stock-init")
            if code != 0 or not any((stock_dir / "models").glob("*.tar.gz")):
                raise LayoutFailed(f"rasa init --no-prompt failed (exit {code}); see {logs / 'stock-init.log'}")
            (stock_dir / STOCK_MARKER).write_text(RASA_VERSION + "\n")
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
        f"http://127.0.0.1:{port}", "rest", bot.procs["stock"], bot.stop, [f"stock `rasa init` bot on :{port}"]
    )


def start_layout(
    name: str, logs: Path, environ: Mapping[str, str], timeout_s: float, script: Path = LAUNCHER
) -> Layout:
    """``python -m launch run|scaled`` on free ports with a throw-away state directory, until it prints READY.

    ``script`` may be another checkout's launcher, or its ``scripts/run_scaled.sh`` (for a comparison run).
    """
    if not script.is_file():
        raise LayoutFailed(f"not available: {script} does not exist in this checkout")
    replicas = (int(environ.get(k, 0)) for k in ("RASA_REPLICAS", "ACTION_REPLICAS"))
    checkout, block = script.parents[1], max(PORT_BLOCK, *replicas)
    try:
        rasa_port = launch.free_port_block(2 * block + 1)  # Rasa's block, the action servers' block, the gateway
    except RuntimeError as exc:
        raise LayoutFailed(str(exc)) from None
    state_dir = Path(tempfile.mkdtemp(prefix=f"pinbot-load-{name}-"))
    # The servers log straight into the kept log folder: only the rest of the state is thrown away.
    kept = logs / f"{name}-servers"
    shutil.rmtree(kept, ignore_errors=True)
    kept.mkdir(mode=0o700, parents=True)
    (state_dir / "log").symlink_to(kept)
    ports = {"RASA_PORT": rasa_port, "ACTION_PORT": rasa_port + block, "GATEWAY_PORT": rasa_port + 2 * block}
    env = {**base_env(environ), **GENEROUS_LIMITS, **{k: str(v) for k, v in ports.items()}}
    env.update(
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
    log = logs / f"{name}.log"
    with log.open("ab") as out:  # a session of its own: Ctrl-C reaches the harness, which stops the layout
        popen = subprocess.Popen(command, cwd=checkout, env=env, stdout=out, stderr=out, start_new_session=True)

    def stop() -> None:
        # SIGTERM (the launcher stops its servers in order), then SIGKILL to whatever is left of its group.
        popen.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(60)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(popen.pid, signal.SIGKILL)
        popen.wait()
        shutil.rmtree(state_dir, ignore_errors=True)  # removes the log link, not the kept logs

    described = ", ".join(f"{k}={env[k]}" for k in ("RASA_REPLICAS", "ACTION_REPLICAS") if k in env)
    where = "".join(f", {k}={env[k]}" for k in ("PG_DATABASE", "REDIS_KEY_PREFIX") if mode == "scaled")
    note = f"{' '.join(command[1:])} ({described or 'its defaults'}): gateway :{env['GATEWAY_PORT']}, Rasa from "
    note += f":{rasa_port}, actions from :{env['ACTION_PORT']}{where}"
    deadline = time.monotonic() + timeout_s
    try:  # READY <url>: every server answers
        while not any(line.startswith("READY ") for line in log.read_text(errors="replace").splitlines()):
            time.sleep(0.5)
            if popen.poll() is not None or time.monotonic() > deadline:
                why = "printed no READY in time" if popen.poll() is None else f"exited (code {popen.returncode})"
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
                raise LayoutFailed(f"{name}: the launcher {why}:\n{tail}")
    except BaseException:  # Ctrl-C included: nothing started is left running
        stop()
        raise
    return Layout(f"http://127.0.0.1:{env['GATEWAY_PORT']}", "gateway", popen, stop, [note])


class ScaledServices:
    """The machine's PostgreSQL and Redis for the scaled layout, with a database and key prefixes of this run."""

    def __init__(self, environ: Mapping[str, str], run_id: str) -> None:
        """Names unique to ``run_id``; nothing is created here."""
        self.database, self.redis_prefix = f"pinbot_load_{run_id}", f"pinbot:load:{run_id}:"
        # Rasa's lock store takes an alphanumeric prefix only (it adds ":lock:" itself).
        self.rasa_lock_prefix = "pinbotload" + "".join(ch for ch in run_id if ch.isalnum())
        defaults = {"PGHOST": "127.0.0.1", "PGPORT": "5432", "PGUSER": "postgres", "REDIS_URL": REDIS_URL}
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
            return f"Redis cleanup failed ({type(exc).__name__}): delete keys {' and '.join(p + '*' for p in prefixes)} by hand"
        return f"{deleted} Redis keys under {' and '.join(prefixes)} deleted"
