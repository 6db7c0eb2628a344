"""Check digit of the 個人番号, against an independent reference implementation of the statutory formula."""

from __future__ import annotations

import random

import pytest

from privacy import check_digit, is_valid_individual_number

KNOWN_VALID = ("123456789018", "621498320257")


def reference_check_digit(first_eleven: str) -> int:
    """施行令第8条, written out independently: P_n is the n-th digit from the right, Q_n its weight."""
    assert len(first_eleven) == 11
    digits = [int(c) for c in first_eleven]
    total = 0
    for n in range(1, 12):
        p_n = digits[11 - n]
        q_n = n + 1 if 1 <= n <= 6 else n - 5
        total += p_n * q_n
    remainder = total % 11
    return 0 if remainder in (0, 1) else 11 - remainder


# Worked by hand from the formula (weights from the right: 2,3,4,5,6,7,2,3,4,5,6).
HAND_VECTORS = [
    # 12345678901: 1*2+0*3+9*4+8*5+7*6+6*7+5*2+4*3+3*4+2*5+1*6 = 212, 212 % 11 = 3, 11-3 = 8
    ("12345678901", 8),
    # 62149832025: 5*2+2*3+0*4+2*5+3*6+8*7+9*2+4*3+1*4+2*5+6*6 = 180, 180 % 11 = 4, 11-4 = 7
    ("62149832025", 7),
    # all zeros: sum 0 → remainder 0 → 0
    ("00000000000", 0),
    # 00000000001: 1*2 = 2 → 11-2 = 9
    ("00000000001", 9),
    # 00000000005: 5*2 = 10 → remainder 10 → 11-10 = 1
    ("00000000005", 1),
    # 10000000000: 1*6 = 6 → 11-6 = 5
    ("10000000000", 5),
    # 00001000000: n=7, weight 2 → 2 → 9
    ("00001000000", 9),
    # 00000100000: n=6, weight 7 → 7 → 4
    ("00000100000", 4),
    # 11111111111: 2+3+4+5+6+7+2+3+4+5+6 = 47, 47 % 11 = 3 → 8
    ("11111111111", 8),
    # 00000000006: 6*2 = 12, 12 % 11 = 1 → 0 (remainder 1 gives 0)
    ("00000000006", 0),
    # 99999999999: 9*47 = 423, 423 % 11 = 5 → 6
    ("99999999999", 6),
]


@pytest.mark.parametrize("first_eleven, expected", HAND_VECTORS)
def test_check_digit_hand_vectors(first_eleven: str, expected: int) -> None:
    assert reference_check_digit(first_eleven) == expected
    assert check_digit(first_eleven) == expected


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_known_valid_numbers(number: str) -> None:
    assert check_digit(number[:11]) == int(number[11])
    assert is_valid_individual_number(number) is True


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_every_other_check_digit_is_invalid(number: str) -> None:
    wrong = [number[:11] + str(d) for d in range(10) if str(d) != number[11]]
    assert len(wrong) == 9
    assert [is_valid_individual_number(w) for w in wrong] == [False] * 9


def test_matches_reference_on_200_random_numbers() -> None:
    rng = random.Random(20250430)
    seen_digits = set()
    for _ in range(200):
        first = "".join(rng.choice("0123456789") for _ in range(11))
        expected = reference_check_digit(first)
        seen_digits.add(expected)
        assert check_digit(first) == expected, first
        assert is_valid_individual_number(first + str(expected)) is True
        assert is_valid_individual_number(first + str((expected + 1) % 10)) is False
    # The random sample exercises the 0 branch and several 11 − r values.
    assert 0 in seen_digits and len(seen_digits) >= 8


@pytest.mark.parametrize(
    "bad",
    ["1234567890", "123456789012", "１２３４５６７８９０１", "1234567890a", "", "12345 67890"],
)
def test_check_digit_rejects_anything_but_eleven_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        check_digit(bad)


@pytest.mark.parametrize(
    "value",
    [
        "12345678901",  # 11 digits
        "1234567890180",  # 13 digits
        "１２３４５６７８９０１８",  # full width
        "1234 5678 9018",  # separators
        "12345678901a",
        "",
        "123456789019",  # wrong check digit
    ],
)
def test_is_valid_individual_number_rejects(value: str) -> None:
    assert is_valid_individual_number(value) is False
