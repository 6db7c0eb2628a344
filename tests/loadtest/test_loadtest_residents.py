import random
import statistics

import pytest

from replies.contact import fallback_message
from tools.loadtest.clients import PINBOT_SCRIPTS, STOCK_SCRIPTS, Outgoing, Step, answer_error, press, resolve, say
from tools.loadtest.residents import think_time


def test_think_time_is_reproducible_from_the_seed() -> None:
    first, second, other = random.Random(42), random.Random(42), random.Random(43)
    a = [think_time(2.0, first) for _ in range(20)]
    assert a == [think_time(2.0, second) for _ in range(20)]
    assert a != [think_time(2.0, other) for _ in range(20)]


def test_think_time_is_exponential_with_the_given_mean() -> None:
    rng = random.Random(7)
    values = [think_time(2.0, rng) for _ in range(20000)]
    assert min(values) >= 0.0
    assert statistics.fmean(values) == pytest.approx(2.0, rel=0.05)
    # Exponential: the median is mean * ln 2 (about 1.39 s), well below the mean.
    assert statistics.median(values) == pytest.approx(2.0 * 0.6931, rel=0.05)


def test_zero_think_time_is_a_closed_loop_and_negative_is_refused() -> None:
    assert [think_time(0.0, random.Random(1)) for _ in range(3)] == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError):
        think_time(-1.0, random.Random(1))


def test_a_scripted_button_sends_the_offered_payload() -> None:
    messages = [{"text": "どなたですか", "buttons": [{"title": "本人", "payload": '/inform{"a": 1}'}]}]
    assert resolve(press("本人"), messages) == (Outgoing(payload='/inform{"a": 1}'), True)
    assert resolve(say("本人です"), messages) == (Outgoing(text="本人です"), True)


def test_a_button_not_offered_is_typed_and_reported() -> None:
    messages = [{"text": "ほかに何か", "buttons": [{"title": "はい、わかります", "payload": "/affirm"}]}]
    assert resolve(press("三鷹市"), messages) == (Outgoing(text="三鷹市"), False)
    assert resolve(press("三鷹市"), []) == (Outgoing(text="三鷹市"), False)


def test_a_step_is_text_or_button_never_both() -> None:
    with pytest.raises(ValueError):
        Step(text="a", button="b")
    with pytest.raises(ValueError):
        Step()


def test_scripts_are_non_empty_and_start_with_typed_text() -> None:
    for script in (*PINBOT_SCRIPTS, *STOCK_SCRIPTS):
        assert script and script[0].text, script


def test_the_polite_fallback_and_silence_are_errors() -> None:
    assert answer_error([]) == "empty"
    assert answer_error([{"text": fallback_message("mitaka")}]) == "fallback"
    assert answer_error([{"text": fallback_message(None)}]) == "fallback"
    assert answer_error([{"text": "【三鷹市】暗証番号の再設定"}, {"image": "x.png"}]) is None
