"""A logging filter that redacts PINs and 個人番号 from log records."""

from __future__ import annotations

import logging

from privacy.redact import redact


class RedactingFilter(logging.Filter):
    """Replace sensitive numbers in the formatted message before any handler writes it."""

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
        return True
