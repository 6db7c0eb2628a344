"""Typed text is never a Rasa command: where a command slash can hide, and its neutral form.

Rasa strips a message and reads a leading "/" as an intent with entities (YAMLStoryReader.unpack_regex_message): a
forced intent and slot values of the sender's choosing. The gateway neutralises every typed one, Rasa's REST channel
every one that is not a button the bot offered (channels/commands.py). One rule for both; standard library only, as
the rest of this package (each side imports it in its own virtualenv).
"""

from __future__ import annotations

import hashlib
import unicodedata

# The full-width ／ is the neutral form. NFKC would fold it back to "/", so nothing between here and Rasa's check may
# normalise the text: privacy.redact (run again by the REST channel and the tracker store) replaces inside the spans
# it finds and leaves every other character as typed. Slash confusables (∕ ⁄ ⧸ ╱) count as slashes too.
SLASH_LIKE = frozenset("/／∕⁄⧸╱")
NEUTRAL_PREFIX = "／"
# Blank characters that strip() keeps but a normaliser may drop, so they must not hide a slash behind them.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# LINE's postback data holds 300 characters: a longer button payload travels as this key, spelt in letters only so
# that no redaction rule touches it, and Rasa's REST channel maps it back to the payload it offered.
PAYLOAD_KEY_PREFIX = "hashed:"
_HEX_AS_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def payload_key(payload: str) -> str:
    """The stand-in of a button payload too long for LINE's postback data: its SHA-256 in the letters a-p."""
    return PAYLOAD_KEY_PREFIX + hashlib.sha256(payload.encode()).hexdigest().translate(_HEX_AS_LETTERS)


def visible_text(text: str) -> str:
    """``text`` as Rasa's command check would meet it, with nothing in front that could hide a slash.

    Invisible format and control characters go (newline and tab kept), then surrounding whitespace, then blanks
    (whitespace, fillers) and combining marks at the start.
    """
    visible = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf")).strip()
    for lead, char in enumerate(visible):
        if not (char.isspace() or char in _FILLERS or unicodedata.category(char)[0] == "M"):
            return visible[lead:]
    return ""


def is_command(visible: str) -> bool:
    """Whether ``visible`` (see ``visible_text``) starts with a slash, a look-alike or anything NFKC makes one."""
    first = visible[:1]
    return bool(first) and (first in SLASH_LIKE or unicodedata.normalize("NFKC", first).startswith("/"))


def neutralised(visible: str) -> str:
    """``visible`` with a leading slash (or look-alike) replaced by ／, so that Rasa reads it as plain text."""
    return NEUTRAL_PREFIX + visible[1:] if is_command(visible) else visible
