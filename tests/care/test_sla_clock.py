"""SLA clocks count business hours only: evenings, weekends, holidays and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from care.sla import ScheduleError, add_business_minutes, business_minutes_between, parse_schedule

OFFICE = parse_schedule({day: [["09:00", "17:00"]] for day in ["mon", "tue", "wed", "thu", "fri"]})
JAKARTA = ZoneInfo("Asia/Jakarta")  # UTC+7, no daylight saving
LONDON = ZoneInfo("Europe/London")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


def test_within_the_same_working_day():
    # Tuesday 10:00 UTC + 2 h
    assert add_business_minutes(utc(2026, 11, 24, 10), 120, schedule=OFFICE) == utc(2026, 11, 24, 12)


def test_overnight_carries_the_rest_to_the_next_morning():
    # Tuesday 16:30 + 60 min -> 30 min on Tuesday, 30 min from Wednesday 09:00
    assert add_business_minutes(utc(2026, 11, 24, 16, 30), 60, schedule=OFFICE) == utc(2026, 11, 25, 9, 30)


def test_ending_exactly_at_closing_time_stays_that_day():
    assert add_business_minutes(utc(2026, 11, 24, 16), 60, schedule=OFFICE) == utc(2026, 11, 24, 17)


def test_before_opening_the_clock_starts_at_opening():
    assert add_business_minutes(utc(2026, 11, 24, 6, 15), 30, schedule=OFFICE) == utc(2026, 11, 24, 9, 30)


def test_friday_afternoon_runs_into_monday():
    # Friday 2026-11-27 16:00 + 2 h -> 1 h on Friday, 1 h on Monday 2026-11-30
    assert add_business_minutes(utc(2026, 11, 27, 16), 120, schedule=OFFICE) == utc(2026, 11, 30, 10)


def test_a_message_on_saturday_waits_for_monday():
    assert add_business_minutes(utc(2026, 11, 28, 12), 60, schedule=OFFICE) == utc(2026, 11, 30, 10)


def test_several_days_of_target():
    # 3 working days of 8 h from Wednesday 09:00 -> Friday 17:00; one more minute -> Monday 09:01
    start = utc(2026, 11, 25, 9)
    assert add_business_minutes(start, 3 * 8 * 60, schedule=OFFICE) == utc(2026, 11, 27, 17)
    assert add_business_minutes(start, 3 * 8 * 60 + 1, schedule=OFFICE) == utc(2026, 11, 30, 9, 1)


def test_hours_are_in_the_policys_time_zone():
    # 09:00-17:00 in Jakarta is 02:00-10:00 UTC. Tuesday 09:30 UTC is 16:30 WIB:
    # 30 min left that day, the other 30 from Wednesday 09:00 WIB = 02:00 UTC.
    due = add_business_minutes(utc(2026, 11, 24, 9, 30), 60, schedule=OFFICE, tz=JAKARTA)
    assert due == utc(2026, 11, 25, 2, 30)
    assert due.astimezone(JAKARTA) == local(JAKARTA, 2026, 11, 25, 9, 30)


def test_a_utc_evening_can_be_the_next_working_morning_elsewhere():
    # Monday 23:00 UTC is Tuesday 06:00 in Jakarta: the clock starts at 09:00 WIB Tuesday.
    due = add_business_minutes(utc(2026, 11, 23, 23), 15, schedule=OFFICE, tz=JAKARTA)
    assert due.astimezone(JAKARTA) == local(JAKARTA, 2026, 11, 24, 9, 15)


def test_daylight_saving_change_keeps_local_office_hours():
    # London moves to BST on Sunday 2026-03-29. Friday 16:00 GMT + 2 h -> Monday 10:00 BST (09:00 UTC).
    due = add_business_minutes(local(LONDON, 2026, 3, 27, 16), 120, schedule=OFFICE, tz=LONDON)
    assert due.astimezone(LONDON) == local(LONDON, 2026, 3, 30, 10)
    assert due == utc(2026, 3, 30, 9)


def test_holidays_are_skipped():
    christmas = [date(2026, 12, 24), date(2026, 12, 25)]
    # Wednesday 23 Dec 16:00 + 2 h -> 1 h on the 23rd, Thursday and Friday are holidays -> Monday 28th 10:00
    due = add_business_minutes(utc(2026, 12, 23, 16), 120, schedule=OFFICE, holidays=christmas)
    assert due == utc(2026, 12, 28, 10)


def test_split_shifts():
    lunch_break = parse_schedule({"mon": [["09:00", "12:00"], ["13:00", "17:00"]]})
    # Monday 11:30 + 60 -> 30 before lunch, 30 after
    assert add_business_minutes(utc(2026, 11, 23, 11, 30), 60, schedule=lunch_break) == utc(
        2026, 11, 23, 13, 30
    )


def test_round_the_clock_when_the_schedule_is_empty():
    assert add_business_minutes(utc(2026, 11, 28, 23), 120, schedule={}) == utc(2026, 11, 29, 1)


def test_until_midnight_is_allowed():
    late = parse_schedule({"sat": [["20:00", "24:00"]], "sun": [["00:00", "02:00"]]})
    assert add_business_minutes(utc(2026, 11, 28, 23), 120, schedule=late) == utc(2026, 11, 29, 1)


def test_minutes_between_count_only_open_time():
    # Friday 16:00 -> Monday 10:00 is 2 business hours
    assert business_minutes_between(utc(2026, 11, 27, 16), utc(2026, 11, 30, 10), schedule=OFFICE) == 120
    assert business_minutes_between(utc(2026, 11, 30, 10), utc(2026, 11, 27, 16), schedule=OFFICE) == 0


@pytest.mark.parametrize(
    "raw",
    [
        {"mon": [["17:00", "09:00"]]},
        {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]},
        {"funday": [["09:00", "17:00"]]},
        {"mon": [["9am", "5pm"]]},
        {"mon": [["09:00", "25:00"]]},
    ],
)
def test_bad_schedules_are_refused(raw):
    with pytest.raises(ScheduleError):
        parse_schedule(raw)
