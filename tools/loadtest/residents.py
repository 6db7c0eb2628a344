"""Simulated residents: scripted conversations with think time, and the three ways of loading a target."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from tools.loadtest.clients import BotClient, BotMessage, SessionFailed
from tools.loadtest.conversations import Step, resolve
from tools.loadtest.stats import Recorder, Summary, TurnSample

Script = Sequence[Step]
# Called once when the measurement window opens (after the warm-up): the harness samples RSS there.
OnMeasure = Callable[[], Awaitable[None]]
# Called every tick with the seconds since the load started (warm-up included): the soak samples RSS there.
OnTick = Callable[[float], Awaitable[None]]


class ThinkTime:
    """Exponentially distributed pauses with the given mean, reproducible from the random generator's seed."""

    def __init__(self, mean_s: float, rng: random.Random) -> None:
        if mean_s < 0:
            raise ValueError(f"think time must be >= 0, got {mean_s}")
        self.mean_s = mean_s
        self._rng = rng

    def next(self) -> float:
        """The next pause in seconds (0.0 when the mean is 0: a closed loop)."""
        # Exponential gaps make arrivals a Poisson process, the usual model of independent people typing.
        return self._rng.expovariate(1.0 / self.mean_s) if self.mean_s > 0 else 0.0


@dataclass(frozen=True)
class Population:
    """How many residents talk at once, how long they think, and how long the load runs."""

    residents: int
    think_mean_s: float
    warmup_s: float
    duration_s: float
    seed: int = 1


async def converse(
    client: BotClient,
    script: Script,
    think: ThinkTime,
    recorder: Recorder,
    stop_at: float,
) -> None:
    """One resident's conversation: open it, then each step with a think pause before it, until done or stop_at."""
    opened = time.monotonic()
    try:
        conversation = await client.open()
    except SessionFailed as failure:
        recorder.add_error(opened, failure.kind)
        return
    recorder.add_conversation(opened)
    last: list[BotMessage] = []
    for index, step in enumerate(script):
        if index:
            # The first message follows the pause before the conversation (see resident_loop).
            await asyncio.sleep(min(think.next(), max(0.0, stop_at - time.monotonic())))
        if time.monotonic() >= stop_at:
            return
        outgoing, scripted = resolve(step, last)
        started = time.monotonic()
        reply = await client.send(conversation, outgoing)
        recorder.add(TurnSample(started, reply.latency, reply.error), None if scripted else step.button)
        if reply.error is not None:
            # A resident whose turn failed starts over rather than answering a question they never saw.
            return
        last = reply.messages


async def resident_loop(
    client: BotClient,
    scripts: Sequence[Script],
    think: ThinkTime,
    rng: random.Random,
    recorder: Recorder,
    stop_at: float,
) -> None:
    """One resident: conversation after conversation (random scripts), pausing before each, until stop_at."""
    while True:
        await asyncio.sleep(min(think.next(), max(0.0, stop_at - time.monotonic())))
        if time.monotonic() >= stop_at:
            return
        await converse(client, rng.choice(scripts), think, recorder, stop_at)


async def run_population(
    client: BotClient,
    scripts: Sequence[Script],
    population: Population,
    on_measure: OnMeasure | None = None,
    on_tick: OnTick | None = None,
    tick_s: float = 10.0,
) -> Summary:
    """Residents (think > 0) or a closed loop (think 0) for warm-up + duration; the window is the duration."""
    recorder = Recorder()
    start = time.monotonic()
    window_start = start + population.warmup_s
    stop_at = window_start + population.duration_s
    recorder.open_window(window_start, stop_at)
    master = random.Random(population.seed)
    tasks = []
    for _ in range(population.residents):
        rng = random.Random(master.getrandbits(64))
        think = ThinkTime(population.think_mean_s, rng)
        tasks.append(asyncio.create_task(resident_loop(client, scripts, think, rng, recorder, stop_at)))
    try:
        await _watch_window(start, window_start, stop_at, on_measure, on_tick, tick_s)
        # Turns sent before the end finish (bounded by the client's timeout) and count; none starts after it.
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
    params = {
        "residents": float(population.residents),
        "think_s": population.think_mean_s,
        "warmup_s": population.warmup_s,
    }
    return recorder.summary(population.duration_s, params)


async def _watch_window(
    start: float,
    window_start: float,
    stop_at: float,
    on_measure: OnMeasure | None,
    on_tick: OnTick | None,
    tick_s: float,
) -> None:
    """Call on_measure when the window opens, and on_tick every tick_s from the start (warm-up included) to the end."""
    measured = False
    next_tick = start
    while True:
        now = time.monotonic()
        if not measured and now >= window_start:
            measured = True
            if on_measure is not None:
                await on_measure()
        if on_tick is not None and now >= next_tick:
            await on_tick(now - start)
            next_tick += tick_s
        if now >= stop_at:
            break
        wake = min(stop_at, window_start if not measured else stop_at, next_tick if on_tick is not None else stop_at)
        await asyncio.sleep(max(0.0, wake - time.monotonic()))
    if on_tick is not None:
        # One last sample at the very end, so the check sees the final state.
        await on_tick(time.monotonic() - start)


async def run_idle(
    client: BotClient,
    scripts: Sequence[Script],
    turns: int,
    warmup_turns: int,
    seed: int = 1,
    on_measure: OnMeasure | None = None,
) -> Summary:
    """One resident, turn after turn without pause: the latency of a turn on an otherwise idle server."""
    rng = random.Random(seed)
    recorder = Recorder()
    total = warmup_turns + turns
    sent = 0
    measured_from: float | None = None

    async def open_window_once() -> None:
        nonlocal measured_from
        if measured_from is None and sent >= warmup_turns:
            if on_measure is not None:
                await on_measure()
            measured_from = time.monotonic()
            # An open-ended window: the turn count, not the clock, ends the idle run.
            recorder.open_window(measured_from, float("inf"))

    while sent < total:
        await open_window_once()
        opened = time.monotonic()
        try:
            conversation = await client.open()
        except SessionFailed as failure:
            recorder.add_error(opened, failure.kind)
            # A failed session uses up a turn of the budget, so a dead target cannot keep the run going forever.
            sent += 1
            continue
        recorder.add_conversation(opened)
        last: list[BotMessage] = []
        for step in rng.choice(scripts):
            if sent >= total:
                break
            await open_window_once()
            outgoing, scripted = resolve(step, last)
            started = time.monotonic()
            reply = await client.send(conversation, outgoing)
            recorder.add(TurnSample(started, reply.latency, reply.error), None if scripted else step.button)
            sent += 1
            if reply.error is not None:
                break
            last = reply.messages
    elapsed = time.monotonic() - measured_from if measured_from is not None else 0.0
    return recorder.summary(elapsed, {"residents": 1.0, "think_s": 0.0, "warmup_turns": float(warmup_turns)})
