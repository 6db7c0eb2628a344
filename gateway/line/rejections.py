"""Counts refused webhook calls and logs them as one summary line per interval, so a flood cannot fill the logs."""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)


class RejectionLog:
    """The first refusal is logged at once; later ones are counted and summarised at most once per interval."""

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
