"""Office blocks: name, hours, closing days and what the page lets us say about right now."""

from __future__ import annotations

import datetime as dt
from typing import Dict, List, Optional

from kb.calendar import opening_status
from kb.models import Certainty, Office, OpeningStatus, Reason
from replies.hours import describe_hours
from replies.labels import moment_ja, time_ja

# How each closing reason reads in the status line; the detail (holiday name, page label) is added after it.
REASON_WORDS = {
    Reason.HOLIDAY: "祝日のため休み",
    Reason.YEAR_END: "年末年始のため休み",
    Reason.WEEKLY_CLOSED: "休館日",
    Reason.NOT_LISTED_DAY: "本日は受付日ではありません",  # the page lists no hours for this weekday
    Reason.OUTSIDE_HOURS: "",  # the line itself says 受付時間外
    Reason.AFTER_RECEPTION: "本日の受付は終了",
    Reason.NO_PIN_SERVICE: "暗証番号の手続きができない時間",
}


def _reason_text(status: OpeningStatus) -> str:
    if status.reason is None:
        return ""
    words = REASON_WORDS[status.reason]
    if status.reason is Reason.HOLIDAY and status.detail:
        return f"{words}：{status.detail}"
    if status.reason is Reason.NO_PIN_SERVICE and status.detail:
        return (
            f"{status.detail}は"
            + (f"{status.service_reason}などのため" if status.service_reason else "")
            + "暗証番号の手続きができません"
        )
    return words


def _later(status: OpeningStatus) -> str:
    return "、".join(f"{time_ja(start)}〜{time_ja(end)}" for start, end in status.later_today)


def status_line(office: Office, now: dt.datetime, contact: Optional[str] = None) -> str:
    """What the page lets us say about ``now``: open until …, closed and next opening, or only what the page says."""
    status = opening_status(office, now)
    ask = f"お越しの前に{contact}へお問い合わせください。" if contact else "お越しの前にお問い合わせください。"
    if status.certainty is Certainty.NO_HOURS:
        return f"受付時間はページに記載がありません。{ask}"
    if status.certainty is Certainty.NO_DAYS:
        hours = "、".join(line for line in describe_hours(office) if not line.startswith("※"))
        text = f"ページには「{hours}」とだけあり、曜日や休業日の記載がないため、いま受付中かはお答えできません。{ask}"
        if status.reason is Reason.NO_PIN_SERVICE:
            text = f"ページによると、{_reason_text(status)}。" + text
        return text
    if status.certainty is Certainty.UNCERTAIN_DAY:
        doubts = "".join(status.notes)
        return f"本日は、ページに開設の記載があるものの日付が書かれていない休日にあたるため、開いているかはお答えできません。{doubts}{ask}"
    if status.is_open:
        until = status.reception_until or status.closes_at
        text = f"いま受付中です（本日の受付は{time_ja(until)}まで" if until else "いま受付中です（"
        later = _later(status)
        text += f"。{later}も受付）。" if later else "）。"
        return text.replace("（）", "")
    words = _reason_text(status)
    reason = f"（{words}）" if words else ""
    later = _later(status)
    if later:
        return f"ただいま受付時間外です{reason}。本日は{later}に受付します。"
    if status.next_open:
        return f"ただいま受付時間外です{reason}。次の受付は{moment_ja(status.next_open)}からです。"
    return f"ただいま受付時間外です{reason}。"


def office_block(
    office: Office,
    now: dt.datetime,
    contact: Optional[str] = None,
    notes: Optional[int] = None,
    name: Optional[str] = None,
) -> str:
    """A short multi-line description of one office; ``notes`` caps the length of the page notes shown (0: none)."""
    lines = [f"■{name or office.name}"]
    if office.location:
        lines.append(office.location)
    lines.extend(line if line.startswith("※") else f"・{line}" for line in describe_hours(office))
    if office.phone:
        lines.append(f"電話 {office.phone}")
    lines.append(status_line(office, now, contact))
    lines.extend(f"※{note}" for note in office.notes if notes is None or len(note) <= notes)
    return "\n".join(lines)


def _same_rules(office: Office) -> tuple:
    """What makes two offices' blocks identical apart from the name (三鷹台・東部・西部市政窓口)."""
    return (
        office.location,
        office.phone,
        office.hours,
        office.hours_complete,
        office.hours_note,
        office.closed,
        office.no_pin_service,
        office.uncertain_days,
        office.notes,
    )


def office_blocks(
    offices: List[Office], now: dt.datetime, contact: Optional[str] = None, notes: Optional[int] = None
) -> List[str]:
    """One block per office; offices with the same hours and notes share one block (三鷹台・東部・西部市政窓口)."""
    groups: Dict[tuple, List[Office]] = {}
    for office in offices:
        groups.setdefault(_same_rules(office), []).append(office)
    return [
        office_block(group[0], now, contact, notes, name="・".join(o.name for o in group)) for group in groups.values()
    ]


def offices_text(
    offices: List[Office], now: dt.datetime, contact: Optional[str] = None, notes: Optional[int] = None
) -> str:
    """The given offices, one block each (shared blocks for identical offices)."""
    return "\n\n".join(office_blocks(offices, now, contact, notes))


def offices_page(
    offices: List[Office], now: dt.datetime, contact: Optional[str], budget: int, page: int
) -> tuple[str, bool]:
    """Page ``page`` (0, 1, ...) of the office blocks within ``budget`` characters, and whether more pages follow."""
    pages: List[List[str]] = [[]]
    # Offices open now come first, so that the first page answers "where can I go now?".
    ordered = sorted(offices, key=lambda office: not opening_status(office, now).is_open)
    for block in office_blocks(ordered, now, contact):
        if pages[-1] and len("\n\n".join(pages[-1] + [block])) > budget:
            pages.append([])
        pages[-1].append(block)
    index = min(page, len(pages) - 1)
    return "\n\n".join(pages[index]), index + 1 < len(pages)
