"""What the action server reads from its environment when first needed: the knowledge base and the knobs."""

from __future__ import annotations

import datetime as dt
import functools
import os
from typing import Optional
from zoneinfo import ZoneInfo

from kb.store import KnowledgeBase, load_kb
from replies.layout import TURN_CHARS

TOKYO = ZoneInfo("Asia/Tokyo")


@functools.lru_cache(maxsize=1)
def get_kb() -> KnowledgeBase:
    """Load and validate knowledge/ (env KB_DIR) once per process."""
    return load_kb()


def default_municipality() -> Optional[str]:
    """The deployment's city (env DEFAULT_MUNICIPALITY), if this deployment serves only one."""
    value = os.environ.get("DEFAULT_MUNICIPALITY", "").strip()
    return value or None


def max_turn_chars() -> int:
    """Characters one bot turn may use (env PINBOT_MAX_TURN_CHARS, default replies.layout.TURN_CHARS).

    A lower value shortens or drops only optional parts (a kiosk or at-home route): what to bring, where and when
    are never cut.
    """
    value = os.environ.get("PINBOT_MAX_TURN_CHARS", "").strip()
    return int(value) if value.isdigit() and int(value) >= 300 else TURN_CHARS


def now() -> dt.datetime:
    """The current moment in Asia/Tokyo; env PINBOT_NOW (ISO 8601) pins it for tests and demos."""
    fixed = os.environ.get("PINBOT_NOW", "").strip()
    if fixed:
        moment = dt.datetime.fromisoformat(fixed)
        return moment if moment.tzinfo else moment.replace(tzinfo=TOKYO)
    return dt.datetime.now(TOKYO)
