"""A layout's processes from /proc, named by what they are: their memory (VmRSS), their py-spy profiles."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from subprocess import DEVNULL

PROC = Path("/proc")
# Short-lived helpers (readiness probes, sleeps): not part of the layout's footprint.
TRANSIENT = frozenset({"curl", "sleep", "sed", "cat", "head", "od", "tr", "pkill", "seq", "env", "psql", "redis-cli"})
PY_SPY = Path(__file__).resolve().parents[2] / ".venv-tools" / "bin" / "py-spy"
SAMPLES_PER_SECOND = 250
_LINE = re.compile(r":\d+\)$")  # "handle (rasa/core/processor.py:123)": a function, whatever line ran


@dataclass(frozen=True)
class ProcessInfo:
    """One live process: id, parent, command line."""

    pid: int
    ppid: int
    cmdline: tuple[str, ...]


def read_process(pid: int, proc: Path = PROC) -> ProcessInfo | None:
    """The process's parent and command line, or None if it is gone (or a kernel thread without a command line)."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
        raw = (proc / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    # The command name in parentheses may itself hold spaces and parentheses: the fields follow the last ")".
    ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
    cmdline = tuple(part.decode("utf-8", "replace") for part in raw.split(b"\0") if part)
    return ProcessInfo(pid, ppid, cmdline) if cmdline else None


def all_processes(proc: Path = PROC) -> list[ProcessInfo]:
    """Every process visible in /proc."""
    found = (read_process(int(entry), proc) for entry in os.listdir(proc) if entry.isdigit())
    return [info for info in found if info is not None]


def descendants(root: int, processes: Iterable[ProcessInfo]) -> list[ProcessInfo]:
    """The root and everything below it, in pid order."""
    processes, tree = list(processes), {root}
    while below := {p.pid for p in processes if p.ppid in tree} - tree:
        tree |= below
    return sorted((p for p in processes if p.pid in tree), key=lambda p: p.pid)


def rss_kib(pid: int, proc: Path = PROC) -> int | None:
    """VmRSS of the process in KiB, or None if it is gone."""
    try:
        lines = (proc / str(pid) / "status").read_text().splitlines()
        return next((int(line.split()[1]) for line in lines if line.startswith("VmRSS:")), None)
    except (OSError, ValueError, IndexError):
        return None


def kind_of(cmdline: Sequence[str]) -> str:
    """What a process of our layouts is, from its command line."""
    args, joined = list(cmdline), " ".join(cmdline)
    program = os.path.basename(args[0]) if args else "?"
    run = args.index("run") if "run" in args else -1
    if args[1:3] == ["-m", "launch"]:
        return "launcher"
    if "privacy.logsink" in joined:
        return f"log sink {os.path.basename(args[-1])}"
    if run >= 0 and args[run + 1 : run + 2] == ["actions"]:
        return "action server"
    if "channels.cli" in joined or ("rasa" in joined and run >= 0):
        return "rasa replica"
    if "gateway" in args and "-m" in args:
        return "gateway"
    if program in {"bash", "sh", "dash"}:
        return f"shell {next((os.path.basename(a) for a in args[1:] if a.endswith('.sh')), '')}".strip()
    return program


def name_processes(processes: Sequence[ProcessInfo], stock: bool = False) -> dict[int, str]:
    """Readable unique names: 「rasa replica 1」, 「action server 2」, 「gateway」, 「stock rasa」…, numbered in pid order."""
    kinds = {p.pid: kind_of(p.cmdline) for p in processes}
    totals, seen, names = Counter(kinds.values()), Counter[str](), {}
    for pid in sorted(kinds):
        kind = kinds[pid]
        seen[kind] += 1
        label = "stock rasa" if stock and kind == "rasa replica" else kind  # the stock bot has one, unnumbered
        numbered = (label in {"rasa replica", "action server"}) or totals[kind] > 1
        names[pid] = f"{label} {seen[kind]}" if numbered else label
    return names


@dataclass(frozen=True)
class RssSample:
    """RSS of every process of a layout at one moment, by name, in MiB."""

    at_s: float
    mib: Mapping[str, float]


def sample_tree(root: int, stock: bool, at_s: float, proc: Path = PROC) -> RssSample:
    """RSS of every process in the root's tree (short-lived helpers left out), by name."""
    tree = [p for p in descendants(root, all_processes(proc)) if kind_of(p.cmdline) not in TRANSIENT]
    names = name_processes(tree, stock=stock)
    kib = {names[info.pid]: rss_kib(info.pid, proc) for info in tree}
    return RssSample(at_s, {name: round(value / 1024.0, 1) for name, value in kib.items() if value is not None})


@dataclass(frozen=True)
class Drift:
    """How far a process's RSS moved from its value at the end of the warm-up."""

    name: str
    baseline_mib: float
    max_mib: float
    min_mib: float
    last_mib: float
    present_at_end: bool = True  # False: missing from the last sample, it died (or was restarted) during the soak

    @property
    def max_change(self) -> float:
        """The largest relative change from the baseline, either way (0.05 = 5 %)."""
        if self.baseline_mib <= 0:
            return 0.0
        return max(abs(self.max_mib - self.baseline_mib), abs(self.min_mib - self.baseline_mib)) / self.baseline_mib


def drift(samples: Sequence[RssSample], warmup_s: float) -> list[Drift]:
    """Per process, its RSS range over the samples taken at or after ``warmup_s``, against the first such sample."""
    after = [s for s in samples if s.at_s >= warmup_s]
    series = {name: [s.mib[name] for s in after if name in s.mib] for name in (after[0].mib if after else {})}
    return [Drift(name, v[0], max(v), min(v), v[-1], name in after[-1].mib) for name, v in series.items()]


def profile(root: int, out_dir: Path, label: str) -> tuple[list[str], Callable[[], str]]:
    """py-spy (tools venv) from outside on each server process under ``root``: their names, and the call that stops it.

    Stopping returns Markdown tables of each process's busiest functions (docs/performance.md).
    """
    tree = descendants(root, all_processes()) if PY_SPY.is_file() else []
    names, spies = name_processes(tree), list[tuple[str, Path, subprocess.Popen[bytes]]]()
    out_dir.mkdir(parents=True, exist_ok=True)
    for info in (info for info in tree if kind_of(info.cmdline) in ("rasa replica", "action server", "gateway")):
        out = out_dir / f"{label}-{names[info.pid].replace(' ', '_')}.txt"
        command = [str(PY_SPY), "record", "--pid", str(info.pid), "--format", "raw", "--nonblocking", "--rate"]
        command += [str(SAMPLES_PER_SECOND), "--output", str(out)]
        spies.append((names[info.pid], out, subprocess.Popen(command, stdout=DEVNULL, stderr=DEVNULL)))

    def stop() -> str:
        lines = [f"### Profile: {label.replace('-', ', ', 1)} mode", ""]
        for name, out, spy in spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            try:
                spy.wait(timeout=30)
            except subprocess.TimeoutExpired:
                spy.kill()
            lines += hot_functions(name, out.read_text(errors="replace")) if out.is_file() else []
        return "\n".join(lines)

    return [name for name, _, _ in spies], stop


def hot_functions(name: str, collapsed: str, top: int = 15) -> list[str]:
    """A process's busiest functions from py-spy's raw output (``frame;frame;frame count`` per line), as Markdown."""
    # Per function, the share of samples it was on the stack (inclusive) and at the top (self); self first.
    inclusive, own = Counter[str](), Counter[str]()
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [_LINE.sub(")", frame) for frame in stack.split(";") if frame]
        if frames and count.isdigit():
            inclusive.update(dict.fromkeys(frames, int(count)))
            own[frames[-1]] += int(count)
    total = sum(own.values()) or 1
    chosen = list(dict.fromkeys(f for f, _ in own.most_common(top) + inclusive.most_common()))[:top]
    lines = [f"**{name}**: {sum(own.values())} busy samples at {SAMPLES_PER_SECOND}/s", ""]
    lines += ["| function | inclusive | self |", "|---|---:|---:|"]
    chosen.sort(key=lambda f: -inclusive[f])
    return lines + [f"| `{f}` | {inclusive[f] / total:.1%} | {own[f] / total:.1%} |" for f in chosen] + [""]
