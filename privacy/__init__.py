"""Detect and redact individual numbers (個人番号) and PINs in residents' text.

Standard library only: both the Rasa side and the gateway import it.
"""

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
    "contains_placeholder",
    "redact",
    "redact_individual_numbers",
]
