"""Behaviour knobs of the action server, read from the environment when first needed."""

from __future__ import annotations

import datetime as dt
import os
from typing import Optional
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")


def default_municipality() -> Optional[str]:
    """The deployment's city (env DEFAULT_MUNICIPALITY), if this deployment serves only one."""
    value = os.environ.get("DEFAULT_MUNICIPALITY", "").strip()
    return value or None


def now() -> dt.datetime:
    """The current moment in Asia/Tokyo; env PINBOT_NOW (ISO 8601) pins it for tests and demos."""
    fixed = os.environ.get("PINBOT_NOW", "").strip()
    if fixed:
        moment = dt.datetime.fromisoformat(fixed)
        return moment if moment.tzinfo else moment.replace(tzinfo=TOKYO)
    return dt.datetime.now(TOKYO)
