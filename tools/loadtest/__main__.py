"""``python -m tools.loadtest``: which targets and modes, how much load; one target at a time (docs/loadtest.md)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from tools.loadtest.harness import Config, Harness
from tools.loadtest.targets import LAUNCHER, REPO

TARGETS = ("stock", "run", "scaled")
MODES = ("idle", "residents", "saturation")
OUT_DIR = REPO / "var" / "loadtest"


def _names(raw: str, allowed: Sequence[str], what: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in raw.split(",") if n.strip()))
    unknown = [n for n in names if n not in allowed]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"{what} must be among {', '.join(allowed)}; got {raw!r}")
    return names


def build_parser() -> argparse.ArgumentParser:
    """The harness's options (docs/loadtest.md explains each mode)."""
    p = argparse.ArgumentParser(
        prog="python -m tools.loadtest",
        description="Load test: the stock `rasa init` bot, `make run` and `make run-scaled`, in one run.",
    )
    p.add_argument("--targets", default=",".join(TARGETS), help="comma-separated: stock,run,scaled")
    p.add_argument("--modes", default=",".join(MODES), help="comma-separated: idle,residents,saturation")
    p.add_argument("--duration", type=float, default=60.0, help="seconds measured per mode (after --warmup)")
    p.add_argument(
        "--warmup", type=float, default=10.0, help="seconds of load before measuring (residents, saturation)"
    )
    p.add_argument("--residents", type=int, default=40, help="simulated residents in the residents mode")
    p.add_argument("--think", type=float, default=2.0, help="mean think time in seconds (exponential)")
    p.add_argument("--concurrency", type=int, default=16, help="closed-loop clients in the saturation mode")
    p.add_argument("--idle-turns", type=int, default=200, help="turns measured in the idle mode")
    p.add_argument("--idle-warmup-turns", type=int, default=20, help="turns sent before measuring in the idle mode")
    p.add_argument("--timeout", type=float, default=30.0, help="client timeout of one turn, seconds")
    p.add_argument("--startup-timeout", type=float, default=600.0, help="seconds a layout may take to come up")
    p.add_argument("--seed", type=int, default=1, help="seed of script choice and think times")
    p.add_argument("--soak", action="store_true", help="run the soak (only) instead of the comparison")
    p.add_argument("--soak-target", default="scaled", choices=TARGETS, help="layout soaked (default scaled)")
    p.add_argument("--soak-minutes", type=float, default=10.0, help="soak length in minutes, warm-up included")
    p.add_argument("--soak-warmup-minutes", type=float, default=2.0, help="soak warm-up, excluded from the RSS check")
    p.add_argument("--soak-residents", type=int, default=20, help="residents during the soak (think: --think)")
    p.add_argument("--rss-interval", type=float, default=10.0, help="seconds between RSS samples in the soak")
    p.add_argument(
        "--scaled-script", type=Path, default=LAUNCHER, help="the scaled layout's launcher (or another checkout's)"
    )
    p.add_argument(
        "--rasa-replicas", type=int, default=None, help="RASA_REPLICAS of the scaled layout (default: its own)"
    )
    p.add_argument("--action-replicas", type=int, default=None, help="ACTION_REPLICAS of the scaled layout")
    p.add_argument("--out", type=Path, default=OUT_DIR, help="where report.md, report.json, logs and the stock bot go")
    p.add_argument(
        "--quick", action="store_true", help="tiny durations: a smoke check of the harness, not a measurement"
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="py-spy every server process during each mode (profile.md; sampling slows the turns it measures)",
    )
    return p


def parse_config(argv: Sequence[str]) -> Config:
    """Options → Config; --quick shrinks every duration and count to a few seconds."""
    parser = build_parser()
    a = parser.parse_args(argv)
    try:
        target_names = _names(a.targets, TARGETS, "--targets")
        mode_names = _names(a.modes, MODES, "--modes")
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    if a.quick:
        a.duration, a.warmup, a.residents, a.think, a.concurrency = 3.0, 1.0, 4, 0.5, 2
        a.idle_turns, a.idle_warmup_turns = 10, 3
        a.soak_minutes, a.soak_warmup_minutes, a.soak_residents, a.rss_interval = 0.5, 0.1, 4, 2.0
    for option, value in (
        ("--residents", a.residents),
        ("--concurrency", a.concurrency),
        ("--idle-turns", a.idle_turns),
    ):
        if value < 1:
            parser.error(f"{option} must be at least 1")
    for option, value in (("--duration", a.duration), ("--timeout", a.timeout), ("--rss-interval", a.rss_interval)):
        if value <= 0:
            parser.error(f"{option} must be > 0")
    if a.warmup < 0 or a.think < 0 or a.idle_warmup_turns < 0:
        parser.error("--warmup, --think and --idle-warmup-turns cannot be negative")
    if a.soak_warmup_minutes >= a.soak_minutes:
        parser.error("--soak-warmup-minutes must be shorter than --soak-minutes")
    return Config(
        targets=target_names,
        modes=mode_names,
        duration_s=a.duration,
        warmup_s=a.warmup,
        residents=a.residents,
        think_s=a.think,
        concurrency=a.concurrency,
        idle_turns=a.idle_turns,
        idle_warmup_turns=a.idle_warmup_turns,
        timeout_s=a.timeout,
        startup_timeout_s=a.startup_timeout,
        seed=a.seed,
        soak=a.soak,
        soak_target=a.soak_target,
        soak_s=a.soak_minutes * 60.0,
        soak_warmup_s=a.soak_warmup_minutes * 60.0,
        soak_residents=a.soak_residents,
        rss_interval_s=a.rss_interval,
        scaled_script=a.scaled_script.resolve(),
        rasa_replicas=a.rasa_replicas,
        action_replicas=a.action_replicas,
        out_dir=a.out.resolve(),
        quick=a.quick,
        profile=a.profile,
    )


def _terminate(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so every server started is stopped on the way out.
    raise KeyboardInterrupt


def main(argv: Sequence[str]) -> int:
    """Run the harness; 0 when it ran (PASS or MISS alike: the figures are the result), 1 on error, 130 if stopped."""
    config = parse_config(argv)
    signal.signal(signal.SIGTERM, _terminate)
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
