"""Date and time formatting for Japanese answers."""

from __future__ import annotations

import datetime as dt
from typing import Optional

WEEKDAYS = "月火水木金土日"


def date_ja(day: Optional[dt.date]) -> str:
    """Format a date as 2025年4月30日."""
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"


def moment_ja(moment: dt.datetime) -> str:
    """Format a moment as 11月24日（火）9:00."""
    return f"{moment.month}月{moment.day}日（{WEEKDAYS[moment.weekday()]}）{time_ja(moment.time())}"


def time_ja(moment: dt.time) -> str:
    """Format a time of day as 9:00."""
    return f"{moment.hour}:{moment.minute:02d}"
