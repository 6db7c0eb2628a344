"""``python -m tools.loadtest``: each target started alone, loaded mode after mode, its memory sampled, then stopped.

Which targets and modes, how much load: the options below; docs/loadtest.md explains them.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp

from tools.loadtest import targets as tg
from tools.loadtest.clients import PINBOT_SCRIPTS, STOCK_SCRIPTS, HttpClient
from tools.loadtest.report import Report, SoakResult, TargetResult, figures, render_markdown, write_report
from tools.loadtest.residents import Population, run_idle, run_population
from tools.loadtest.rss import RssSample, drift, profile, sample_tree

TARGETS = ("stock", "run", "scaled")
MODES = ("idle", "residents", "saturation")
# --quick: tiny durations and counts, a smoke check of the harness in a few seconds per mode.
QUICK = {"duration_s": 3.0, "warmup_s": 1.0, "residents": 4, "think_s": 0.5, "concurrency": 2, "idle_turns": 10}
QUICK |= {"idle_warmup_turns": 3, "soak_s": 0.5, "soak_warmup_s": 0.1, "soak_residents": 4, "rss_interval_s": 2.0}


def option(flag: str, kind: type | None, default: object, text: str, **more: object) -> Any:
    """A Config field that is also the command-line option ``flag`` (``kind`` None: a switch)."""
    given = {"type": kind, "default": default} if kind else {"action": "store_true"}
    return field(metadata={"flag": flag, "help": text, **given, **more})


@dataclass(frozen=True)
class Config:
    """Everything a harness run needs, one field per command-line option (its fields are the report's settings)."""

    targets: tuple[str, ...] = option("--targets", str, ",".join(TARGETS), "comma-separated: stock,run,scaled")
    modes: tuple[str, ...] = option("--modes", str, ",".join(MODES), "comma-separated: idle,residents,saturation")
    duration_s: float = option("--duration", float, 60.0, "seconds measured per mode (after --warmup)")
    warmup_s: float = option("--warmup", float, 10.0, "seconds of load before measuring (residents, saturation)")
    residents: int = option("--residents", int, 40, "simulated residents in the residents mode")
    think_s: float = option("--think", float, 2.0, "mean think time in seconds (exponential)")
    concurrency: int = option("--concurrency", int, 16, "closed-loop clients in the saturation mode")
    idle_turns: int = option("--idle-turns", int, 200, "turns measured in the idle mode")
    idle_warmup_turns: int = option("--idle-warmup-turns", int, 20, "turns sent before measuring in the idle mode")
    timeout_s: float = option("--timeout", float, 30.0, "client timeout of one turn, seconds")
    startup_timeout_s: float = option("--startup-timeout", float, 600.0, "seconds a layout may take to come up")
    seed: int = option("--seed", int, 1, "seed of script choice and think times")
    soak: bool = option("--soak", None, False, "run the soak (only) instead of the comparison")
    soak_target: str = option("--soak-target", str, "scaled", "layout soaked (default scaled)", choices=TARGETS)
    soak_s: float = option("--soak-minutes", float, 10.0, "soak length in minutes, warm-up included")
    soak_warmup_s: float = option("--soak-warmup-minutes", float, 2.0, "soak warm-up, excluded from the RSS check")
    soak_residents: int = option("--soak-residents", int, 20, "residents during the soak (think: --think)")
    rss_interval_s: float = option("--rss-interval", float, 10.0, "seconds between RSS samples in the soak")
    scaled_script: Path = option("--scaled-script", Path, tg.LAUNCHER, "the scaled layout's launcher (or another's)")
    out_dir: Path = option("--out", Path, tg.REPO / "var" / "loadtest", "where report.md, report.json, logs go")
    quick: bool = option("--quick", None, False, "tiny durations: a smoke check of the harness, not a measurement")
    profile: bool = option("--profile", None, False, "py-spy every server during each mode (profile.md; slows turns)")


class Harness:
    """Runs the configured targets one at a time (never two layouts at once: they would share the 2 cores)."""

    def __init__(self, config: Config, log: Callable[[str], None] = print) -> None:
        """A report with the machine's facts; nothing starts yet."""
        self.config, self.log, self.logs = config, log, config.out_dir / "logs"
        # Unique per run: names the scaled layout's database and Redis keys, so runs never share state.
        self.services = tg.ScaledServices(os.environ, f"{os.getpid()}_{int(time.time())}")
        self._cleanups: list[Callable[[], str]] = []
        self.profiles: list[str] = []
        self.samples: list[RssSample] = []  # the soak's RSS samples
        settings = {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(config).items()}
        started = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
        cpus = len(os.sched_getaffinity(0))
        self.report = Report(started, tg.RASA_VERSION, cpus, os.getloadavg(), settings)
        limits = ", ".join(f"{k}={v}" for k, v in tg.GENEROUS_LIMITS.items())
        self.report.notes += [
            f"gateway limits raised so the rate limiter is not what is measured: {limits}",
            f"PINBOT_NOW={os.environ.get('PINBOT_NOW', tg.PINBOT_NOW)}, GATEWAY_HOST=127.0.0.1, throw-away STATE_DIR",
        ]
        if config.quick:
            self.report.notes.append("--quick: a smoke check of the harness with tiny durations, NOT a measurement")

    async def run(self) -> None:
        """The comparison (every target × every mode), or the soak alone with --soak."""
        if self.report.busy_machine:
            self.log(
                f"WARNING: 1-minute load average {self.report.load_average[0]:.2f} > 0.5 at start: other work is "
                "running and will distort the figures"
            )
        if self.config.soak:
            self.report.soak = await self.soak(self.config.soak_target)
        for name in () if self.config.soak else self.config.targets:
            self.report.targets.append(await self.measure(name))

    def start(self, name: str, result: TargetResult) -> tg.Layout | None:
        """Prepare and start one layout; None (the result says why) when it cannot."""
        c = self.config
        self.log(f"[{name}] starting")
        try:
            if name == "stock":
                if not tg.stock_is_ready(c.out_dir / "stock"):
                    self.log(f"[stock] creating the stock bot in {c.out_dir / 'stock'}: rasa init trains it (minutes)")
                return tg.start_stock(c.out_dir / "stock", self.logs, os.environ, c.startup_timeout_s)
            if name == "run":
                return tg.start_layout(name, self.logs, os.environ, c.startup_timeout_s)
            if c.scaled_script.is_file() and not self._cleanups:
                # Registered before the start: a half-started layout may already have made its database.
                self._cleanups += [self.services.drop_database, self.services.delete_redis_keys]
            env = {**os.environ, **self.services.env}  # RASA_REPLICAS, ACTION_REPLICAS: the caller's, if set
            return tg.start_layout(name, self.logs, env, c.startup_timeout_s, c.scaled_script)
        except tg.LayoutFailed as exc:
            result.status = "not available" if str(exc).startswith("not available") else "failed"
            result.reason = str(exc)
            self.log(f"[{name}] {exc if result.reason.startswith(result.status) else f'{result.status}: {exc}'}")
            return None

    async def measure(self, name: str, soak: bool = False) -> TargetResult:
        """Every configured mode (or the soak) against one target, with RSS after the first warm-up and at the end."""
        c, result = self.config, TargetResult(name)
        if (layout := self.start(name, result)) is None:
            return result
        result.notes.extend(layout.notes)

        async def after_warmup() -> None:
            result.rss.setdefault("after_warmup", sample_tree(layout.process.pid, layout.stock, 0.0))

        async def tick(at_s: float) -> None:
            self.samples.append(sample_tree(layout.process.pid, layout.stock, at_s))

        try:
            # One keep-alive pool per target, without aiohttp's default cap of 100 connections.
            timeout, pool = aiohttp.ClientTimeout(total=c.timeout_s), aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(timeout=timeout, connector=pool) as http:
                client = HttpClient(http, layout.url, layout.surface)
                scripts = STOCK_SCRIPTS if layout.stock else PINBOT_SCRIPTS
                idle = (c.idle_turns, c.idle_warmup_turns, c.seed)
                for mode in ("soak",) if soak else c.modes:
                    self.log(f"[{name}] {mode} …")
                    if c.profile:
                        attached, stop_profile = profile(layout.process.pid, c.out_dir / "profile", f"{name}-{mode}")
                        self.log(f"[{name}] py-spy on: {', '.join(attached) or 'nothing (py-spy missing)'}")
                    if mode == "idle":
                        summary = await run_idle(client, scripts, *idle, after_warmup)
                    else:
                        load = (self.population(mode), after_warmup, tick if soak else None, c.rss_interval_s)
                        summary = await run_population(client, scripts, *load)
                    self.profiles += [stop_profile()] if c.profile else []
                    result.modes[mode] = summary
                    done = f"{summary.turns} turns, {summary.turns_per_s} turns/s, {figures(summary)}"
                    self.log(f"[{name}] {mode}: {done}")
                    if layout.process.poll() is not None:
                        raise tg.LayoutFailed(f"{name} exited during {mode}")
            result.rss["end"] = sample_tree(layout.process.pid, layout.stock, 0.0)
        except tg.LayoutFailed as exc:
            result.status, result.reason = "failed", str(exc)
        finally:
            layout.stop()
            self.log(f"[{name}] stopped")
        return result

    def population(self, mode: str) -> Population:
        """Who talks in a mode: residents with think time, a closed loop (saturation), or the soak's residents."""
        c = self.config
        if mode == "soak":
            return Population(c.soak_residents, c.think_s, c.soak_warmup_s, c.soak_s - c.soak_warmup_s, c.seed)
        # saturation: a closed loop, each client sends its next turn as soon as the last is answered
        load = (c.residents, c.think_s) if mode == "residents" else (c.concurrency, 0.0)
        return Population(*load, c.warmup_s, c.duration_s, c.seed)

    async def soak(self, name: str) -> SoakResult:
        """Moderate load for a long time; RSS of every process every --rss-interval seconds."""
        result, warmup_s = await self.measure(name, soak=True), self.config.soak_warmup_s
        if (summary := result.modes.get("soak")) is None:
            return SoakResult(name, None, [], [], warmup_s, result.status, result.reason)
        return SoakResult(name, summary, self.samples, drift(self.samples, warmup_s), warmup_s)

    def cleanup(self) -> None:
        """Drop the scaled layout's database and Redis keys (once; also after an error or Ctrl-C)."""
        while self._cleanups:
            outcome = self._cleanups.pop(0)()
            self.log(f"[scaled] {outcome}")
            self.report.notes.append(f"cleanup: {outcome}")

    def write(self) -> None:
        """Print the Markdown report and write report.md and report.json (and profile.md with --profile)."""
        paths = write_report(self.report, self.config.out_dir)
        if self.profiles:
            (self.config.out_dir / "profile.md").write_text("\n".join(self.profiles), encoding="utf-8")
            print(f"profiles: {self.config.out_dir / 'profile.md'}")
        print(f"\n{render_markdown(self.report)}\nwritten: {paths[0]} and {paths[1]}")


def parse_config(argv: Sequence[str]) -> Config:
    """Options (one per field of Config) → Config; --quick shrinks every duration and count to a few seconds."""
    description = "Load test: the stock `rasa init` bot, `make run` and `make run-scaled`, in one run."
    parser = argparse.ArgumentParser(prog="python -m tools.loadtest", description=description)
    for f in dataclasses.fields(Config):
        parser.add_argument(f.metadata["flag"], dest=f.name, **{k: v for k, v in f.metadata.items() if k != "flag"})
    a = vars(parser.parse_args(argv))
    a |= QUICK if a["quick"] else {}
    for option, allowed in (("targets", TARGETS), ("modes", MODES)):
        raw, a[option] = a[option], tuple(dict.fromkeys(n.strip() for n in a[option].split(",") if n.strip()))
        if not a[option] or set(a[option]) - set(allowed):
            parser.error(f"--{option} must be among {', '.join(allowed)}; got {raw!r}")
    for option in ("residents", "concurrency", "idle_turns"):
        if a[option] < 1:
            parser.error(f"--{option.replace('_', '-')} must be at least 1")
    for option in ("duration_s", "timeout_s", "rss_interval_s"):
        if a[option] <= 0:
            parser.error(f"--{option.removesuffix('_s').replace('_', '-')} must be > 0")
    if a["warmup_s"] < 0 or a["think_s"] < 0 or a["idle_warmup_turns"] < 0:
        parser.error("--warmup, --think and --idle-warmup-turns cannot be negative")
    if a["soak_warmup_s"] >= a["soak_s"]:
        parser.error("--soak-warmup-minutes must be shorter than --soak-minutes")
    a["soak_s"], a["soak_warmup_s"] = a["soak_s"] * 60.0, a["soak_warmup_s"] * 60.0
    a["scaled_script"], a["out_dir"] = a["scaled_script"].resolve(), a["out_dir"].resolve()
    return Config(**a)


def main(argv: Sequence[str]) -> int:
    """Run the harness; 0 when it ran (PASS or MISS alike: the figures are the result), 1 on error, 130 if stopped."""
    config = parse_config(argv)
    # SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so every server started is stopped on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    harness = Harness(config)
    try:
        asyncio.run(harness.run())
    except KeyboardInterrupt:
        print("\ninterrupted: stopping every server the harness started", file=sys.stderr)
        harness.report.notes.append("INTERRUPTED: the run was stopped before the end; figures are partial")
        return 130
    finally:
        harness.cleanup()
        harness.write()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
