"""Office blocks: name, hours, closing days and what the page lets us say about right now."""

from __future__ import annotations

import datetime as dt
from typing import Callable, Dict, List, Optional

from kb.calendar import opening_status
from kb.models import Certainty, Office, OpeningStatus, Reason
from replies.hours import clock, compact_hours, describe_hours, moment_ja

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
    return "、".join(f"{clock(start)}〜{clock(end)}" for start, end in status.later_today)


def status_line(office: Office, now: dt.datetime, ask: str = "") -> str:
    """What the page lets us say about ``now``: open until …, closed and next opening, or only what the page says.

    ``ask`` (「お越しの前に…へお問い合わせください。」) follows where the page leaves the resident unsure; it is
    empty for a city whose page gives no phone number.
    """
    status = opening_status(office, now)
    if status.certainty is Certainty.NO_HOURS:
        return f"受付時間はページに記載がありません。{ask}"
    if status.certainty is Certainty.NO_DAYS:
        return _no_days_line(office, status, ask)
    if status.certainty is Certainty.UNCERTAIN_DAY:
        doubts = "".join(status.notes)
        return f"本日は、ページに開設の記載があるものの日付が書かれていない休日にあたるため、開いているかはお答えできません。{doubts}{ask}"
    return _open_line(status) if status.is_open else _closed_line(status)


def _no_days_line(office: Office, status: OpeningStatus, ask: str) -> str:
    """A time of day without weekdays on the page (龍ケ崎市 市民窓口ステーション): say only that."""
    hours = "、".join(line for line in describe_hours(office) if not line.startswith("※"))
    text = f"ページには「{hours}」とだけあり、曜日や休業日の記載がないため、いま受付中かはお答えできません。{ask}"
    if status.reason is Reason.NO_PIN_SERVICE:
        text = f"ページによると、{_reason_text(status)}。" + text
    return text


def _open_line(status: OpeningStatus) -> str:
    """「いま受付中です（本日の受付は18:30まで）。」."""
    until = status.reception_until or status.closes_at
    text = f"いま受付中です（本日の受付は{clock(until)}まで" if until else "いま受付中です（"
    later = _later(status)
    text += f"。{later}も受付）。" if later else "）。"
    return text.replace("（）", "")


def _closed_line(status: OpeningStatus) -> str:
    """Closed now: why, and when it opens next (later today or another day)."""
    words = _reason_text(status)
    reason = f"（{words}）" if words else ""
    later = _later(status)
    if later:
        return f"ただいま受付時間外です{reason}。本日は{later}に受付します。"
    if status.next_open:
        return f"ただいま受付時間外です{reason}。次の受付は{moment_ja(status.next_open)}からです。"
    return f"ただいま受付時間外です{reason}。"


def office_block(office: Office, now: dt.datetime, ask: str = "", name: Optional[str] = None) -> str:
    """A multi-line description of one office with everything its page says about it."""
    lines = [f"■{name or office.name}"]
    lines += [text for text in (office.location, office.address) if text]
    lines.extend(line if line.startswith("※") else f"・{line}" for line in describe_hours(office))
    if office.phone:
        lines.append(f"電話 {office.phone}")
    lines.append(status_line(office, now, ask))
    lines.extend(f"※{note}" for note in office.notes)
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


def _grouped(offices: List[Office], key: Callable[[Office], tuple]) -> List[List[Office]]:
    """The offices in groups of the same ``key``, in the order of their first office."""
    groups: Dict[tuple, List[Office]] = {}
    for office in offices:
        groups.setdefault(key(office), []).append(office)
    return list(groups.values())


def office_blocks(offices: List[Office], now: dt.datetime, ask: str = "") -> List[str]:
    """One block per office; offices with the same hours and notes share one block (三鷹台・東部・西部市政窓口)."""
    groups = _grouped(offices, _same_rules)
    return [office_block(group[0], now, ask, name="・".join(o.name for o in group)) for group in groups]


def offices_page(offices: List[Office], now: dt.datetime, ask: str, budget: int, page: int) -> tuple[List[str], bool]:
    """Page ``page`` (0, 1, ...) of the office blocks within ``budget`` characters, and whether more pages follow."""
    pages: List[List[str]] = [[]]
    # Offices open now come first, so that the first page answers "where can I go now?".
    ordered = sorted(offices, key=lambda office: not opening_status(office, now).is_open)
    for block in office_blocks(ordered, now, ask):
        if pages[-1] and len("\n\n".join(pages[-1] + [block])) > budget:
            pages.append([])
        pages[-1].append(block)
    index = min(page, len(pages) - 1)
    return pages[index], index + 1 < len(pages)


# ---- The one-line office list of a case answer (issue 22: every office, open-now first, nothing behind a button).

OPEN_MARK = "◎"
LINE_MARK = "・"


def _place(office: Office) -> str:
    """「（三鷹産業プラザ6階。…）」: where the office is and its own phone, as far as the page says."""
    parts = [part for part in (office.brief or office.address, f"電話 {office.phone}" if office.phone else "") if part]
    return f"（{'。'.join(parts)}）" if parts else ""


def _closing_labels(office: Office) -> tuple[str, ...]:
    """The office's closing days other than weekly ones (those follow from its days)."""
    return tuple(rule.label for rule in office.closed if rule.kind != "weekly")


def _when(office: Office, common_closed: tuple[str, ...]) -> str:
    """Days and hours, the closing days that differ from the other offices', and what the page leaves open."""
    if not office.has_hours:
        return "受付時間はページに記載がありません"
    own = [label for label in _closing_labels(office) if label not in common_closed]
    text = compact_hours(office) + (f"（休み：{'、'.join(own)}）" if own else "")
    text += "".join(f"（{rule.except_label.rstrip('。')}）" for rule in office.closed if rule.except_label)
    return text + _caveats(office)


def _caveats(office: Office) -> str:
    """Openings without dates, missing weekdays, and times when PIN procedures are not handled."""
    text = "".join(f"、{span.label}にも開設（日付の記載なし）" for span in office.uncertain_days if span.label)
    if not office.hours_complete:
        text += "（曜日・休業日の記載なし）"
    if office.no_pin_service:
        text += f"。{'・'.join(w.label for w in office.no_pin_service)}は暗証番号などの手続きができません"
    return text


def _is_open_now(office: Office, now: dt.datetime) -> bool:
    status = opening_status(office, now)
    return status.is_open and status.certainty is Certainty.KNOWN


def common_closing(offices: List[Office]) -> tuple[str, ...]:
    """The closing days every office with hours shares (said once under the list)."""
    timed = [office for office in offices if office.has_hours and office.hours_complete]
    if not timed:
        return ()
    shared = [label for label in _closing_labels(timed[0]) if all(label in _closing_labels(o) for o in timed[1:])]
    return tuple(shared)


def office_line(group: List[Office], now: dt.datetime, common_closed: tuple[str, ...]) -> str:
    """「◎三鷹市マイナンバーカードセンター（三鷹産業プラザ6階）：火〜金 9:00〜19:00…」: one office (or identical ones)."""
    mark = OPEN_MARK if _is_open_now(group[0], now) else LINE_MARK
    return f"{mark}{'・'.join(o.name for o in group)}{_place(group[0])}：{_when(group[0], common_closed)}"


def _heading(offices: List[Office], now: dt.datetime) -> str:
    """What the marks mean, or when the next opening is when nothing is open."""
    if not any(office.has_hours and office.hours_complete for office in offices):
        return "窓口："
    at = moment_ja(now)
    if any(_is_open_now(office, now) for office in offices):
        return f"窓口と受付時間（{OPEN_MARK}は{at}現在受付中）："
    upcoming = sorted(
        (status.next_open, office.name)
        for office in offices
        if (status := opening_status(office, now)).next_open is not None and status.certainty is Certainty.KNOWN
    )
    if upcoming:
        moment, name = upcoming[0]
        return f"窓口と受付時間（{at}現在、受付中の窓口はありません。次の受付は{moment_ja(moment)}から{name}）："
    return f"窓口と受付時間（{at}現在、受付中の窓口はありません）："


def office_list_lines(offices: List[Office], now: dt.datetime) -> List[str]:
    """Every office on one line each, open-now first, then the closing days they share and their exceptions."""
    common = common_closing(offices)
    # Offices with the same rules and no place of their own share one line (三鷹台・東部・西部市政窓口).
    groups = _grouped(offices, lambda office: (office.id,) if _place(office) else _same_rules(office))
    groups.sort(key=lambda group: not _is_open_now(group[0], now))
    lines = [_heading(offices, now), *(office_line(group, now, common) for group in groups)]
    if common:
        lines.append(f"※休み：{'、'.join(common)}")
    return lines


def office_key_notes(offices: List[Office]) -> List[str]:
    """The page's notes about the offices that the first answer carries (reservation)."""
    return [f"※{note}" for office in offices for note in office.key_notes]
