"""What happens to text a resident typed before anything forwards, stores or logs it."""

from __future__ import annotations

from privacy.commands import neutralised, visible_text
from privacy.redact import Redaction, redact


def guard_typed_text(raw: str) -> Redaction:
    """Redact PINs and individual numbers, drop invisible characters and neutralise a leading command slash.

    The slash rule (look-alikes, what may hide one) is privacy.commands, which Rasa's REST channel applies too.
    """
    redaction = redact(raw)
    return Redaction(neutralised(visible_text(redaction.text)), redaction.found)
