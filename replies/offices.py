"""Office blocks: name, hours, closing days and whether it is open right now."""

from __future__ import annotations

import datetime as dt
from typing import List

from kb.calendar import opening_status
from kb.models import Office

from replies.labels import moment_ja, time_ja


def status_line(office: Office, now: dt.datetime) -> str:
    """「いま受付中（18:30まで）」 or 「次に受付できるのは …」 for this office at ``now``."""
    status = opening_status(office, now)
    if not status.known:
        return "受付時間はページに記載がありません。"
    if status.is_open:
        until = status.reception_until or status.closes_at
        return f"いま受付中です（本日の受付は{time_ja(until)}まで）。" if until else "いま受付中です。"
    reason = f"（{status.reason}）" if status.reason else ""
    if status.next_open:
        return f"現在は受付時間外です{reason}。次の受付開始は{moment_ja(status.next_open)}です。"
    return f"現在は受付時間外です{reason}。"


def office_block(office: Office, now: dt.datetime) -> str:
    """A short multi-line description of one office."""
    lines = [f"■{office.name}"]
    if office.location:
        lines.append(office.location)
    lines.extend(line if line.startswith("※") else f"・{line}" for line in office.describe_hours())
    if office.phone:
        lines.append(f"電話 {office.phone}")
    lines.append(status_line(office, now))
    lines.extend(f"※{note}" for note in office.notes)
    return "\n".join(lines)


def offices_text(offices: List[Office], now: dt.datetime) -> str:
    """All offices for a procedure, one block each."""
    return "\n\n".join(office_block(office, now) for office in offices)
