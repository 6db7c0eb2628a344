"""A logging filter that redacts PINs and 個人番号 from log records."""

from __future__ import annotations

import logging

from privacy.redact import redact


class RedactingFilter(logging.Filter):
    """Replace sensitive numbers in the message, traceback and stack before any handler writes them."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message in place; never drop the record."""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as it is
            return True
        redacted = redact(message)
        if redacted.changed:
            record.msg = redacted.text
            record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set: put the redacted traceback there.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text).text
        if record.stack_info:
            record.stack_info = redact(record.stack_info).text
        return True
