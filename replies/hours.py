"""Japanese text for times and an office's opening hours (the words; kb/ holds the rules)."""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from kb.ids import WEEKDAY_LABELS
from kb.models import DaySelector, HoursRule, Office

# One-character weekday names: a moment's day, and the one-line office list of a case answer.
SHORT_WEEKDAYS = "月火水木金土日"


def clock(value: dt.time) -> str:
    """9:00, 16:30 (no leading zero)."""
    return f"{value.hour}:{value.minute:02d}"


def moment_ja(moment: dt.datetime) -> str:
    """Format a moment as 11月24日（火）9:00."""
    return f"{moment.month}月{moment.day}日（{SHORT_WEEKDAYS[moment.weekday()]}）{clock(moment.time())}"


def weekday_label(days: frozenset[int], names: Sequence[str] = WEEKDAY_LABELS) -> str:
    """月曜日〜金曜日 for a run of three or more days, else 土曜日・日曜日; 毎日 for all seven."""
    ordered = sorted(days)
    if len(ordered) == 7:
        return "毎日"
    if len(ordered) >= 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{names[ordered[0]]}〜{names[ordered[-1]]}"
    return "・".join(names[d] for d in ordered)


def selector_label(selector: DaySelector) -> str:
    """Japanese for a day selector, e.g. 第2・第3・第4日曜日."""
    base = weekday_label(selector.days)
    if selector.nth:
        base = "・".join(f"第{n}" for n in sorted(selector.nth)) + base
    if selector.after is not None:
        base = f"毎月第{selector.after.nth}{WEEKDAY_LABELS[selector.after.weekday]}に続く{base}"
    return base


def _day_label(selector: DaySelector, short: bool) -> str:
    """selector_label, or for the one-line list 火〜金 and 第2・第3・第4日曜."""
    if not short:
        return selector_label(selector)
    if selector.nth or selector.after is not None:
        return selector_label(selector).replace("曜日", "曜")
    return weekday_label(selector.days, SHORT_WEEKDAYS)


def _period(rule: HoursRule, short: bool) -> str:
    """9:00〜19:00（受付は18:30まで）, or for the one-line list （受付18:30まで）."""
    text = f"{clock(rule.open)}〜{clock(rule.close)}"
    if rule.reception_until is not None:
        text += f"（受付{'' if short else 'は'}{clock(rule.reception_until)}まで）"
    return text


def _merged(office: Office, short: bool) -> list[tuple[list[str], list[str]]]:
    """(day labels, periods) with the days that share the same periods merged (土曜日・第2・第3・第4日曜日)."""
    groups: dict[str, list[str]] = {}
    for rule in office.hours:
        groups.setdefault(rule.label or _day_label(rule.selector, short), []).append(_period(rule, short))
    merged: dict[tuple[str, ...], list[str]] = {}
    for label, periods in groups.items():
        merged.setdefault(tuple(periods), []).append(label)
    return [(labels, list(periods)) for periods, labels in merged.items()]


def describe_hours(office: Office) -> list[str]:
    """One line per group of days with the same periods, then closing days and exceptions."""
    if not office.hours:
        return []
    lines = [f"{'・'.join(labels)} {'、'.join(periods)}" for labels, periods in _merged(office, short=False)]
    return lines + _closing_notes(office)


def _closing_notes(office: Office) -> list[str]:
    """Closing days, their exceptions, no-PIN windows, dateless openings and what the page leaves out."""
    lines = []
    if office.closed:
        lines.append("休み：" + "、".join(rule.label for rule in office.closed))
    lines.extend(f"※{rule.except_label}" for rule in office.closed if rule.except_label)
    lines.extend(
        f"※{w.label}は、{w.reason}などのため、暗証番号などの手続きができません。" for w in office.no_pin_service
    )
    lines.extend(
        f"※{span.label}にも開設（日付はページに記載がありません）" for span in office.uncertain_days if span.label
    )
    if office.hours_note and not office.hours_complete:
        lines.append(f"※{office.hours_note}")
    return lines


def compact_hours(office: Office) -> str:
    """「火〜金 9:00〜19:00（受付18:30まで）、土 9:00〜17:00（受付16:30まで）」: an office's days and hours on one line."""
    merged = _merged(office, short=True)
    return "、".join(f"{'・'.join(labels)} {'・'.join(periods)}" for labels, periods in merged)
