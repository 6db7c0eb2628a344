"""Turn samples and their summary: count, throughput, latency percentiles, errors by kind."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TurnSample:
    """One resident message: when it was sent (monotonic seconds), how long it took, and what went wrong if anything."""

    started: float
    latency: float
    error: str | None = None


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks (numpy's default method)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    """What one target did in one mode: the row of the report's table."""

    turns: int
    duration_s: float
    turns_per_s: float
    # Latency percentiles in milliseconds over every measured turn, failed ones included (a timeout is slow too);
    # None when no turn was measured.
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    errors: int
    error_kinds: dict[str, int] = field(default_factory=dict)
    # Settings the figures depend on (residents, think time, concurrency…), echoed into the report.
    params: dict[str, float] = field(default_factory=dict)
    # Conversations started in the window, and scripted buttons the bot did not offer (typed instead): a dialogue
    # that took another path than the script, not an error, but worth a look when it is not 0.
    conversations: int = 0
    script_misses: int = 0
    missed_buttons: dict[str, int] = field(default_factory=dict)
    # Errors during the warm-up (not in the percentiles or the error count above).
    warmup_errors: int = 0

    @property
    def error_rate(self) -> float:
        """Errors per measured turn (0.0 when nothing was measured)."""
        return self.errors / self.turns if self.turns else 0.0


def summarize(samples: Sequence[TurnSample], duration_s: float, params: dict[str, float] | None = None) -> Summary:
    """Summarise the samples of one measurement window of ``duration_s`` seconds."""
    latencies_ms = [s.latency * 1000.0 for s in samples]
    kinds = Counter(s.error for s in samples if s.error is not None)

    def pct(q: float) -> float | None:
        return round(percentile(latencies_ms, q), 1) if latencies_ms else None

    return Summary(
        turns=len(samples),
        duration_s=round(duration_s, 2),
        turns_per_s=round(len(samples) / duration_s, 2) if duration_s > 0 else 0.0,
        p50_ms=pct(50),
        p95_ms=pct(95),
        p99_ms=pct(99),
        errors=sum(kinds.values()),
        error_kinds=dict(sorted(kinds.items())),
        params=dict(params or {}),
    )


class Recorder:
    """Collects the turns that start inside the measurement window; warm-up and drain turns are not counted."""

    def __init__(self) -> None:
        self._window: tuple[float, float] | None = None
        self.samples: list[TurnSample] = []
        # Errors outside turns (a session that could not be created) count as errors of the window too.
        self.other_errors: Counter[str] = Counter()
        self.conversations = 0
        self.missed_buttons: Counter[str] = Counter()
        self.warmup_errors = 0

    def open_window(self, start: float, end: float) -> None:
        """Measure turns that start at or after ``start`` and before ``end`` (monotonic seconds)."""
        self._window = (start, end)

    def in_window(self, when: float) -> bool:
        """Whether a turn started at ``when`` is measured."""
        return self._window is not None and self._window[0] <= when < self._window[1]

    def _in_warmup(self, when: float) -> bool:
        return self._window is None or when < self._window[0]

    def add(self, sample: TurnSample, missed_button: str | None = None) -> None:
        """Keep the sample if it started inside the window (``missed_button``: a scripted button not offered)."""
        if self.in_window(sample.started):
            self.samples.append(sample)
            if missed_button is not None:
                self.missed_buttons[missed_button] += 1
        elif sample.error is not None and self._in_warmup(sample.started):
            self.warmup_errors += 1

    def add_conversation(self, when: float) -> None:
        """Count a conversation opened at ``when`` if inside the window."""
        self.conversations += self.in_window(when)

    def add_error(self, when: float, kind: str) -> None:
        """Count an error that is not a turn (e.g. session creation) if it happened inside the window."""
        if self.in_window(when):
            self.other_errors[kind] += 1
        elif self._in_warmup(when):
            self.warmup_errors += 1

    def summary(self, duration_s: float, params: dict[str, float] | None = None) -> Summary:
        """The window's summary, non-turn errors added to the error count and kinds."""
        base = summarize(self.samples, duration_s, params)
        kinds = Counter(base.error_kinds)
        kinds.update({f"session:{k}": v for k, v in self.other_errors.items()})
        return dataclasses.replace(
            base,
            errors=sum(kinds.values()),
            error_kinds=dict(sorted(kinds.items())),
            conversations=self.conversations,
            script_misses=sum(self.missed_buttons.values()),
            missed_buttons=dict(sorted(self.missed_buttons.items())),
            warmup_errors=self.warmup_errors,
        )
