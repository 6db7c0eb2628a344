"""One harness run: each target started alone, loaded mode after mode, its memory sampled, then stopped."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import aiohttp

from tools.loadtest import targets as tg
from tools.loadtest.clients import BotClient, GatewayClient, RestClient, http_session
from tools.loadtest.conversations import PINBOT_SCRIPTS, STOCK_SCRIPTS
from tools.loadtest.profile import Profiler, render
from tools.loadtest.report import Report, SoakResult, TargetResult, render_markdown, write_report
from tools.loadtest.residents import OnMeasure, Population, Script, run_idle, run_population
from tools.loadtest.rss import RssSample, drift, sample_tree
from tools.loadtest.stats import Summary


@dataclass(frozen=True)
class Config:
    """Everything a harness run needs, from the command line."""

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


def machine_facts() -> tuple[int, tuple[float, float, float]]:
    """CPUs this process may use, and the 1/5/15-minute load averages."""
    return len(os.sched_getaffinity(0)), os.getloadavg()


class Harness:
    """Runs the configured targets one at a time (never two layouts at once: they would share the 2 cores)."""

    def __init__(self, config: Config, log: Callable[[str], None] = print) -> None:
        self.config = config
        self.log = log
        self.logs = config.out_dir / "logs"
        # Unique per run: names the scaled layout's database and Redis keys, so runs never share state.
        self.run_id = f"{os.getpid()}_{int(time.time())}"
        self.services = tg.ScaledServices.for_run(os.environ, self.run_id)
        self._cleanups: list[Callable[[], str]] = []
        self.profiles: list[str] = []
        nproc, load = machine_facts()
        self.report = Report(
            started_at=datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
            rasa_version=tg.rasa_version(),
            nproc=nproc,
            load_average=load,
            settings=_settings(config),
        )
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
            return
        for name in self.config.targets:
            self.report.targets.append(await self.measure(name))

    def start(self, name: str) -> tg.Layout:
        """Prepare and start one layout (raises LayoutFailed)."""
        c = self.config
        if name == "stock":
            stock_dir = c.out_dir / "stock"
            if not tg.stock_is_ready(stock_dir):
                self.log(f"[stock] creating the stock bot in {stock_dir}: rasa init trains it (minutes, once)")
            return tg.start_stock(stock_dir, self.logs, os.environ, c.startup_timeout_s)
        if name == "run":
            return tg.start_layout("run", self.logs, os.environ, c.startup_timeout_s)
        replicas = {k: v for k, v in (("RASA_REPLICAS", c.rasa_replicas), ("ACTION_REPLICAS", c.action_replicas)) if v}
        if c.scaled_script.is_file() and not self._cleanups:
            # Registered before the start: a half-started layout may already have made its database.
            self._cleanups += [self.services.drop_database, self.services.delete_redis_keys]
        return tg.start_layout(
            "scaled", self.logs, os.environ, c.startup_timeout_s, self.services, c.scaled_script, replicas
        )

    async def _start_or_explain(self, name: str, result: TargetResult) -> tg.Layout | None:
        self.log(f"[{name}] starting")
        try:
            return self.start(name)
        except tg.LayoutFailed as exc:
            reason = str(exc)
            result.status = "not available" if reason.startswith("not available") else "failed"
            result.reason = reason
            self.log(f"[{name}] {reason if reason.startswith(result.status) else f'{result.status}: {reason}'}")
            return None

    async def measure(self, name: str) -> TargetResult:
        """Every configured mode against one target, with RSS after the first warm-up and at the end."""
        result = TargetResult(name)
        layout = await self._start_or_explain(name, result)
        if layout is None:
            return result
        result.notes.extend(layout.notes)

        async def after_warmup() -> None:
            if "after_warmup" not in result.rss:
                result.rss["after_warmup"] = self.rss(layout, 0.0)

        try:
            async with http_session(self.config.timeout_s) as http:
                client = make_client(layout, http)
                for mode in self.config.modes:
                    self.log(f"[{name}] {mode} …")
                    profiler = Profiler(layout.process.pid, self.config.out_dir / "profile", f"{name}-{mode}")
                    if self.config.profile:
                        self.log(f"[{name}] py-spy on: {', '.join(profiler.start()) or 'nothing (py-spy missing)'}")
                    summary = await self.run_mode(mode, client, scripts_for(layout), after_warmup)
                    if self.config.profile:
                        self.profiles.append(render(profiler.stop(), f"{name}, {mode} mode"))
                    result.modes[mode] = summary
                    self.log(f"[{name}] {mode}: {_one_line(summary)}")
                    if not layout.process.alive():
                        raise tg.LayoutFailed(f"{layout.process.name} exited during {mode}")
            result.rss["end"] = self.rss(layout, 0.0)
        except tg.LayoutFailed as exc:
            result.status, result.reason = "failed", str(exc)
        finally:
            tg.stop_layout(layout, self.logs)
            self.log(f"[{name}] stopped")
        return result

    async def run_mode(self, mode: str, client: BotClient, scripts: Sequence[Script], on_measure: OnMeasure) -> Summary:
        """One mode against a started target."""
        c = self.config
        if mode == "idle":
            return await run_idle(client, scripts, c.idle_turns, c.idle_warmup_turns, c.seed, on_measure)
        if mode == "residents":
            population = Population(c.residents, c.think_s, c.warmup_s, c.duration_s, c.seed)
        else:
            # Saturation: a closed loop, each client sends its next turn as soon as the last one is answered.
            population = Population(c.concurrency, 0.0, c.warmup_s, c.duration_s, c.seed)
        return await run_population(client, scripts, population, on_measure)

    async def soak(self, name: str) -> SoakResult:
        """Moderate load for a long time; RSS of every process every --rss-interval seconds."""
        c = self.config
        holder = TargetResult(name)
        layout = await self._start_or_explain(name, holder)
        if layout is None:
            return SoakResult(name, None, [], [], c.soak_warmup_s, holder.status, holder.reason)
        samples: list[RssSample] = []

        async def tick(at_s: float) -> None:
            samples.append(self.rss(layout, at_s))

        population = Population(c.soak_residents, c.think_s, c.soak_warmup_s, c.soak_s - c.soak_warmup_s, c.seed)
        self.log(f"[{name}] soak: {c.soak_residents} residents, {c.think_s:g} s think, {c.soak_s:g} s …")
        try:
            async with http_session(c.timeout_s) as http:
                summary = await run_population(
                    make_client(layout, http), scripts_for(layout), population, on_tick=tick, tick_s=c.rss_interval_s
                )
            self.log(f"[{name}] soak: {_one_line(summary)}")
        finally:
            tg.stop_layout(layout, self.logs)
            self.log(f"[{name}] stopped")
        return SoakResult(name, summary, samples, drift(samples, c.soak_warmup_s), c.soak_warmup_s)

    def rss(self, layout: tg.Layout, at_s: float) -> RssSample:
        """RSS of the layout's process tree now."""
        return sample_tree(layout.process.pid, layout.stock, at_s)

    def cleanup(self) -> None:
        """Drop the scaled layout's database and Redis keys (once; also after an error or Ctrl-C)."""
        while self._cleanups:
            outcome = self._cleanups.pop(0)()
            self.log(f"[scaled] {outcome}")
            self.report.notes.append(f"cleanup: {outcome}")

    def write(self) -> tuple[Path, Path]:
        """Print the Markdown report and write report.md and report.json."""
        paths = write_report(self.report, self.config.out_dir)
        if self.profiles:
            profile_md = self.config.out_dir / "profile.md"
            profile_md.write_text("\n".join(self.profiles), encoding="utf-8")
            print(f"profiles: {profile_md}")
        print()
        print(render_markdown(self.report))
        print(f"written: {paths[0]} and {paths[1]}")
        return paths


def make_client(layout: tg.Layout, http: aiohttp.ClientSession) -> BotClient:
    """The API residents use for this layout: Rasa's REST channel or the gateway's web chat API."""
    if layout.surface == "rest":
        return RestClient(http, layout.url)
    return GatewayClient(http, layout.url)


def scripts_for(layout: tg.Layout) -> Sequence[Script]:
    """The stock bot's small talk, or residents' PIN conversations."""
    return STOCK_SCRIPTS if layout.stock else PINBOT_SCRIPTS


def _one_line(s: Summary) -> str:
    return (
        f"{s.turns} turns, {s.turns_per_s} turns/s, p50 {s.p50_ms} ms, p95 {s.p95_ms} ms, p99 {s.p99_ms} ms, "
        f"errors {s.errors} {s.error_kinds or ''}".rstrip()
    )


def _settings(c: Config) -> dict[str, object]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(c).items()}
