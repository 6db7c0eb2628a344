"""The three layouts under test: the stock ``rasa init`` bot, ``make run`` (run_all.sh) and ``make run-scaled``."""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from launch.roles import environment
from scripts.loadtest.procs import ManagedProcess, free_port_block
from scripts.loadtest.services import ScaledServices

REPO = Path(__file__).resolve().parents[2]
RASA = REPO / ".venv" / "bin" / "rasa"
PINBOT_NOW = "2026-11-24T10:00:00+09:00"
# The load test measures the bot, not the gateway's flood protection: limits far above any load generated here.
GENEROUS_LIMITS = {
    "RATE_LIMIT_SESSION_PER_MINUTE": "1000000",
    "RATE_LIMIT_IP_PER_MINUTE": "1000000",
    "RATE_LIMIT_SESSIONS_PER_IP_PER_MINUTE": "1000000",
    "MAX_TURNS_IN_FLIGHT": "100000",
    # Every simulated resident connects from 127.0.0.1, one client address for the gateway's per-client cap.
    "MAX_TURNS_PER_CLIENT": "100000",
}
# Left over from the caller's shell, these would point our servers at someone else's (or a stale) setup.
STALE_VARIABLES = (
    "RASA_URL",
    "RASA_URLS",
    "TRACKER_DB",
    "ENDPOINTS",
    "ACTION_ENDPOINT_URL",
    "GATEWAY_DB_PATH",
    "RASA_AUTH_TOKEN",
    "GATEWAY_SECRET",
    "LINE_CHANNEL_SECRET",
    "LINE_CHANNEL_ACCESS_TOKEN",
)
# Replicas listen on consecutive ports from RASA_PORT / ACTION_PORT: reserve room for this many.
PORT_BLOCK = 8
STOCK_MARKER = ".loadtest-rasa-version"


class LayoutFailed(Exception):
    """A layout could not be prepared or did not come up; the message says why (with its log's tail)."""


@dataclass
class Layout:
    """A running layout: the URL residents talk to, which API that is, and its processes."""

    name: str
    url: str
    surface: str  # "rest" (Rasa's REST channel) or "gateway" (the web chat API)
    process: ManagedProcess
    stock: bool = False
    notes: list[str] = field(default_factory=list)
    state_dir: Path | None = None


def base_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without variables that would point the servers elsewhere; telemetry off."""
    env = {k: v for k, v in environ.items() if k not in STALE_VARIABLES}
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env["TF_CPP_MIN_LOG_LEVEL"] = env.get("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def stock_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The stock bot's environment: outside this repository's PYTHONPATH, without this installation's secrets.

    The stock bot must not see our custom components or actions, nor any of our secrets (scripts/process_env.py).
    """
    return environment("stock", {k: v for k, v in base_env(environ).items() if k != "PYTHONPATH"})


def rasa_version() -> str:
    """The version of the Rasa this harness runs with (the same virtualenv as the servers)."""
    try:
        return importlib.metadata.version("rasa")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def stock_is_ready(stock_dir: Path) -> bool:
    """Whether the stock project exists, was made by this Rasa version, and has a trained model."""
    marker = stock_dir / STOCK_MARKER
    return (
        marker.is_file()
        and marker.read_text().strip() == rasa_version()
        and any((stock_dir / "models").glob("*.tar.gz"))
    )


async def prepare_stock(stock_dir: Path, logs: Path, environ: Mapping[str, str], timeout_s: float) -> str:
    """Create and train the stock ``rasa init --no-prompt`` bot once; reused while Rasa's version is the same."""
    if stock_is_ready(stock_dir):
        return f"stock bot reused from {stock_dir}"
    if stock_dir.exists():
        shutil.rmtree(stock_dir)
    stock_dir.mkdir(parents=True)
    env = stock_env(environ)
    # A managed process, so Ctrl-C or an error stops the training too; without the marker the next run starts over.
    init = ManagedProcess(
        "stock-init",
        [str(RASA), "init", "--no-prompt", "--init-dir", str(stock_dir)],
        cwd=stock_dir,
        env=env,
        log_path=logs / "stock-init.log",
    )
    try:
        deadline = time.monotonic() + timeout_s
        while init.alive() and time.monotonic() < deadline:
            await asyncio.sleep(1.0)
    finally:
        code = init.popen.poll()
        init.stop()
    if code != 0 or not any((stock_dir / "models").glob("*.tar.gz")):
        raise LayoutFailed(f"rasa init --no-prompt failed (exit {code}); see {init.log_path}")
    (stock_dir / STOCK_MARKER).write_text(rasa_version() + "\n")
    return f"stock bot created and trained in {stock_dir}"


async def wait_http_ok(
    http: aiohttp.ClientSession, url: str, process: ManagedProcess, deadline: float, what: str
) -> None:
    """Poll ``url`` until it answers 200; fail early if the layout's process exits."""
    while time.monotonic() < deadline:
        if not process.alive():
            raise LayoutFailed(
                f"{process.name}: exited (code {process.popen.returncode}) before {what} was up:\n{process.log_tail()}"
            )
        try:
            async with http.get(url, timeout=aiohttp.ClientTimeout(total=3)) as response:
                if response.status == 200:
                    return
        except (aiohttp.ClientError, asyncio.TimeoutError):
            pass
        await asyncio.sleep(0.5)
    raise LayoutFailed(f"{process.name}: {what} not up in time (see {process.log_path}):\n{process.log_tail()}")


async def start_stock(stock_dir: Path, logs: Path, environ: Mapping[str, str], timeout_s: float) -> Layout:
    """``rasa run --enable-api`` in the stock project on a free local port, once its model is loaded."""
    port = free_port_block(1, set())
    env = stock_env(environ)
    process = ManagedProcess(
        "stock",
        [str(RASA), "run", "--enable-api", "-i", "127.0.0.1", "-p", str(port)],
        cwd=stock_dir,
        env=env,
        log_path=logs / "stock.log",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await wait_http_ok(http, f"{url}/status", process, time.monotonic() + timeout_s, "Rasa")
    except BaseException:
        process.stop()
        raise
    return Layout("stock", url, "rest", process, stock=True, notes=[f"stock `rasa init` bot on :{port}"])


def _stack_env(environ: Mapping[str, str], state_dir: Path, ports: dict[str, int], repo: Path = REPO) -> dict[str, str]:
    env = base_env(environ)
    env.update(GENEROUS_LIMITS)
    env.update(
        RASA_PORT=str(ports["rasa"]),
        ACTION_PORT=str(ports["action"]),
        GATEWAY_PORT=str(ports["gateway"]),
        # Loopback only: a load test never exposes a gateway on the machine's public interfaces.
        GATEWAY_HOST="127.0.0.1",
        STATE_DIR=str(state_dir),
        PINBOT_NOW=environ.get("PINBOT_NOW", PINBOT_NOW),
        # Known to the harness, so it can ask Rasa's token-guarded /status itself.
        RASA_AUTH_TOKEN=secrets.token_hex(32),
        GATEWAY_SECRET=secrets.token_hex(32),
        # The checkout the script belongs to (a run_scaled.sh from another worktree runs that worktree's code).
        PYTHONPATH=str(repo),
    )
    return env


async def _wait_stack(layout: Layout, env: Mapping[str, str], ports: dict[str, int], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    process = layout.process
    async with aiohttp.ClientSession() as http:
        if process.waits_for_ready_line:
            while not process.ready_seen.is_set():
                if not process.alive():
                    raise LayoutFailed(
                        f"run_scaled.sh exited (code {process.popen.returncode}) before READY:\n{process.log_tail()}"
                    )
                if time.monotonic() > deadline:
                    raise LayoutFailed(f"run_scaled.sh printed no READY line in time:\n{process.log_tail()}")
                await asyncio.sleep(0.5)
        token = env["RASA_AUTH_TOKEN"]
        await wait_http_ok(http, f"http://127.0.0.1:{ports['rasa']}/status?token={token}", process, deadline, "Rasa")
        await wait_http_ok(http, f"http://127.0.0.1:{ports['action']}/health", process, deadline, "the action server")
        await wait_http_ok(http, f"{layout.url}/healthz", process, deadline, "the gateway")


async def start_run(logs: Path, environ: Mapping[str, str], timeout_s: float) -> Layout:
    """scripts/run_all.sh (what ``make run`` starts) on free ports with a throw-away state directory."""
    taken: set[int] = set()
    ports = {
        "rasa": free_port_block(1, taken),
        "action": free_port_block(1, taken),
        "gateway": free_port_block(1, taken),
    }
    state_dir = Path(tempfile.mkdtemp(prefix="pinbot-load-run-"))
    env = _stack_env(environ, state_dir, ports)
    process = ManagedProcess("run", ["bash", "scripts/run_all.sh"], REPO, env, logs / "run.log")
    layout = Layout("run", f"http://127.0.0.1:{ports['gateway']}", "gateway", process, state_dir=state_dir)
    layout.notes.append(f"run_all.sh: gateway :{ports['gateway']}, Rasa :{ports['rasa']}, actions :{ports['action']}")
    await _wait_or_stop(layout, env, ports, timeout_s, logs)
    return layout


SCALED_SCRIPT = REPO / "scripts" / "run_scaled.sh"


async def start_scaled(
    logs: Path,
    environ: Mapping[str, str],
    timeout_s: float,
    services: ScaledServices,
    script: Path = SCALED_SCRIPT,
    replicas: dict[str, int] | None = None,
) -> Layout:
    """scripts/run_scaled.sh on free port blocks, with the run's own database and Redis prefix; READY, then healthy."""
    if not script.is_file():
        raise LayoutFailed(
            f"not available: {script.relative_to(REPO) if script.is_relative_to(REPO) else script} "
            "does not exist in this checkout"
        )
    taken: set[int] = set()
    block = max([PORT_BLOCK, *(replicas or {}).values()])
    ports = {
        "rasa": free_port_block(block, taken),
        "action": free_port_block(block, taken),
        "gateway": free_port_block(1, taken),
    }
    state_dir = Path(tempfile.mkdtemp(prefix="pinbot-load-scaled-"))
    env = _stack_env(environ, state_dir, ports, repo=script.parent.parent)
    env.update(services.env())
    # The harness's own deadline applies; the script's shorter default would cut a slow start on a busy machine.
    env["START_TIMEOUT_SECONDS"] = str(max(1, int(timeout_s)))
    for name, count in (replicas or {}).items():
        env[name] = str(count)
    process = ManagedProcess(
        "scaled", ["bash", str(script)], script.parent.parent, env, logs / "scaled.log", ready_line="READY "
    )
    layout = Layout("scaled", f"http://127.0.0.1:{ports['gateway']}", "gateway", process, state_dir=state_dir)
    described = (
        ", ".join(f"{k}={env[k]}" for k in ("RASA_REPLICAS", "ACTION_REPLICAS") if k in env) or "script defaults"
    )
    layout.notes.append(
        f"run_scaled.sh ({described}): gateway :{ports['gateway']}, Rasa from :{ports['rasa']}, actions from "
        f":{ports['action']}, PG_DATABASE={services.database}, REDIS_KEY_PREFIX={services.redis_prefix}"
    )
    await _wait_or_stop(layout, env, ports, timeout_s, logs)
    return layout


async def _wait_or_stop(
    layout: Layout, env: Mapping[str, str], ports: dict[str, int], timeout_s: float, logs: Path
) -> None:
    """Wait until the stack is up; if it does not come up, stop it (keeping its logs) and say why."""
    try:
        await _wait_stack(layout, env, ports, timeout_s)
    except BaseException as exc:
        tail = server_log_tail(layout.state_dir)
        stop_layout(layout, logs)
        if isinstance(exc, LayoutFailed):
            raise LayoutFailed(f"{exc}\n{tail}".rstrip()) from None
        raise


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


def server_log_tail(state_dir: Path | None, lines: int = 15) -> str:
    """The last lines of each server log in a layout's state directory (why a stack did not come up)."""
    if state_dir is None or not (state_dir / "log").is_dir():
        return ""
    parts = []
    for path in sorted((state_dir / "log").glob("*.log")):
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        parts.append(f"--- {path.name}\n" + "\n".join(text))
    return "\n".join(parts)


def layout_env_notes() -> list[str]:
    """What the harness changes in the layouts' environment, for the report."""
    limits = ", ".join(f"{k}={v}" for k, v in GENEROUS_LIMITS.items())
    return [
        f"gateway limits raised so the rate limiter is not what is measured: {limits}",
        f"PINBOT_NOW={os.environ.get('PINBOT_NOW', PINBOT_NOW)}, GATEWAY_HOST=127.0.0.1, throw-away STATE_DIR",
    ]
