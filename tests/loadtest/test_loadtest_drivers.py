"""The load drivers against an in-process fake bot: counts, windows and error handling, in well under a second."""

import asyncio
import time

from tools.loadtest.clients import Outgoing, Reply, SessionFailed, press, say
from tools.loadtest.residents import Population, _watch_window, run_idle, run_population


class FakeBot:
    """Answers at once; offers a 本人 button; says the polite apology to 「壊れて」; can refuse new sessions."""

    def __init__(self, refuse_sessions: bool = False) -> None:
        self.sent: list[tuple[str, Outgoing]] = []
        self.opened = 0
        self.refuse_sessions = refuse_sessions

    async def open(self) -> str:
        if self.refuse_sessions:
            raise SessionFailed("http_503")
        self.opened += 1
        return f"c{self.opened}"

    async def send(self, conversation: str, outgoing: Outgoing) -> Reply:
        self.sent.append((conversation, outgoing))
        await asyncio.sleep(0)
        if outgoing.text == "壊れて":
            return Reply(0.001, "fallback", [{"text": "申し訳ありません"}])
        return Reply(0.001, None, [{"text": "どなたですか", "buttons": [{"title": "本人", "payload": "/self"}]}])


SCRIPT = (say("暗証番号を忘れました"), press("本人"), press("三鷹市"))


def test_idle_sends_exactly_warmup_plus_measured_turns_and_presses_offered_buttons() -> None:
    bot = FakeBot()
    summary = asyncio.run(run_idle(bot, [SCRIPT], turns=7, warmup_turns=3))
    assert len(bot.sent) == 10
    assert summary.turns == 7 and summary.errors == 0
    # Turns 1–3 of each conversation: typed, the offered payload, then a button never offered (typed as its title).
    assert [o for _, o in bot.sent[:3]] == [
        Outgoing(text="暗証番号を忘れました"),
        Outgoing(payload="/self"),
        Outgoing(text="三鷹市"),
    ]
    assert summary.missed_buttons == {"三鷹市": 2}  # turns 6 and 9; turn 3 was warm-up
    assert bot.opened == 4 and summary.conversations == 3


def test_a_failed_turn_ends_the_conversation_and_counts_as_an_error() -> None:
    bot = FakeBot()
    summary = asyncio.run(run_idle(bot, [(say("壊れて"), say("続き"))], turns=4, warmup_turns=0))
    assert summary.turns == 4 and summary.errors == 4
    assert summary.error_kinds == {"fallback": 4}
    assert all(o.text == "壊れて" for _, o in bot.sent), "the resident never answers after an apology"


def test_a_dead_target_ends_the_idle_run_with_session_errors() -> None:
    summary = asyncio.run(run_idle(FakeBot(refuse_sessions=True), [SCRIPT], turns=3, warmup_turns=1))
    assert summary.turns == 0
    assert summary.error_kinds == {"session:http_503": 3}
    assert summary.warmup_errors == 1


def test_closed_loop_measures_only_the_window_and_stops_on_time() -> None:
    bot = FakeBot()
    population = Population(residents=3, think_mean_s=0.0, warmup_s=0.05, duration_s=0.15)
    started = time.monotonic()
    summary = asyncio.run(run_population(bot, [SCRIPT], population))
    assert time.monotonic() - started < 1.0
    assert 0 < summary.turns < len(bot.sent), "warm-up turns are sent but not measured"
    assert summary.turns_per_s == round(summary.turns / 0.15, 2)
    assert summary.params["residents"] == 3.0


def test_the_window_calls_measure_once_and_ticks_from_the_start() -> None:
    measured: list[float] = []
    ticks: list[float] = []

    async def on_measure() -> None:
        measured.append(time.monotonic())

    async def on_tick(at_s: float) -> None:
        ticks.append(at_s)

    async def watch() -> float:
        start = time.monotonic()
        await _watch_window(start, start + 0.1, start + 0.25, on_measure, on_tick, 0.05)
        return start

    start = asyncio.run(watch())
    assert len(measured) == 1 and measured[0] - start >= 0.1
    assert ticks[0] < 0.05, "the soak samples during the warm-up too"
    assert ticks == sorted(ticks) and ticks[-1] >= 0.25 and len(ticks) >= 5
