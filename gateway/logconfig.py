"""Logging of the gateway process, all redacted: its loggers, uvicorn's logs, exceptions and floods of refusals."""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any

from privacy.redact import redact

ACCESS_LOGGER = "uvicorn.access"
_ACCESS_ARGS = 5  # uvicorn: client address, method, path with query string, HTTP version, status
QUERY_MARK = "?…"
log = logging.getLogger(__name__)


def describe_exception(exc: BaseException) -> str:
    """The exception's type and stack, without its message (which may quote residents' text or LINE ids)."""
    stack = "".join(traceback.format_tb(exc.__traceback__))
    return f"{type(exc).__module__}.{type(exc).__qualname__}\n{stack}".rstrip()


class RejectionLog:
    """Counts refusals: the first is logged at once, later ones summarised at most once per interval (floods)."""

    def __init__(self, what: str, interval_seconds: float = 60.0) -> None:
        """``what`` names the refusal in the log line (never anything from the request)."""
        self._what = what
        self._interval = interval_seconds
        self._last_line: float | None = None
        self._pending = 0
        self.total = 0

    def record(self, now: float | None = None) -> None:
        """Count one refusal; write a line only if none was written in the last interval."""
        now = time.monotonic() if now is None else now
        self._pending += 1
        self.total += 1
        if self._last_line is None or now - self._last_line >= self._interval:
            log.warning("%s: %d since the previous line (%d since start)", self._what, self._pending, self.total)
            self._pending = 0
            self._last_line = now


def safe_path(path_with_query: str) -> str:
    """The request path redacted, its query string dropped (``?…`` marks that there was one)."""
    path, has_query, _ = path_with_query.partition("?")
    text = redact(path).text
    return text + QUERY_MARK if has_query else text


class AccessPathFilter(logging.Filter):
    """Rewrites uvicorn's access line so neither a query string nor a number in the path is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the path argument of an access record; other records pass unchanged."""
        if record.name == ACCESS_LOGGER and isinstance(record.args, tuple) and len(record.args) == _ACCESS_ARGS:
            args = list(record.args)
            args[2] = safe_path(str(args[2]))
            record.args = tuple(args)
        return True


def log_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the process: one stderr handler whose filters see every record."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "access_path": {"()": "gateway.logconfig.AccessPathFilter"},
            # The same redaction as the Rasa server's logging.yml: messages, tracebacks and stacks.
            "redact": {"()": "privacy.logging_filter.RedactingFilter"},
        },
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                # Handler filters also apply to records propagated from other loggers (logger filters do not).
                "filters": ["access_path", "redact"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["console"]},
        "loggers": {
            # uvicorn's loggers write through the root handler above instead of their own unfiltered ones.
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": level, "handlers": [], "propagate": True},
            # httpx logs every request URL at INFO; one line per Rasa turn is noise next to the gateway's own turn log.
            "httpx": {"level": "WARNING"},
        },
    }
