"""Opening status of an office at a moment, in Asia/Tokyo time.

"Open" here means a resident can start a PIN procedure: inside opening hours, before the
reception cut-off, not on a holiday / 年末年始 / closed weekday, and outside windows where the
office is open but does not handle PIN procedures (e.g. system maintenance).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

import jpholiday

from kb.models import Certainty, Office, OpeningStatus, Reason

NEXT_OPEN_HORIZON_DAYS = 30
_DAY_END = 24 * 60
# Asia/Tokyo as a fixed offset: Japan has had no daylight saving time since 1951, and no tz database is needed.
JST = dt.timezone(dt.timedelta(hours=9), "JST")


def to_tokyo(at: dt.datetime) -> dt.datetime:
    """Convert to Asia/Tokyo; a naive datetime is taken to be Tokyo time already."""
    return at.replace(tzinfo=JST) if at.tzinfo is None else at.astimezone(JST)


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def _clock(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


@dataclass(frozen=True)
class Period:
    """An interval of a day in minutes; procedures can start until `until`."""

    start: int
    end: int
    reception_until: Optional[int] = None

    @property
    def until(self) -> int:
        """Last minute (exclusive) at which a procedure can be started."""
        return self.reception_until if self.reception_until is not None else self.end


def closure(office: Office, day: dt.date) -> Optional[tuple[Reason, Optional[str]]]:
    """(reason, detail) when a closing rule shuts the office all day, else None."""
    priority = {"year_end": 0, "public_holiday": 1, "weekly": 2}
    for rule in sorted(office.closed, key=lambda r: priority[r.kind]):
        # `days` scopes holiday / 年末年始 rules ("月曜日から金曜日(祝日を除く)"); for weekly rules it is the rule.
        if rule.kind != "weekly" and rule.days is not None and day.weekday() not in rule.days:
            continue
        if any(sel.matches(day) for sel in rule.excepts):
            continue
        if rule.kind == "year_end" and rule.year_end is not None and rule.year_end.contains(day):
            return Reason.YEAR_END, rule.label
        if rule.kind == "public_holiday" and (name := jpholiday.is_holiday_name(day)):
            return Reason.HOLIDAY, name
        if rule.kind == "weekly" and rule.days is not None and day.weekday() in rule.days:
            return Reason.WEEKLY_CLOSED, rule.label
    return None


def raw_periods(office: Office, day: dt.date) -> list[Period]:
    """Opening periods from the hours rules alone, sorted."""
    periods = [
        Period(_minutes(r.open), _minutes(r.close), _minutes(r.reception_until) if r.reception_until else None)
        for r in office.hours
        if r.selector.matches(day)
    ]
    return sorted(periods, key=lambda p: p.start)


def blocked(office: Office, day: dt.date) -> list[tuple[int, int, str, str]]:
    """(start, end, reason, label) of the no-PIN-service windows that apply on `day`."""
    return [
        (_minutes(w.start) if w.start else 0, _minutes(w.end) if w.end else _DAY_END, w.reason, w.label)
        for w in office.no_pin_service
        if w.selector is None or w.selector.matches(day)
    ]


def _subtract(period: Period, blocks: list[tuple[int, int, str, str]]) -> list[Period]:
    pieces = [(period.start, period.end)]
    for b_start, b_end, _, _ in blocks:
        pieces = [part for s, e in pieces for part in ((s, min(e, b_start)), (max(s, b_end), e)) if part[0] < part[1]]
    rec = period.reception_until
    return [Period(s, e, rec if rec is not None and s < rec < e else None) for s, e in pieces]


def service_periods(office: Office, day: dt.date) -> list[Period]:
    """Periods on `day` when PIN procedures can be started (empty on closed days)."""
    if closure(office, day) is not None:
        return []
    blocks = blocked(office, day)
    return [piece for p in raw_periods(office, day) for piece in _subtract(p, blocks)]


def next_open(office: Office, at: dt.datetime, horizon_days: int = NEXT_OPEN_HORIZON_DAYS) -> Optional[dt.datetime]:
    """First start of a service period strictly after `at`, within `horizon_days`."""
    at = to_tokyo(at)
    for offset in range(horizon_days + 1):
        day = at.date() + dt.timedelta(days=offset)
        for period in service_periods(office, day):
            start = dt.datetime.combine(day, _clock(period.start), tzinfo=at.tzinfo)
            if start > at:
                return start
    return None


def _closed_reason(office: Office, day: dt.date, minute: int) -> tuple[Reason, Optional[str], Optional[str]]:
    """(reason, detail, service reason) for a moment that is not open for PIN procedures."""
    shut = closure(office, day)
    if shut is not None:
        return shut[0], shut[1], None
    raws = raw_periods(office, day)
    inside = next((p for p in raws if p.start <= minute < p.end), None)
    window = _window_now(office, day, minute, raws)
    if window is not None:
        return Reason.NO_PIN_SERVICE, window[1], window[0]
    if inside is not None and minute >= inside.until:
        return Reason.AFTER_RECEPTION, None, None
    if not raws:
        return Reason.NOT_LISTED_DAY, None, None
    return Reason.OUTSIDE_HOURS, None, None


def _window_now(office: Office, day: dt.date, minute: int, raws: list[Period]) -> Optional[tuple[str, str]]:
    """(reason, label) of the no-PIN-service window the page names for this moment, if any."""
    for b_start, b_end, reason, label in blocked(office, day):
        covers_all = bool(raws) and all(b_start <= p.start and p.end <= b_end for p in raws)
        inside = any(p.start <= minute < p.end for p in raws)
        if covers_all or (inside and b_start <= minute < b_end):
            return reason, label
    return None


def _later_today(office: Office, day: dt.date, minute: int) -> tuple[tuple[dt.time, dt.time], ...]:
    """(start, reception end) of the sessions that start later on the same day (午後の部 after a lunch break)."""
    return tuple((_clock(p.start), _clock(p.until)) for p in service_periods(office, day) if p.start > minute)


def opening_status(office: Office, at: dt.datetime) -> OpeningStatus:
    """Can a PIN procedure be started at `office` at `at`, and if not, why and when next.

    Where the page gives no weekdays (`hours_complete: false`) the status is never open or closed: only a
    no-PIN-service window the page names for that moment is reported.
    """
    notes = (office.hours_note,) if office.hours_note and not office.hours_complete else ()
    if not office.has_hours:
        return OpeningStatus(is_open=False, certainty=Certainty.NO_HOURS, notes=notes)
    at = to_tokyo(at)
    day, minute = at.date(), at.hour * 60 + at.minute
    if not office.hours_complete:
        window = _window_now(office, day, minute, raw_periods(office, day))
        return OpeningStatus(
            is_open=False,
            certainty=Certainty.NO_DAYS,
            reason=Reason.NO_PIN_SERVICE if window else None,
            detail=window[1] if window else None,
            service_reason=window[0] if window else None,
            notes=notes,
        )
    for period in service_periods(office, day):
        if period.start <= minute < period.until:
            return OpeningStatus(
                is_open=True,
                closes_at=_clock(period.end),
                reception_until=_clock(period.reception_until) if period.reception_until is not None else None,
                later_today=_later_today(office, day, minute),
                notes=notes,
            )
    reason, detail, service_reason = _closed_reason(office, day, minute)
    # The page mentions openings on these days without dates: a "closed" answer may be wrong.
    # 「3月下旬の休日」: only weekends and public holidays of that span are in doubt.
    holiday = day.weekday() >= 5 or bool(jpholiday.is_holiday_name(day))
    doubts = tuple(u.note for u in office.uncertain_days if holiday and u.contains(day))
    return OpeningStatus(
        is_open=False,
        certainty=Certainty.UNCERTAIN_DAY if doubts else Certainty.KNOWN,
        next_open=next_open(office, at),
        later_today=_later_today(office, day, minute),
        reason=reason,
        detail=detail,
        service_reason=service_reason,
        notes=notes + doubts,
    )
