"""Detect and redact individual numbers (個人番号) and PINs in residents' text (the rule: ``privacy.redact``).

Standard library only: both the Rasa side and the gateway import it.
"""

from privacy.redact import redact

__all__ = ["redact"]
