"""A logging filter that redacts PINs and 個人番号 from log records."""

from __future__ import annotations

import logging
import re

from privacy.redact import redact

# Rasa's HTTP API takes its token as ?token=...; a logged URL must not carry it.
_TOKEN_QUERY = re.compile(r"((?:token|access_token)=)[^&\s\"']+", re.IGNORECASE)


def scrub_line(text: str) -> str:
    """Redact PINs/個人番号 and mask API tokens in query strings."""
    return _TOKEN_QUERY.sub(r"\1***", redact(text).text)


class RedactingFilter(logging.Filter):
    """Replace sensitive numbers in the message, traceback and stack before any handler writes them."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message in place; never drop the record."""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as it is
            return True
        scrubbed = scrub_line(message)
        if scrubbed != message:
            record.msg = scrubbed
            record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set: put the redacted traceback there.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_line(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_line(record.stack_info)
        return True
