"""How long conversations and logs are kept (RETENTION_DAYS), read the same way by Rasa, the gateway and scripts."""

from __future__ import annotations

import os
from collections.abc import Mapping

DEFAULT_RETENTION_DAYS = 7.0
_DAY = 24 * 3600.0


class RetentionError(ValueError):
    """RETENTION_DAYS holds something that is not a positive number."""


def retention_seconds(env: Mapping[str, str] | None = None) -> float:
    """``RETENTION_DAYS`` (default 7, fractions allowed) in seconds."""
    raw = (os.environ if env is None else env).get("RETENTION_DAYS", "").strip() or str(DEFAULT_RETENTION_DAYS)
    try:
        days = float(raw)
    except ValueError as exc:
        raise RetentionError(f"RETENTION_DAYS must be a number of days, got {raw!r}") from exc
    if not days > 0:
        raise RetentionError(f"RETENTION_DAYS must be > 0, got {raw!r}")
    return days * _DAY


def purge_interval_seconds(retention: float) -> float:
    """How often a purge runs: hourly, or more often when the retention itself is shorter (tests, demos)."""
    return max(1.0, min(3600.0, retention / 4))
