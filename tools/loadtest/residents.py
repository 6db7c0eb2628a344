"""Simulated residents with think time, the three ways of loading a target, and the turns' summary (p50, errors…)."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tools.loadtest.clients import BotClient, BotMessage, SessionFailed, Step, resolve

Script = Sequence[Step]
# Called once when the measurement window opens (after the warm-up): the harness samples RSS there.
OnMeasure = Callable[[], Awaitable[None]]
# Called every tick with the seconds since the load started (warm-up included): the soak samples RSS there.
OnTick = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class TurnSample:
    """One resident message: when it was sent (monotonic seconds), how long it took, and what went wrong if anything."""

    started: float
    latency: float
    error: str | None = None


@dataclass(frozen=True)
class Summary:
    """What one target did in one mode: the row of the report's table."""

    turns: int
    duration_s: float
    turns_per_s: float
    # Latency percentiles in ms over every measured turn, failed ones included (a timeout is slow too); None: no turn.
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
    warmup_errors: int = 0  # not in the percentiles or the error count above


def summarize(
    samples: Sequence[TurnSample], duration_s: float, params: dict[str, float] | None = None, **more: Any
) -> Summary:
    """Summarise the samples of one measurement window of ``duration_s`` seconds (``more``: Summary's other fields).

    ``more["error_kinds"]`` holds errors that are not turns (a session that could not be opened), added to the count.
    """
    ms = [s.latency * 1000.0 for s in samples]
    p50, p95, p99 = (round(float(np.percentile(ms, q)), 1) if ms else None for q in (50, 95, 99))
    kinds = Counter(s.error for s in samples if s.error is not None) + Counter(more.pop("error_kinds", {}))
    throughput = round(len(samples) / duration_s, 2) if duration_s > 0 else 0.0
    errors, kinds_sorted = sum(kinds.values()), dict(sorted(kinds.items()))
    return Summary(
        len(samples), round(duration_s, 2), throughput, p50, p95, p99, errors, kinds_sorted, dict(params or {}), **more
    )


class Recorder:
    """Collects the turns that start inside the measurement window; warm-up and drain turns are not counted."""

    def __init__(self) -> None:
        """No window yet: everything is warm-up."""
        self.window = (math.inf, math.inf)
        self.samples: list[TurnSample] = []
        self.other_errors: Counter[str] = Counter()  # errors outside turns (a session that could not be created)
        self.conversations, self.warmup_errors = 0, 0
        self.missed_buttons: Counter[str] = Counter()

    def open_window(self, start: float, end: float) -> None:
        """Measure turns that start at or after ``start`` and before ``end`` (monotonic seconds)."""
        self.window = (start, end)

    def in_window(self, when: float) -> bool:
        """Whether a turn started at ``when`` is measured."""
        return self.window[0] <= when < self.window[1]

    def add(self, sample: TurnSample, missed_button: str | None = None) -> None:
        """Keep the sample if it started inside the window (``missed_button``: a scripted button not offered)."""
        if self.in_window(sample.started):
            self.samples.append(sample)
            self.missed_buttons.update([missed_button] if missed_button is not None else [])
        elif sample.error is not None:
            self.add_error(sample.started, sample.error)

    def add_conversation(self, when: float) -> None:
        """Count a conversation opened at ``when`` if inside the window."""
        self.conversations += self.in_window(when)

    def add_error(self, when: float, kind: str) -> None:
        """Count an error that is not a turn (e.g. session creation) if inside the window; warm-up errors apart."""
        if self.in_window(when):
            self.other_errors[kind] += 1
        elif when < self.window[0]:
            self.warmup_errors += 1

    def summary(self, duration_s: float, params: dict[str, float] | None = None) -> Summary:
        """The window's summary, non-turn errors added to the error count and kinds."""
        missed = dict(sorted(self.missed_buttons.items()))
        return summarize(
            self.samples,
            duration_s,
            params,
            error_kinds={f"session:{k}": v for k, v in self.other_errors.items()},
            conversations=self.conversations,
            script_misses=sum(missed.values()),
            missed_buttons=missed,
            warmup_errors=self.warmup_errors,
        )


def think_time(mean_s: float, rng: random.Random) -> float:
    """A pause in seconds, exponential with the given mean (0.0 when it is 0: a closed loop); reproducible from rng."""
    if mean_s < 0:
        raise ValueError(f"think time must be >= 0, got {mean_s}")
    # Exponential gaps make arrivals a Poisson process, the usual model of independent people typing.
    return rng.expovariate(1.0 / mean_s) if mean_s > 0 else 0.0


@dataclass(frozen=True)
class Population:
    """How many residents talk at once, how long they think, and how long the load runs."""

    residents: int
    think_mean_s: float
    warmup_s: float
    duration_s: float
    seed: int = 1


async def _open(client: BotClient, recorder: Recorder) -> str | None:
    """A new conversation (counted if in the window), or None after counting why it could not be opened."""
    opened = time.monotonic()
    try:
        conversation = await client.open()
    except SessionFailed as failure:
        recorder.add_error(opened, str(failure))
        return None
    recorder.add_conversation(opened)
    return conversation


async def _turn(client: BotClient, conversation: str, step: Step, last: list[BotMessage], recorder: Recorder) -> bool:
    """Send one step after the bot said ``last``; whether it was answered (``last`` then holds the answer)."""
    outgoing, scripted = resolve(step, last)
    started = time.monotonic()
    reply = await client.send(conversation, outgoing)
    recorder.add(TurnSample(started, reply.latency, reply.error), None if scripted else step.button)
    last[:] = reply.messages
    return reply.error is None


async def run_population(
    client: BotClient,
    scripts: Sequence[Script],
    population: Population,
    on_measure: OnMeasure | None = None,
    on_tick: OnTick | None = None,
    tick_s: float = 10.0,
) -> Summary:
    """Residents (think > 0) or a closed loop (think 0) for warm-up + duration; the window is the duration."""
    recorder, start = Recorder(), time.monotonic()
    window_start = start + population.warmup_s
    stop_at = window_start + population.duration_s
    recorder.open_window(window_start, stop_at)

    async def resident(rng: random.Random) -> None:
        # Conversation after conversation (random scripts), a think pause before each message, until stop_at.
        def pause() -> float:
            return min(think_time(population.think_mean_s, rng), max(0.0, stop_at - time.monotonic()))

        while True:
            await asyncio.sleep(pause())
            if time.monotonic() >= stop_at:
                return
            script, conversation, last = rng.choice(scripts), await _open(client, recorder), list[BotMessage]()
            if conversation is None:
                continue
            for index, step in enumerate(script):
                if index:  # the first message follows the pause before the conversation
                    await asyncio.sleep(pause())
                # A resident whose turn failed starts over rather than answering a question they never saw.
                if time.monotonic() >= stop_at or not await _turn(client, conversation, step, last, recorder):
                    break

    master = random.Random(population.seed)
    tasks = [asyncio.create_task(resident(random.Random(master.getrandbits(64)))) for _ in range(population.residents)]
    try:
        await _watch_window(start, window_start, stop_at, on_measure, on_tick, tick_s)
        # Turns sent before the end finish (bounded by the client's timeout) and count; none starts after it.
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
    params = {"residents": float(population.residents), "think_s": population.think_mean_s}
    return recorder.summary(population.duration_s, {**params, "warmup_s": population.warmup_s})


async def _watch_window(
    start: float,
    window_start: float,
    stop_at: float,
    on_measure: OnMeasure | None,
    on_tick: OnTick | None,
    tick_s: float,
) -> None:
    """Call on_measure when the window opens, and on_tick every tick_s from the start (warm-up included) to the end."""

    async def measure() -> None:
        while (wait := window_start - time.monotonic()) > 0:  # asyncio may wake up to a clock tick early
            await asyncio.sleep(wait)
        await on_measure() if on_measure is not None else None

    async def ticks(next_tick: float) -> None:
        while on_tick is not None:  # the last tick at the very end, so the check sees the final state
            await on_tick(time.monotonic() - start)
            if time.monotonic() >= stop_at:
                return
            next_tick += tick_s
            await asyncio.sleep(max(0.0, min(next_tick, stop_at) - time.monotonic()))

    await asyncio.gather(measure(), ticks(start), asyncio.sleep(max(0.0, stop_at - time.monotonic())))


async def run_idle(
    client: BotClient,
    scripts: Sequence[Script],
    turns: int,
    warmup_turns: int,
    seed: int = 1,
    on_measure: OnMeasure | None = None,
) -> Summary:
    """One resident, turn after turn without pause: the latency of a turn on an otherwise idle server."""
    rng, recorder, sent = random.Random(seed), Recorder(), 0

    async def open_window_once() -> None:
        if sent >= warmup_turns and recorder.window[0] == math.inf:
            await on_measure() if on_measure is not None else None
            recorder.open_window(time.monotonic(), math.inf)  # the turn count, not the clock, ends the idle run

    while sent < warmup_turns + turns:
        await open_window_once()
        conversation, last = await _open(client, recorder), list[BotMessage]()
        sent += conversation is None  # a failed session uses up a turn: a dead target cannot keep the run going
        for step in rng.choice(scripts) if conversation is not None else ():
            if sent >= warmup_turns + turns:
                break
            await open_window_once()
            sent += 1
            if not await _turn(client, str(conversation), step, last, recorder):
                break
    elapsed = time.monotonic() - recorder.window[0] if recorder.window[0] != math.inf else 0.0
    return recorder.summary(elapsed, {"residents": 1.0, "think_s": 0.0, "warmup_turns": float(warmup_turns)})
