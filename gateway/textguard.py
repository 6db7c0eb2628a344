"""What happens to text a resident typed before anything forwards, stores or logs it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from privacy import redact

# Rasa strips the text and then treats a leading "/" as an intent command (YAMLStoryReader.unpack_regex_message).
# The full-width ／ is the neutral form. NFKC would fold it back to "/", so nothing between here and that check may
# normalise the text: privacy.redact (run again by the REST channel and the tracker store) replaces inside the spans
# it finds and leaves every other character as typed. Slash confusables (∕ ⁄ ⧸ ╱) become ／ as well.
_SLASH_LIKE = frozenset("/／∕⁄⧸╱")
_NEUTRAL_PREFIX = "／"
# Blank characters that strip() keeps but a normaliser may drop, so they must not hide a slash behind them.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


@dataclass(frozen=True)
class GuardedText:
    """Typed text made safe to forward: secrets redacted, never readable as a Rasa command."""

    text: str
    redacted: bool


def guard_typed_text(raw: str) -> GuardedText:
    """Redact PINs and individual numbers, drop invisible characters and neutralise a leading command slash."""
    redaction = redact(raw)
    # Invisible format characters could hide a slash from the check below and be dropped later on the Rasa side.
    visible = "".join(ch for ch in redaction.text if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\n\t")
    text = visible.strip()
    lead = 0
    while lead < len(text) and (text[lead].isspace() or _is_blank(text[lead])):
        lead += 1
    text = text[lead:]
    if text[:1] in _SLASH_LIKE:
        text = _NEUTRAL_PREFIX + text[1:]
    return GuardedText(text=text, redacted=redaction.changed)


def _is_blank(char: str) -> bool:
    """A combining mark or a filler in front of the text: nothing to keep, and it could hide a slash."""
    return char in _FILLERS or unicodedata.category(char)[0] == "M"
