"""One harness run: each target started alone, loaded mode after mode, its memory sampled, then stopped."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tools.loadtest import targets as tg
from tools.loadtest.clients import PINBOT_SCRIPTS, STOCK_SCRIPTS, HttpClient, http_session
from tools.loadtest.report import Report, SoakResult, TargetResult, render_markdown, write_report
from tools.loadtest.residents import Population, Summary, run_idle, run_population
from tools.loadtest.rss import RssSample, drift, profile, sample_tree


@dataclass(frozen=True)
class Config:
    """Everything a harness run needs, from the command line (its fields are the report's settings)."""

    targets: tuple[str, ...]
    modes: tuple[str, ...]
    duration_s: float
    warmup_s: float
    residents: int
    think_s: float
    concurrency: int
    idle_turns: int
    idle_warmup_turns: int
    timeout_s: float
    startup_timeout_s: float
    seed: int
    soak: bool
    soak_target: str
    soak_s: float
    soak_warmup_s: float
    soak_residents: int
    rss_interval_s: float
    scaled_script: Path
    rasa_replicas: int | None
    action_replicas: int | None
    out_dir: Path
    quick: bool
    profile: bool = False


class Harness:
    """Runs the configured targets one at a time (never two layouts at once: they would share the 2 cores)."""

    def __init__(self, config: Config, log: Callable[[str], None] = print) -> None:
        """A report with the machine's facts; nothing starts yet."""
        self.config, self.log, self.logs = config, log, config.out_dir / "logs"
        # Unique per run: names the scaled layout's database and Redis keys, so runs never share state.
        self.services = tg.ScaledServices(os.environ, f"{os.getpid()}_{int(time.time())}")
        self._cleanups: list[Callable[[], str]] = []
        self.profiles: list[str] = []
        settings = {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(config).items()}
        started = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
        cpus = len(os.sched_getaffinity(0))
        self.report = Report(started, tg.RASA_VERSION, cpus, os.getloadavg(), settings)
        self.report.notes.extend(tg.layout_env_notes())
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
        c, scaled = self.config, name == "scaled"
        self.log(f"[{name}] starting")
        try:
            if name == "stock":
                if not tg.stock_is_ready(c.out_dir / "stock"):
                    self.log(f"[stock] creating the stock bot in {c.out_dir / 'stock'}: rasa init trains it (minutes)")
                return tg.start_stock(c.out_dir / "stock", self.logs, os.environ, c.startup_timeout_s)
            if scaled and c.scaled_script.is_file() and not self._cleanups:
                # Registered before the start: a half-started layout may already have made its database.
                self._cleanups += [self.services.drop_database, self.services.delete_redis_keys]
            replicas = {"RASA_REPLICAS": c.rasa_replicas, "ACTION_REPLICAS": c.action_replicas}
            given = {k: v for k, v in replicas.items() if v and scaled}
            script, services = (c.scaled_script, self.services) if scaled else (tg.LAUNCHER, None)
            return tg.start_layout(name, self.logs, os.environ, c.startup_timeout_s, services, script, given)
        except tg.LayoutFailed as exc:
            result.status = "not available" if str(exc).startswith("not available") else "failed"
            result.reason = str(exc)
            self.log(f"[{name}] {exc if result.reason.startswith(result.status) else f'{result.status}: {exc}'}")
            return None

    async def measure(self, name: str) -> TargetResult:
        """Every configured mode against one target, with RSS after the first warm-up and at the end."""
        c, result = self.config, TargetResult(name)
        if (layout := self.start(name, result)) is None:
            return result
        result.notes.extend(layout.notes)

        async def after_warmup() -> None:
            result.rss.setdefault("after_warmup", sample_tree(layout.process.pid, layout.stock, 0.0))

        try:
            async with http_session(c.timeout_s) as http:
                client = HttpClient(http, layout.url, layout.surface)
                scripts = STOCK_SCRIPTS if layout.stock else PINBOT_SCRIPTS
                for mode in c.modes:
                    self.log(f"[{name}] {mode} …")
                    if c.profile:
                        attached, stop_profile = profile(layout.process.pid, c.out_dir / "profile", f"{name}-{mode}")
                        self.log(f"[{name}] py-spy on: {', '.join(attached) or 'nothing (py-spy missing)'}")
                    if mode == "idle":
                        summary = await run_idle(
                            client, scripts, c.idle_turns, c.idle_warmup_turns, c.seed, after_warmup
                        )
                    else:  # saturation: a closed loop, each client sends its next turn as soon as the last is answered
                        load = (c.residents, c.think_s) if mode == "residents" else (c.concurrency, 0.0)
                        population = Population(*load, c.warmup_s, c.duration_s, c.seed)
                        summary = await run_population(client, scripts, population, after_warmup)
                    self.profiles += [stop_profile()] if c.profile else []
                    result.modes[mode] = summary
                    self.log(f"[{name}] {mode}: {_one_line(summary)}")
                    if layout.process.poll() is not None:
                        raise tg.LayoutFailed(f"{name} exited during {mode}")
            result.rss["end"] = sample_tree(layout.process.pid, layout.stock, 0.0)
        except tg.LayoutFailed as exc:
            result.status, result.reason = "failed", str(exc)
        finally:
            layout.stop()
            self.log(f"[{name}] stopped")
        return result

    async def soak(self, name: str) -> SoakResult:
        """Moderate load for a long time; RSS of every process every --rss-interval seconds."""
        c, holder, samples = self.config, TargetResult(name), list[RssSample]()
        if (layout := self.start(name, holder)) is None:
            return SoakResult(name, None, [], [], c.soak_warmup_s, holder.status, holder.reason)

        async def tick(at_s: float) -> None:
            samples.append(sample_tree(layout.process.pid, layout.stock, at_s))

        population = Population(c.soak_residents, c.think_s, c.soak_warmup_s, c.soak_s - c.soak_warmup_s, c.seed)
        self.log(f"[{name}] soak: {c.soak_residents} residents, {c.think_s:g} s think, {c.soak_s:g} s …")
        try:
            async with http_session(c.timeout_s) as http:
                client = HttpClient(http, layout.url, layout.surface)
                scripts = STOCK_SCRIPTS if layout.stock else PINBOT_SCRIPTS
                summary = await run_population(client, scripts, population, on_tick=tick, tick_s=c.rss_interval_s)
            self.log(f"[{name}] soak: {_one_line(summary)}")
        finally:
            layout.stop()
            self.log(f"[{name}] stopped")
        return SoakResult(name, summary, samples, drift(samples, c.soak_warmup_s), c.soak_warmup_s)

    def cleanup(self) -> None:
        """Drop the scaled layout's database and Redis keys (once; also after an error or Ctrl-C)."""
        while self._cleanups:
            outcome = self._cleanups.pop(0)()
            self.log(f"[scaled] {outcome}")
            self.report.notes.append(f"cleanup: {outcome}")

    def write(self) -> tuple[Path, Path]:
        """Print the Markdown report and write report.md and report.json (and profile.md with --profile)."""
        paths = write_report(self.report, self.config.out_dir)
        if self.profiles:
            (self.config.out_dir / "profile.md").write_text("\n".join(self.profiles), encoding="utf-8")
            print(f"profiles: {self.config.out_dir / 'profile.md'}")
        print(f"\n{render_markdown(self.report)}\nwritten: {paths[0]} and {paths[1]}")
        return paths


def _one_line(s: Summary) -> str:
    return (
        f"{s.turns} turns, {s.turns_per_s} turns/s, p50 {s.p50_ms} ms, p95 {s.p95_ms} ms, p99 {s.p99_ms} ms, "
        f"errors {s.errors} {s.error_kinds or ''}".rstrip()
    )
