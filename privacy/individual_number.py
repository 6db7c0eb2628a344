"""Check digit of the 12-digit individual number (個人番号)."""

from __future__ import annotations


def check_digit(first_eleven: str) -> int:
    """Return the check digit for 11 leading digits, per 行政手続における特定の個人を識別するための番号の利用等に関する法律施行令 第8条.

    With P_n the n-th digit counted from the right of the 11 digits and Q_n = n + 1 (n ≤ 6) or n − 5 (n ≥ 7),
    the check digit is 0 when Σ P_n·Q_n mod 11 ≤ 1, else 11 − (Σ mod 11).
    """
    if len(first_eleven) != 11 or not first_eleven.isascii() or not first_eleven.isdigit():
        raise ValueError("exactly 11 ASCII digits are required")
    total = 0
    for n, digit in enumerate(reversed(first_eleven), start=1):
        weight = n + 1 if n <= 6 else n - 5
        total += int(digit) * weight
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_valid_individual_number(number: str) -> bool:
    """Tell whether 12 ASCII digits form an individual number with a correct check digit."""
    if len(number) != 12 or not number.isascii() or not number.isdigit():
        return False
    return check_digit(number[:11]) == int(number[11])
