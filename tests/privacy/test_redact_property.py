"""Property-based: whatever form a 個人番号 or a PIN takes, redact() leaves none of its digits or characters."""

from __future__ import annotations

import re

from hypothesis import given, settings

from jptext import nfkc
from privacy import redact
from tests.privacy.strategies import follow_up_message, individual_number_message, pin_message

# Reproducible in CI, no example database written into the tree.
PROPERTY = settings(max_examples=500, deadline=None, derandomize=True, database=None)


def ascii_digits(text: str) -> str:
    """Every digit of the text, in order, after the project's normalisation."""
    return re.sub(r"\D", "", nfkc(text))


@PROPERTY
@given(individual_number_message())
def test_individual_numbers_never_survive(case: tuple[str, str]) -> None:
    message, number = case
    result = redact(message)
    assert "individual_number" in result.found, (message, result.text)
    assert ascii_digits(result.text) == "", (message, result.text)
    assert number not in ascii_digits(result.text)


def _gone(result_text: str, pin: str) -> bool:
    normalised = nfkc(result_text)
    if pin.isdigit():
        return pin not in ascii_digits(normalised)
    return pin not in normalised and pin.lower() not in normalised.lower()


@PROPERTY
@given(pin_message())
def test_pins_next_to_a_pin_word_never_survive(case: tuple[str, str]) -> None:
    message, pin = case
    result = redact(message)
    assert "pin" in result.found, (message, result.text)
    assert _gone(result.text, pin), (message, result.text)


@PROPERTY
@given(follow_up_message())
def test_pins_without_a_pin_word_never_survive(case: tuple[str, str]) -> None:
    message, pin = case
    result = redact(message)
    assert "pin" in result.found, (message, result.text)
    assert _gone(result.text, pin), (message, result.text)
