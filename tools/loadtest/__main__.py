"""``python -m tools.loadtest``: which targets and modes, how much load; one target at a time (docs/loadtest.md)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from tools.loadtest.harness import Config, Harness
from tools.loadtest.targets import LAUNCHER, REPO

TARGETS = ("stock", "run", "scaled")
MODES = ("idle", "residents", "saturation")
# --quick: tiny durations and counts, a smoke check of the harness in a few seconds per mode.
QUICK = {"duration_s": 3.0, "warmup_s": 1.0, "residents": 4, "think_s": 0.5, "concurrency": 2, "idle_turns": 10}
QUICK |= {"idle_warmup_turns": 3, "soak_s": 0.5, "soak_warmup_s": 0.1, "soak_residents": 4, "rss_interval_s": 2.0}


def build_parser() -> argparse.ArgumentParser:
    """The harness's options (docs/loadtest.md explains each mode); each ``dest`` is a field of Config."""
    p = argparse.ArgumentParser(
        prog="python -m tools.loadtest",
        description="Load test: the stock `rasa init` bot, `make run` and `make run-scaled`, in one run.",
    )
    add = p.add_argument
    add("--targets", default=",".join(TARGETS), help="comma-separated: stock,run,scaled")
    add("--modes", default=",".join(MODES), help="comma-separated: idle,residents,saturation")
    add("--duration", dest="duration_s", type=float, default=60.0, help="seconds measured per mode (after --warmup)")
    add(
        "--warmup",
        dest="warmup_s",
        type=float,
        default=10.0,
        help="seconds of load before measuring (residents, saturation)",
    )
    add("--residents", type=int, default=40, help="simulated residents in the residents mode")
    add("--think", dest="think_s", type=float, default=2.0, help="mean think time in seconds (exponential)")
    add("--concurrency", type=int, default=16, help="closed-loop clients in the saturation mode")
    add("--idle-turns", type=int, default=200, help="turns measured in the idle mode")
    add("--idle-warmup-turns", type=int, default=20, help="turns sent before measuring in the idle mode")
    add("--timeout", dest="timeout_s", type=float, default=30.0, help="client timeout of one turn, seconds")
    add(
        "--startup-timeout",
        dest="startup_timeout_s",
        type=float,
        default=600.0,
        help="seconds a layout may take to come up",
    )
    add("--seed", type=int, default=1, help="seed of script choice and think times")
    add("--soak", action="store_true", help="run the soak (only) instead of the comparison")
    add("--soak-target", default="scaled", choices=TARGETS, help="layout soaked (default scaled)")
    add("--soak-minutes", dest="soak_s", type=float, default=10.0, help="soak length in minutes, warm-up included")
    add(
        "--soak-warmup-minutes",
        dest="soak_warmup_s",
        type=float,
        default=2.0,
        help="soak warm-up, excluded from the RSS check",
    )
    add("--soak-residents", type=int, default=20, help="residents during the soak (think: --think)")
    add(
        "--rss-interval",
        dest="rss_interval_s",
        type=float,
        default=10.0,
        help="seconds between RSS samples in the soak",
    )
    add("--scaled-script", type=Path, default=LAUNCHER, help="the scaled layout's launcher (or another checkout's)")
    add("--rasa-replicas", type=int, default=None, help="RASA_REPLICAS of the scaled layout (default: its own)")
    add("--action-replicas", type=int, default=None, help="ACTION_REPLICAS of the scaled layout")
    add(
        "--out",
        dest="out_dir",
        type=Path,
        default=REPO / "var" / "loadtest",
        help="where report.md, report.json, logs and the stock bot go",
    )
    add("--quick", action="store_true", help="tiny durations: a smoke check of the harness, not a measurement")
    add(
        "--profile",
        action="store_true",
        help="py-spy every server process during each mode (profile.md; sampling slows the turns it measures)",
    )
    return p


def parse_config(argv: Sequence[str]) -> Config:
    """Options → Config; --quick shrinks every duration and count to a few seconds."""
    parser = build_parser()
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
