"""Where a turn's time goes: py-spy samples every server process of a layout while the idle mode runs.

py-spy (tools venv) attaches from outside, so the servers run unchanged; ``--nonblocking`` keeps it from pausing
them. Its raw output is one collapsed stack per line (``frame;frame;frame count``); the summary adds up, per
function, the samples it was on the stack (inclusive) and at the top (self).
"""

from __future__ import annotations

import re
import signal
import subprocess
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tools.loadtest.rss import all_processes, descendants, kind_of, name_processes

PY_SPY = Path(__file__).resolve().parents[2] / ".venv-tools" / "bin" / "py-spy"
PROFILED_KINDS = ("rasa replica", "action server", "gateway")
SAMPLES_PER_SECOND = 250
# "handle (rasa/core/processor.py:123)" → "handle (rasa/core/processor.py)": a function, whatever line ran.
_LINE = re.compile(r":\d+\)$")


@dataclass(frozen=True)
class FunctionShare:
    """One function's share of a process's busy samples."""

    function: str
    inclusive: float
    self_share: float


@dataclass(frozen=True)
class ProcessProfile:
    """A process's busy samples and its most expensive functions."""

    name: str
    samples: int
    top: tuple[FunctionShare, ...]


class Profiler:
    """py-spy on each Rasa, action-server and gateway process under ``root`` until stopped."""

    def __init__(self, root: int, out_dir: Path, label: str) -> None:
        """Nothing is attached until ``start``."""
        self.root = root
        self.out_dir = out_dir
        self.label = label
        self._running: list[tuple[str, Path, subprocess.Popen[bytes]]] = []

    def start(self) -> list[str]:
        """Attach to every profiled process; returns their names (empty when py-spy is missing)."""
        if not PY_SPY.is_file():
            return []
        self.out_dir.mkdir(parents=True, exist_ok=True)
        tree = descendants(self.root, all_processes())
        names = name_processes(tree)
        for info in tree:
            if kind_of(info.cmdline) not in PROFILED_KINDS:
                continue
            name = names[info.pid]
            output = self.out_dir / f"{self.label}-{name.replace(' ', '_')}.txt"
            command = [str(PY_SPY), "record", "--pid", str(info.pid), "--format", "raw", "--nonblocking"]
            command += ["--rate", str(SAMPLES_PER_SECOND), "--output", str(output)]
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self._running.append((name, output, process))
        return [name for name, _, _ in self._running]

    def stop(self, top: int = 15) -> list[ProcessProfile]:
        """Stop sampling (py-spy writes its file on SIGINT) and summarise each process."""
        profiles = []
        for name, output, process in self._running:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if output.is_file():
                profiles.append(summarize(name, output.read_text(encoding="utf-8", errors="replace"), top))
        self._running.clear()
        return profiles


def summarize(name: str, collapsed: str, top: int = 15) -> ProcessProfile:
    """Inclusive and self shares per function from py-spy's raw (collapsed) output."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_LINE.sub(")", frame) for frame in stack.split(";") if frame]
        if not frames:
            continue
        total += count
        for function in set(frames):
            inclusive[function] += count
        own[frames[-1]] += count
    shares = tuple(
        FunctionShare(function, round(n / total, 3), round(own[function] / total, 3))
        for function, n in _ranked(inclusive, own, top)
    )
    return ProcessProfile(name=name, samples=total, top=shares)


def _ranked(inclusive: Counter[str], own: Counter[str], top: int) -> Iterable[tuple[str, int]]:
    """The functions worth reading: by self time first (where the work is), then by inclusive time."""
    by_self = [function for function, _ in own.most_common(top)]
    by_inclusive = [function for function, _ in inclusive.most_common() if function not in by_self]
    chosen = by_self + by_inclusive[: max(0, top - len(by_self))]
    return sorted(((f, inclusive[f]) for f in chosen), key=lambda item: -item[1])


def render(profiles: Sequence[ProcessProfile], label: str) -> str:
    """Markdown tables: per process, the functions with the largest shares of its busy samples."""
    lines = [f"### Profile: {label}", ""]
    for profile in profiles:
        lines += [
            f"**{profile.name}**: {profile.samples} busy samples at {SAMPLES_PER_SECOND}/s",
            "",
            "| function | inclusive | self |",
            "|---|---:|---:|",
        ]
        lines += [f"| `{s.function}` | {s.inclusive:.1%} | {s.self_share:.1%} |" for s in profile.top]
        lines.append("")
    return "\n".join(lines)
