"""Detect and redact individual numbers (個人番号) and PINs in residents' text.

Standard library only: both the Rasa side and the gateway import it.
"""

from privacy.individual_number import check_digit, is_valid_individual_number
from privacy.redact import (
    INDIVIDUAL_NUMBER_PLACEHOLDER,
    PIN_PLACEHOLDER,
    Redaction,
    contains_placeholder,
    redact,
    redact_individual_numbers,
)

__all__ = [
    "INDIVIDUAL_NUMBER_PLACEHOLDER",
    "PIN_PLACEHOLDER",
    "Redaction",
    "check_digit",
    "contains_placeholder",
    "is_valid_individual_number",
    "redact",
    "redact_individual_numbers",
]
