"""What happens to text a resident typed before anything forwards, stores or logs it."""

from __future__ import annotations

from dataclasses import dataclass

from privacy import redact
from privacy.commands import neutralised, visible_text


@dataclass(frozen=True)
class GuardedText:
    """Typed text made safe to forward: secrets redacted, never readable as a Rasa command."""

    text: str
    redacted: bool


def guard_typed_text(raw: str) -> GuardedText:
    """Redact PINs and individual numbers, drop invisible characters and neutralise a leading command slash.

    The slash rule (look-alikes, what may hide one) is privacy.commands, which Rasa's REST channel applies too.
    """
    redaction = redact(raw)
    return GuardedText(text=neutralised(visible_text(redaction.text)), redacted=redaction.changed)
