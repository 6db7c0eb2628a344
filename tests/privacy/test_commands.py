"""privacy.commands: the one rule for a typed command slash (the gateway's and Rasa's REST channel's)."""

from __future__ import annotations

import pytest

from privacy.commands import NEUTRAL_PREFIX, is_command, neutralised, visible_text


@pytest.mark.parametrize(
    "typed, visible",
    [
        ("/greet", "/greet"),
        (" \t/restart\n", "/restart"),
        ("\u2060/greet", "/greet"),  # word joiner (invisible format character)
        ("\ufeff\u200b /greet", "/greet"),
        ("\u0301/greet", "/greet"),  # a combining mark in front
        ("\u3164 /greet", "/greet"),  # Hangul filler: strip() keeps it
        ("\u3000/greet", "/greet"),  # ideographic space
        ("暗証番号\u200bを忘れた", "暗証番号を忘れた"),
        ("a\n/b", "a\n/b"),
    ],
)
def test_visible_text(typed: str, visible: str) -> None:
    assert visible_text(typed) == visible


@pytest.mark.parametrize("text", ["/greet", "／greet", "∕greet", "⁄greet", "⧸greet", "╱greet", "/"])
def test_slashes_and_look_alikes_are_commands(text: str) -> None:
    assert is_command(text)
    assert neutralised(text) == NEUTRAL_PREFIX + text[1:]
    assert not is_command(neutralised(text).replace(NEUTRAL_PREFIX, "x", 1))


@pytest.mark.parametrize("text", ["", "greet", "a/b", "1/2", "暗証番号 / 忘れた", "＼greet", "\\greet"])
def test_other_text_is_no_command(text: str) -> None:
    assert not is_command(text)
    assert neutralised(text) == text
