"""Opening status in Asia/Tokyo: holidays (jpholiday), 年末年始, nth-weekday rules and maintenance windows."""

from __future__ import annotations

import datetime as dt
from typing import Optional
from zoneinfo import ZoneInfo

import pytest

from kb.calendar import next_open, opening_status
from kb.models import Certainty, Reason
from kb.store import KnowledgeBase
from replies.hours import describe_hours

TOKYO = ZoneInfo("Asia/Tokyo")


def at(text: str) -> dt.datetime:
    """An aware Tokyo datetime from 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=TOKYO)


# office, moment, is_open, reason, next_open (closed) or closes_at (open)
CASES: list[tuple[str, str, bool, Optional[Reason], Optional[str]]] = [
    # 2026-05-06 (Wed) is 振替休日
    ("mitaka_card_center", "2026-05-06 10:00", False, Reason.HOLIDAY, "2026-05-07 09:00"),
    ("mitaka_city_hall", "2026-05-06 10:00", False, Reason.HOLIDAY, "2026-05-07 08:30"),
    ("chiba_ward_offices", "2026-05-06 10:00", False, Reason.HOLIDAY, "2026-05-07 08:30"),
    # 2026-09-22 (Tue) is 国民の休日, between 敬老の日 and 秋分の日
    ("mitaka_city_hall", "2026-09-22 10:00", False, Reason.HOLIDAY, "2026-09-24 08:30"),
    ("chiba_citizen_centers", "2026-09-22 10:00", False, Reason.HOLIDAY, "2026-09-24 08:30"),
    # 2026-12-28 (Mon) 17:00, each office by its own hours
    ("chiba_ward_offices", "2026-12-28 17:00", True, None, "17:30"),
    ("mitaka_city_hall", "2026-12-28 16:59", True, None, "17:00"),
    ("mitaka_city_hall", "2026-12-28 17:00", False, Reason.OUTSIDE_HOURS, "2027-01-04 08:30"),
    ("mitaka_card_center", "2026-12-28 17:00", False, Reason.WEEKLY_CLOSED, "2027-01-05 09:00"),
    ("mitaka_ekimae", "2026-12-28 17:00", False, Reason.OUTSIDE_HOURS, "2027-01-04 09:00"),
    # 年末年始
    ("chiba_ward_offices", "2026-12-29 10:00", False, Reason.YEAR_END, "2027-01-04 08:30"),
    ("mitaka_card_center", "2026-12-29 10:00", False, Reason.YEAR_END, "2027-01-05 09:00"),
    ("mitaka_city_hall", "2027-01-01 10:00", False, Reason.YEAR_END, "2027-01-04 08:30"),
    # 2027-01-04 08:30: first minute of an office that opens at 08:30
    ("mitaka_city_hall", "2027-01-04 08:30", True, None, "17:00"),
    ("chiba_ward_offices", "2027-01-04 08:30", True, None, "17:30"),
    ("mitaka_city_hall", "2027-01-04 08:29", False, Reason.OUTSIDE_HOURS, "2027-01-04 08:30"),
    # 第2日曜日 (2026-06-14) and 第3日曜日 (2026-06-21)
    ("chiba_ward_offices", "2026-06-14 10:00", True, None, "12:30"),
    ("chiba_ward_offices", "2026-06-14 12:30", False, Reason.OUTSIDE_HOURS, "2026-06-15 08:30"),
    ("chiba_ward_offices", "2026-06-21 10:00", False, Reason.NOT_LISTED_DAY, "2026-06-22 08:30"),
    ("chiba_citizen_centers", "2026-06-14 10:00", False, Reason.NOT_LISTED_DAY, "2026-06-15 08:30"),
    ("mitaka_ekimae", "2026-06-14 10:00", True, None, "11:00"),
    ("mitaka_ekimae", "2026-06-21 14:00", True, None, "16:30"),
    ("mitaka_ekimae", "2026-06-21 11:30", False, Reason.OUTSIDE_HOURS, "2026-06-21 13:00"),
    ("mitaka_ekimae", "2026-06-07 10:00", False, Reason.NOT_LISTED_DAY, "2026-06-08 09:00"),  # 第1日曜日
    ("mitaka_ekimae", "2026-05-31 10:00", False, Reason.NOT_LISTED_DAY, "2026-06-01 09:00"),  # 第5日曜日
    # 2027-03-21 is a 第3日曜日 and 春分の日: 三鷹駅前 opens (page exception), 千葉 has no 第3日曜日 hours
    ("mitaka_ekimae", "2027-03-21 10:00", True, None, "11:00"),
    (
        "mitaka_card_center",
        "2027-03-21 10:00",
        False,
        Reason.HOLIDAY,
        "2027-03-23 09:00",
    ),  # holiday outranks the weekly rule
    # reception cut-off before closing
    ("mitaka_card_center", "2026-06-16 18:29", True, None, "19:00"),
    ("mitaka_card_center", "2026-06-16 18:30", False, Reason.AFTER_RECEPTION, "2026-06-17 09:00"),
]


@pytest.mark.parametrize(("office_id", "moment", "is_open", "reason", "expected"), CASES)
def test_opening_status(
    kb: KnowledgeBase, office_id: str, moment: str, is_open: bool, reason: Optional[str], expected: Optional[str]
) -> None:
    status = opening_status(kb.office(office_id), at(moment))
    assert status.certainty is not Certainty.NO_HOURS
    assert (status.is_open, status.reason) == (is_open, reason)
    if is_open:
        assert status.closes_at == dt.time.fromisoformat(expected or "")
        assert status.next_open is None
    else:
        assert status.next_open == at(expected or "")
        assert status.closes_at is None


def test_chiba_holiday_rule_covers_weekdays_only(kb: KnowledgeBase) -> None:
    # 2029-02-11 is a 第2日曜日 and 建国記念の日; the page excludes holidays only for 月曜日から金曜日.
    status = opening_status(kb.office("chiba_ward_offices"), at("2029-02-11 10:00"))
    assert (status.is_open, status.closes_at) == (True, dt.time(12, 30))
    assert opening_status(kb.office("mitaka_city_hall"), at("2029-02-12 10:00")).reason is Reason.HOLIDAY  # 振替休日


def test_holiday_detail_names_the_holiday(kb: KnowledgeBase) -> None:
    assert opening_status(kb.office("mitaka_card_center"), at("2026-05-06 10:00")).detail == "憲法記念日 振替休日"
    assert opening_status(kb.office("mitaka_city_hall"), at("2026-09-22 10:00")).detail == "国民の休日"


def test_reception_until_is_reported(kb: KnowledgeBase) -> None:
    status = opening_status(kb.office("mitaka_card_center"), at("2026-06-20 10:00"))  # Saturday
    assert (status.is_open, status.closes_at, status.reception_until) == (True, dt.time(17), dt.time(16, 30))


# 龍ケ崎市 市民窓口ステーション: the page gives 「受付時間は午前10時30分から午後7時まで」 with no weekdays or closing
# days, so the status is never open or closed; only its no-PIN windows (after 18:00, the Sunday after the 3rd
# Saturday) are reported, because the page states them.
STATION: list[tuple[str, Optional[str]]] = [
    ("2026-06-16 17:59", None),
    ("2026-06-16 18:00", "午後6時以降"),
    ("2026-06-16 18:45", "午後6時以降"),
    ("2026-06-16 19:30", None),
    ("2026-06-21 12:00", "毎月第3土曜日に続く日曜日"),
    # February 2026 starts on a Sunday: the Sunday after the 3rd Saturday (21st) is the 22nd, not the 3rd Sunday (15th)
    ("2026-02-22 12:00", "毎月第3土曜日に続く日曜日"),
    ("2026-02-15 12:00", None),
    ("2027-01-01 12:00", None),  # 元日: the page says nothing about holidays, so neither do we
]


@pytest.mark.parametrize(("moment", "window"), STATION)
def test_station_without_weekdays_is_never_open_or_closed(
    kb: KnowledgeBase, moment: str, window: Optional[str]
) -> None:
    status = opening_status(kb.office("ryugasaki_station"), at(moment))
    assert (status.certainty, status.is_open, status.next_open) == (Certainty.NO_DAYS, False, None)
    assert status.detail == window
    assert status.reason == (Reason.NO_PIN_SERVICE if window else None)
    assert status.notes  # NO_DAYS: neither open nor closed, and the page's note says why


def test_late_march_holiday_is_flagged_for_chiba(kb: KnowledgeBase) -> None:
    # 3月下旬の休日 may open, but the page gives no dates: closed, yet not a confident answer.
    status = opening_status(kb.office("chiba_ward_offices"), at("2027-03-21 10:00"))
    assert (status.is_open, status.certainty) == (False, Certainty.UNCERTAIN_DAY)
    assert any("休日開庁日" in n for n in status.notes)
    # A weekday evening of late March is plainly closed: only the 休日 are in doubt.
    assert opening_status(kb.office("chiba_ward_offices"), at("2027-03-23 18:00")).certainty is Certainty.KNOWN
    assert opening_status(kb.office("chiba_ward_offices"), at("2026-06-21 10:00")).certainty is Certainty.KNOWN


def test_naive_and_utc_datetimes(kb: KnowledgeBase) -> None:
    office = kb.office("mitaka_city_hall")
    naive = opening_status(office, dt.datetime(2027, 1, 4, 8, 30))
    utc = opening_status(office, dt.datetime(2027, 1, 3, 23, 30, tzinfo=dt.timezone.utc))
    assert naive.is_open and utc.is_open
    closed = opening_status(office, dt.datetime(2027, 1, 4, 8, 0, tzinfo=dt.timezone.utc))  # 17:00 JST
    assert (closed.is_open, closed.next_open) == (False, at("2027-01-05 08:30"))
    assert closed.next_open is not None and closed.next_open.utcoffset() == dt.timedelta(hours=9)


def test_unknown_hours(kb: KnowledgeBase) -> None:
    status = opening_status(kb.office("ryugasaki_card_center"), at("2026-06-16 10:00"))
    assert (status.certainty, status.is_open, status.reason, status.next_open) == (
        Certainty.NO_HOURS,
        False,
        None,
        None,
    )


def test_lunch_break_session_is_reported(kb: KnowledgeBase) -> None:
    # 三鷹市の市政窓口「午前9時から正午まで、午後1時から4時30分まで」: at 10:00 the afternoon session is not hidden.
    status = opening_status(kb.office("mitaka_mitakadai"), at("2026-06-16 10:00"))
    assert (status.is_open, status.closes_at, status.later_today) == (
        True,
        dt.time(12),
        ((dt.time(13), dt.time(16, 30)),),
    )
    lunch = opening_status(kb.office("mitaka_mitakadai"), at("2026-06-16 12:30"))
    assert (lunch.is_open, lunch.reason, lunch.later_today) == (
        False,
        Reason.OUTSIDE_HOURS,
        ((dt.time(13), dt.time(16, 30)),),
    )


def test_next_open_horizon(kb: KnowledgeBase) -> None:
    office = kb.office("mitaka_city_hall")
    assert next_open(office, at("2026-12-28 17:00"), horizon_days=3) is None
    assert next_open(office, at("2026-12-28 17:00"), horizon_days=7) == at("2027-01-04 08:30")


def test_describe_hours(kb: KnowledgeBase) -> None:
    assert describe_hours(kb.office("mitaka_card_center")) == [
        "火曜日〜金曜日 9:00〜19:00（受付は18:30まで）",
        "土曜日 9:00〜17:00（受付は16:30まで）",
        "休み：月曜日、日曜日、祝日、振替休日、年末年始",
    ]
    assert describe_hours(kb.office("mitaka_ekimae"))[:2] == [
        "月曜日〜金曜日 9:00〜12:00、13:00〜16:30",
        "土曜日・第2・第3・第4日曜日 9:00〜11:00、13:00〜16:30",
    ]
    assert describe_hours(kb.office("chiba_ward_offices"))[:2] == [
        "月曜日〜金曜日 8:30〜17:30",
        "第2日曜日 9:00〜12:30",
    ]
    station = describe_hours(kb.office("ryugasaki_station"))
    assert station[0] == "受付時間 10:30〜19:00"
    assert "※毎月第3土曜日に続く日曜日は、システムメンテナンスなどのため、暗証番号などの手続きができません。" in station


def test_day_selector_after_rule_is_general() -> None:
    from kb.models import AfterRule, DaySelector

    monday_after_3rd_sat = DaySelector(days=frozenset({0}), after=AfterRule(weekday=5, nth=3))
    assert monday_after_3rd_sat.matches(dt.date(2026, 6, 22))  # 3rd Saturday is 6/20
    assert not monday_after_3rd_sat.matches(dt.date(2026, 6, 15))  # after the 2nd Saturday
    assert not monday_after_3rd_sat.matches(dt.date(2026, 6, 21))  # a Sunday
    assert monday_after_3rd_sat.matches(dt.date(2026, 2, 23))  # Feb 2026 starts on Sunday: 3rd Saturday is 2/21
    assert not monday_after_3rd_sat.matches(dt.date(2026, 2, 16))
    second_to_fourth_sun = DaySelector(days=frozenset({6}), nth=frozenset({2, 3, 4}))
    assert [second_to_fourth_sun.matches(dt.date(2026, 5, d)) for d in (3, 10, 17, 24, 31)] == [
        False,
        True,
        True,
        True,
        False,
    ]
