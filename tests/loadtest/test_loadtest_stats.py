import pytest

from tools.loadtest.residents import Recorder, TurnSample, summarize


def percentiles(ms: list[float]) -> tuple[float | None, float | None, float | None]:
    s = summarize([TurnSample(0.0, value / 1000.0) for value in ms], duration_s=1.0)
    return s.p50_ms, s.p95_ms, s.p99_ms


def test_percentile_interpolates_like_numpy_linear() -> None:
    p50, p95, _ = percentiles([40.0, 10.0, 30.0, 20.0])  # unsorted on purpose
    assert p50 == 25.0
    # rank (4 - 1) * 0.95 = 2.85 → 30 + 0.85 * (40 - 30)
    assert p95 == pytest.approx(38.5)


def test_percentile_of_one_value_and_of_a_hundred() -> None:
    assert percentiles([7.0]) == (7.0, 7.0, 7.0)
    p50, _, p99 = percentiles([float(i) for i in range(1, 101)])
    assert p50 == pytest.approx(50.5)
    assert p99 == pytest.approx(99.0)  # 99.01, rounded to 0.1 ms


def test_percentile_refuses_nonsense() -> None:
    assert percentiles([]) == (None, None, None)  # no turn: no percentile, never an invented 0


def test_summary_counts_turns_errors_and_throughput_in_milliseconds() -> None:
    samples = [
        TurnSample(0.0, 0.010),
        TurnSample(0.1, 0.020),
        TurnSample(0.2, 0.030, "fallback"),
        TurnSample(0.3, 5.0, "timeout"),
        TurnSample(0.4, 0.040, "fallback"),
    ]
    s = summarize(samples, duration_s=2.0, params={"residents": 3.0})
    assert s.turns == 5
    assert s.turns_per_s == 2.5
    assert s.p50_ms == 30.0
    assert s.errors == 3
    assert s.error_kinds == {"fallback": 2, "timeout": 1}
    assert s.params == {"residents": 3.0}


def test_summary_of_nothing_has_no_percentiles() -> None:
    s = summarize([], duration_s=0.0)
    assert (s.turns, s.turns_per_s, s.p50_ms, s.p95_ms, s.p99_ms, s.errors) == (0, 0.0, None, None, None, 0)


def test_recorder_keeps_only_turns_started_inside_the_window() -> None:
    recorder = Recorder()
    recorder.add(TurnSample(1.0, 0.1, "http_503"))  # before any window: warm-up
    recorder.open_window(10.0, 20.0)
    recorder.add(TurnSample(9.9, 0.1, "timeout"))  # warm-up error
    recorder.add(TurnSample(9.9, 0.1))  # warm-up success: ignored
    recorder.add(TurnSample(10.0, 0.2))
    recorder.add(TurnSample(15.0, 0.3), missed_button="三鷹市")
    recorder.add(TurnSample(20.0, 0.4, "timeout"))  # drain after the end: ignored
    recorder.add_conversation(12.0)
    recorder.add_conversation(25.0)
    recorder.add_error(11.0, "http_500")
    recorder.add_error(5.0, "connection")
    s = recorder.summary(10.0)
    assert s.turns == 2
    assert s.turns_per_s == 0.2
    assert s.errors == 1
    assert s.error_kinds == {"session:http_500": 1}
    assert s.warmup_errors == 3
    assert s.conversations == 1
    assert s.script_misses == 1
    assert s.missed_buttons == {"三鷹市": 1}
