"""Logging of the gateway process, all redacted: its loggers, uvicorn's logs, exceptions and floods of refusals."""

from __future__ import annotations

import logging
import sys
import time
import traceback

from privacy.logging_filter import RedactingFilter
from privacy.redact import redact

_ACCESS_ARGS = 5  # uvicorn: client address, method, path with query string, HTTP version, status
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


def _access_path(record: logging.LogRecord) -> bool:
    """Rewrite uvicorn's access line: no query string (``?…`` marks one), numbers in the path redacted."""
    if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == _ACCESS_ARGS:
        client, method, target, version, status = record.args
        path, has_query, _ = str(target).partition("?")
        record.args = (client, method, redact(path).text + ("?…" if has_query else ""), version, status)
    return True


def configure_logging(level: str = "INFO") -> None:
    """One stderr handler for the process, uvicorn's loggers included (they propagate to it), all redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # Handler filters also apply to records propagated from other loggers (logger filters do not).
    handler.addFilter(_access_path)
    # The same redaction as the Rasa server's logging.yml: messages, tracebacks and stacks.
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # httpx logs every request URL at INFO; one line per Rasa turn is noise next to the gateway's own turn log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
