"""What happens to text a resident typed before anything forwards, stores or logs it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from privacy import redact

# Rasa strips the text and then treats a leading "/" as an intent command (YAMLStoryReader.unpack_regex_message).
_COMMAND_PREFIX = "/"
_NEUTRAL_PREFIX = "／"


@dataclass(frozen=True)
class GuardedText:
    """Typed text made safe to forward: secrets redacted, never readable as a Rasa command."""

    text: str
    redacted: bool


def guard_typed_text(raw: str, pin_context: bool = False) -> GuardedText:
    """Redact PINs and individual numbers, drop invisible characters and neutralise a leading command slash.

    ``pin_context``: the bot's previous message asked about a PIN, so a bare 「たしか4917」 is one.
    """
    redaction = redact(raw, pin_context=pin_context)
    # Invisible format characters could hide a slash from the check below and be dropped later on the Rasa side.
    visible = "".join(ch for ch in redaction.text if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\n\t")
    text = visible.strip()
    if text.startswith(_COMMAND_PREFIX):
        text = _NEUTRAL_PREFIX + text[len(_COMMAND_PREFIX) :]
    return GuardedText(text=text, redacted=redaction.changed)
