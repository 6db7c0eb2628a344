"""A logging filter that redacts PINs and 個人番号 from log records, escaped ones included."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from privacy.redact import redact

# Rasa's HTTP API takes its token as ?token=...; a logged URL must not carry it.
_TOKEN_QUERY = re.compile(r"((?:token|access_token)=)[^&\s\"']+", re.IGNORECASE)
# What JSON and Python's repr write for characters: Rasa's structured log lines are JSON with every non-ASCII
# character escaped (暗証 as \u6697\u8a3c, １ as \uff11), a JSON text dumped again doubles the backslashes
# (\\u6697), bytes show UTF-8 as \xe6\x9a\x97, and line breaks between digit groups become \n.
_UNICODE_ESCAPE = re.compile(r"\\+(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))")
_BYTE_ESCAPES = re.compile(r"(?:\\+x[0-9a-fA-F]{2})+")
_BYTE = re.compile(r"\\+x([0-9a-fA-F]{2})")
_BREAK_ESCAPE = re.compile(r"\\+[nrt]")


def _unicode_char(match: re.Match[str]) -> str:
    code = int(match.group(1) or match.group(2), 16)
    return chr(code) if code <= 0x10FFFF else match.group(0)


def _bytes_text(match: re.Match[str]) -> str:
    data = bytes(int(h, 16) for h in _BYTE.findall(match.group(0)))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # a str's repr escapes Latin-1 characters (\xa0) one by one


def unescape(text: str) -> str:
    r"""``text`` with JSON and repr escapes (``\uXXXX``, doubled, ``\xNN`` runs, ``\n``) read as characters."""
    if "\\" not in text:
        return text
    text = _UNICODE_ESCAPE.sub(_unicode_char, text)
    # Escaped surrogate pairs (an emoji as \ud83d\ude00) become one character; a lone one a replacement mark.
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = _BYTE_ESCAPES.sub(_bytes_text, text)
    return _BREAK_ESCAPE.sub(" ", text)


# The shapes of a log line's own numbers, which the resident rule would read as PINs: an IPv4 address with its port,
# a host's port, a timestamp, an HTTP version and status, and a measured figure named by its key or unit
# (latency_ms=47, 5.2 ms), and a keyed hash that correlates lines (conversation=<gateway.turns.log_id>). Residents' words reach a log only after the gateway and the channel redacted them, and a
# PIN or 個人番号 never has these shapes (a 12-digit number is an individual number inside them too).
_LOG_SHAPES = re.compile(
    r"(?<![0-9.])[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?::[0-9]{1,5})?(?![0-9.])"
    r"|(?<=[A-Za-z\]]):[0-9]{2,5}(?![0-9])"
    r"|(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]{1,6})?(?![0-9])"
    r"|HTTP/[0-9](?:\.[0-9])?\"? [0-9]{3}(?![0-9])"
    r"|(?<![A-Za-z])(?:[a-z]+_)*(?:ms|seconds|bytes|size|count|port|pid|status|events|messages|turns|deleted)"
    r"=[0-9]{1,9}(?:\.[0-9]{1,3})?(?![0-9])"
    r"|(?<![0-9.])[0-9]{1,9}(?:\.[0-9]{1,3})? ?(?:ms|MiB|KiB|MB|kB|bytes)(?![A-Za-z])"
    r"|(?<![A-Za-z_])(?:conversation|sender|session|request)=[0-9a-f]{12,64}(?![0-9A-Za-z])"
)
# Stands in for a kept shape while the line is redacted: a private-use character, neither digit nor separator.
_KEPT = "\ue000"


def scrub_line(text: str) -> str:
    """Redact PINs/個人番号, also inside escapes, and mask API tokens in query strings.

    A log line's own numbers (``_LOG_SHAPES``) are set aside first so that addresses, timestamps and figures stay
    readable. A line with nothing to redact keeps its escapes; one with something is written with them read.
    """
    read = unescape(text).replace(_KEPT, "")
    kept: list[str] = []

    def set_aside(match: re.Match[str]) -> str:
        # An address is one only with octets up to 255: 「123.456.789.012」 is a disguised 個人番号, not an address.
        address = match.group(0).split(":")[0]
        if address.count(".") == 3 and address.replace(".", "").isdigit() and max(map(int, address.split("."))) > 255:
            return match.group(0)
        kept.append(match.group(0))
        return _KEPT

    redaction = redact(_LOG_SHAPES.sub(set_aside, read))
    if redaction.changed:
        # A placeholder never covers the stand-in (it is no digit, letter or separator): one piece per kept shape.
        pieces = redaction.text.split(_KEPT)
        text = pieces[0] + "".join(shape + piece for shape, piece in zip(kept, pieces[1:], strict=True))
    return _TOKEN_QUERY.sub(r"\1***", text)


class RedactingFilter(logging.Filter):
    """Replace sensitive numbers in the message, traceback and stack before any handler formats them."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drop it."""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record: logging reports it with its parts, redacted
            record.msg = scrub_line(str(record.msg))
            if isinstance(record.args, Mapping):
                record.args = {key: scrub_line(str(value)) for key, value in record.args.items()}
            elif isinstance(record.args, tuple):
                record.args = tuple(scrub_line(str(value)) for value in record.args)
        else:
            scrubbed = scrub_line(message)
            if scrubbed != message:
                record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set: put the redacted traceback there.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = record.exc_text and scrub_line(record.exc_text)
        record.stack_info = record.stack_info and scrub_line(record.stack_info)
        return True
