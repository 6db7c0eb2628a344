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


# Options with a value: flag, Config field, type, default, help (docs/loadtest.md explains each mode).
OPTIONS: tuple[tuple[str, str, type, object, str], ...] = (
    ("--targets", "targets", str, ",".join(TARGETS), "comma-separated: stock,run,scaled"),
    ("--modes", "modes", str, ",".join(MODES), "comma-separated: idle,residents,saturation"),
    ("--duration", "duration_s", float, 60.0, "seconds measured per mode (after --warmup)"),
    ("--warmup", "warmup_s", float, 10.0, "seconds of load before measuring (residents, saturation)"),
    ("--residents", "residents", int, 40, "simulated residents in the residents mode"),
    ("--think", "think_s", float, 2.0, "mean think time in seconds (exponential)"),
    ("--concurrency", "concurrency", int, 16, "closed-loop clients in the saturation mode"),
    ("--idle-turns", "idle_turns", int, 200, "turns measured in the idle mode"),
    ("--idle-warmup-turns", "idle_warmup_turns", int, 20, "turns sent before measuring in the idle mode"),
    ("--timeout", "timeout_s", float, 30.0, "client timeout of one turn, seconds"),
    ("--startup-timeout", "startup_timeout_s", float, 600.0, "seconds a layout may take to come up"),
    ("--seed", "seed", int, 1, "seed of script choice and think times"),
    ("--soak-minutes", "soak_s", float, 10.0, "soak length in minutes, warm-up included"),
    ("--soak-warmup-minutes", "soak_warmup_s", float, 2.0, "soak warm-up, excluded from the RSS check"),
    ("--soak-residents", "soak_residents", int, 20, "residents during the soak (think: --think)"),
    ("--rss-interval", "rss_interval_s", float, 10.0, "seconds between RSS samples in the soak"),
    ("--scaled-script", "scaled_script", Path, LAUNCHER, "the scaled layout's launcher (or another checkout's)"),
    ("--rasa-replicas", "rasa_replicas", int, None, "RASA_REPLICAS of the scaled layout (default: its own)"),
    ("--action-replicas", "action_replicas", int, None, "ACTION_REPLICAS of the scaled layout"),
    ("--out", "out_dir", Path, REPO / "var" / "loadtest", "where report.md, report.json, logs and the stock bot go"),
)
SWITCHES = (
    ("--soak", "run the soak (only) instead of the comparison"),
    ("--quick", "tiny durations: a smoke check of the harness, not a measurement"),
    ("--profile", "py-spy every server process during each mode (profile.md; sampling slows the turns it measures)"),
)


def build_parser() -> argparse.ArgumentParser:
    """The harness's options; each ``dest`` is a field of Config."""
    p = argparse.ArgumentParser(
        prog="python -m tools.loadtest",
        description="Load test: the stock `rasa init` bot, `make run` and `make run-scaled`, in one run.",
    )
    for flag, dest, kind, default, text in OPTIONS:
        p.add_argument(flag, dest=dest, type=kind, default=default, help=text)
    for flag, text in SWITCHES:
        p.add_argument(flag, action="store_true", help=text)
    p.add_argument("--soak-target", default="scaled", choices=TARGETS, help="layout soaked (default scaled)")
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
