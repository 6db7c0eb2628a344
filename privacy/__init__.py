"""Detect and redact individual numbers (個人番号) and PINs in residents' text.

Standard library only: both the Rasa side and the gateway import it.
"""

from privacy.individual_number import check_digit, is_valid_individual_number
from privacy.redact import (
    INDIVIDUAL_NUMBER_PLACEHOLDER,
    PIN_PLACEHOLDER,
    Redaction,
    asks_about_pin,
    contains_placeholder,
    mentions_pin,
    redact,
)

__all__ = [
    "INDIVIDUAL_NUMBER_PLACEHOLDER",
    "PIN_PLACEHOLDER",
    "Redaction",
    "asks_about_pin",
    "check_digit",
    "contains_placeholder",
    "is_valid_individual_number",
    "mentions_pin",
    "redact",
]
