"""Resident memory (VmRSS) of every process of a layout, read from /proc and named by what the process is."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
# Short-lived helpers of the shell scripts (readiness probes, sleeps): not part of the layout's footprint.
TRANSIENT = frozenset({"curl", "sleep", "sed", "cat", "head", "od", "tr", "pkill", "seq", "env", "psql", "redis-cli"})


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
    fields = stat[stat.rfind(")") + 2 :].split()
    cmdline = tuple(part.decode("utf-8", "replace") for part in raw.split(b"\0") if part)
    return ProcessInfo(pid=pid, ppid=int(fields[1]), cmdline=cmdline) if cmdline else None


def all_processes(proc: Path = PROC) -> list[ProcessInfo]:
    """Every process visible in /proc."""
    found = []
    for entry in os.listdir(proc):
        if entry.isdigit():
            info = read_process(int(entry), proc)
            if info is not None:
                found.append(info)
    return found


def descendants(root: int, processes: Iterable[ProcessInfo]) -> list[ProcessInfo]:
    """The root and everything below it, in pid order."""
    by_parent: dict[int, list[ProcessInfo]] = {}
    root_info = None
    for info in processes:
        by_parent.setdefault(info.ppid, []).append(info)
        if info.pid == root:
            root_info = info
    found = [root_info] if root_info is not None else []
    queue = [root]
    while queue:
        for child in by_parent.get(queue.pop(), []):
            found.append(child)
            queue.append(child.pid)
    return sorted(found, key=lambda p: p.pid)


def rss_kib(pid: int, proc: Path = PROC) -> int | None:
    """VmRSS of the process in KiB, or None if it is gone."""
    try:
        for line in (proc / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def kind_of(cmdline: Sequence[str]) -> str:
    """What a process of our layouts is, from its command line."""
    args = list(cmdline)
    joined = " ".join(args)
    program = os.path.basename(args[0]) if args else "?"
    if args[1:3] == ["-m", "launch"]:
        return "launcher"
    if "privacy.logsink" in joined:
        return f"log sink {os.path.basename(args[-1])}"
    if "run" in args and "actions" in args[args.index("run") + 1 : args.index("run") + 2]:
        return "action server"
    if "channels.cli" in joined or ("rasa" in joined and "run" in args):
        return "rasa replica"
    if "gateway" in args and "-m" in args:
        return "gateway"
    if program in {"bash", "sh", "dash"}:
        script = next((os.path.basename(a) for a in args[1:] if a.endswith(".sh")), "")
        return f"shell {script}".strip()
    return program


def name_processes(processes: Sequence[ProcessInfo], stock: bool = False) -> dict[int, str]:
    """Readable unique names: 「rasa replica 1」, 「action server 2」, 「gateway」, 「stock rasa」…, numbered in pid order."""
    kinds = {p.pid: kind_of(p.cmdline) for p in processes}
    totals = Counter(kinds.values())
    seen: Counter[str] = Counter()
    names = {}
    for info in sorted(processes, key=lambda p: p.pid):
        kind = kinds[info.pid]
        seen[kind] += 1
        if stock and kind == "rasa replica":
            names[info.pid] = "stock rasa" if totals[kind] == 1 else f"stock rasa {seen[kind]}"
        elif kind in {"rasa replica", "action server"} or totals[kind] > 1:
            names[info.pid] = f"{kind} {seen[kind]}"
        else:
            names[info.pid] = kind
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
    mib: dict[str, float] = {}
    for info in tree:
        kib = rss_kib(info.pid, proc)
        if kib is not None:
            mib[names[info.pid]] = round(kib / 1024.0, 1)
    return RssSample(at_s=at_s, mib=mib)


@dataclass(frozen=True)
class Drift:
    """How far a process's RSS moved from its value at the end of the warm-up."""

    name: str
    baseline_mib: float
    max_mib: float
    min_mib: float
    last_mib: float
    # False when the process was missing from the last sample: it died (or was restarted) during the soak.
    present_at_end: bool = True

    @property
    def max_change(self) -> float:
        """The largest relative change from the baseline, either way (0.05 = 5 %)."""
        if self.baseline_mib <= 0:
            return 0.0
        return max(abs(self.max_mib - self.baseline_mib), abs(self.min_mib - self.baseline_mib)) / self.baseline_mib


def drift(samples: Sequence[RssSample], warmup_s: float) -> list[Drift]:
    """Per process, its RSS range over the samples taken at or after ``warmup_s``, against the first such sample."""
    after = [s for s in samples if s.at_s >= warmup_s]
    if not after:
        return []
    result = []
    for name, baseline in after[0].mib.items():
        values = [s.mib[name] for s in after if name in s.mib]
        result.append(Drift(name, baseline, max(values), min(values), values[-1], name in after[-1].mib))
    return result
