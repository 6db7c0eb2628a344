"""Japanese text for an office's opening hours (the words; kb/ holds the rules)."""

from __future__ import annotations

import datetime as dt

from kb.ids import WEEKDAY_LABELS
from kb.models import DaySelector, HoursRule, Office


def clock(value: dt.time) -> str:
    """9:00, 16:30 (no leading zero)."""
    return f"{value.hour}:{value.minute:02d}"


def weekday_label(days: frozenset[int]) -> str:
    """月曜日〜金曜日 for a run of three or more days, else 土曜日・日曜日."""
    ordered = sorted(days)
    if len(ordered) == 7:
        return "毎日"
    if len(ordered) >= 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{WEEKDAY_LABELS[ordered[0]]}〜{WEEKDAY_LABELS[ordered[-1]]}"
    return "・".join(WEEKDAY_LABELS[d] for d in ordered)


def selector_label(selector: DaySelector) -> str:
    """Japanese for a day selector, e.g. 第2・第3・第4日曜日."""
    base = weekday_label(selector.days)
    if selector.nth:
        base = "・".join(f"第{n}" for n in sorted(selector.nth)) + base
    if selector.after is not None:
        base = f"毎月第{selector.after.nth}{WEEKDAY_LABELS[selector.after.weekday]}に続く{base}"
    return base


def _period(rule: HoursRule) -> str:
    text = f"{clock(rule.open)}〜{clock(rule.close)}"
    if rule.reception_until is not None:
        text += f"（受付は{clock(rule.reception_until)}まで）"
    return text


def describe_hours(office: Office) -> list[str]:
    """One line per group of days with the same periods, then closing days and exceptions."""
    if not office.hours:
        return []
    groups: dict[str, list[str]] = {}
    for rule in office.hours:
        label = rule.label or selector_label(rule.selector)
        groups.setdefault(label, []).append(_period(rule))
    merged: dict[tuple[str, ...], list[str]] = {}
    for label, periods in groups.items():
        merged.setdefault(tuple(periods), []).append(label)
    lines = [f"{'・'.join(labels)} {'、'.join(periods)}" for periods, labels in merged.items()]
    if office.closed:
        lines.append("休み：" + "、".join(rule.label for rule in office.closed))
    lines.extend(f"※{rule.except_label}" for rule in office.closed if rule.except_label)
    lines.extend(f"※{w.label}は暗証番号などの手続きができません（{w.reason}）" for w in office.no_pin_service)
    lines.extend(
        f"※{span.label}にも開設（日付はページに記載がありません）" for span in office.uncertain_days if span.label
    )
    if office.hours_note and not office.hours_complete:
        lines.append(f"※{office.hours_note}")
    return lines
