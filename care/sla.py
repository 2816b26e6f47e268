"""Business-hours arithmetic for SLA clocks: pure functions, no database.

A schedule is a weekly list of opening intervals in local wall-clock time, e.g. 09:00-17:00
Monday to Friday in Asia/Jakarta. Intervals are turned into instants day by day with the zone's
rules, so a clock that runs across a daylight-saving change counts the hours that were open.
An empty schedule means round the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS = 3 * 366  # a clock that finds no open time within three years is a misconfiguration

# weekday (0 = Monday) -> sorted, non-overlapping (start minute, end minute) pairs, end <= 1440
Schedule = dict[int, list[tuple[int, int]]]


class ScheduleError(ValueError):
    pass


def _minutes(value: str) -> int:
    try:
        hours, minutes = str(value).split(":")
        total = int(hours) * 60 + int(minutes)
    except ValueError:
        raise ScheduleError(f"{value!r} is not a time like 09:00") from None
    if not 0 <= total <= 1440 or not 0 <= int(minutes) < 60:
        raise ScheduleError(f"{value!r} is not a time of day")
    return total


def parse_schedule(raw: dict | None) -> Schedule:
    """{"mon": [["09:00", "17:00"]], ...} -> Schedule; weekday keys may be names or 0..6."""
    schedule: Schedule = {}
    for key, intervals in (raw or {}).items():
        name = str(key).strip().lower()[:3]
        if name in WEEKDAYS:
            day = WEEKDAYS.index(name)
        elif name.isdigit() and 0 <= int(name) <= 6:
            day = int(name)
        else:
            raise ScheduleError(f"{key!r} is not a weekday (mon..sun)")
        pairs = []
        for interval in intervals or []:
            if not isinstance(interval, list | tuple) or len(interval) != 2:
                raise ScheduleError(f'{interval!r}: give [start, end], e.g. ["09:00", "17:00"]')
            start, end = _minutes(interval[0]), _minutes(interval[1])
            if start >= end:
                raise ScheduleError(f"{interval[0]}-{interval[1]}: the end must come after the start")
            pairs.append((start, end))
        pairs.sort()
        for (_, end), (start, _) in pairwise(pairs):
            if start < end:
                raise ScheduleError(f"intervals on {WEEKDAYS[day]} overlap")
        if pairs:
            schedule[day] = pairs
    return schedule


def _open_intervals(
    start: datetime, schedule: Schedule, tz: ZoneInfo, holidays: frozenset[date]
) -> Iterator[tuple[datetime, datetime]]:
    """Open intervals (UTC instants) from the local day of `start` onwards, in order."""
    day = start.astimezone(tz).date()
    for _ in range(MAX_DAYS):
        if day not in holidays:
            midnight = datetime.combine(day, time(0), tzinfo=tz)
            for begin, end in schedule.get(day.weekday(), ()):
                # Wall-clock arithmetic on an aware datetime, then to UTC: "09:00 local" on that day.
                opens = (midnight + timedelta(minutes=begin)).astimezone(UTC)
                closes = (midnight + timedelta(minutes=end)).astimezone(UTC)
                if closes > opens:
                    yield opens, closes
        day += timedelta(days=1)


def add_business_minutes(
    start: datetime,
    minutes: float,
    *,
    schedule: Schedule,
    tz: ZoneInfo | str = "UTC",
    holidays: Iterable[date] = (),
) -> datetime:
    """The instant `minutes` of open time after `start` (UTC). An empty schedule is 24/7."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    start = start.astimezone(UTC)
    if minutes <= 0:
        return start
    if not schedule:
        return start + timedelta(minutes=minutes)
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    remaining = timedelta(minutes=minutes)
    for opens, closes in _open_intervals(start, schedule, zone, frozenset(holidays)):
        begin = max(start, opens)
        if begin >= closes:
            continue
        if remaining <= closes - begin:
            return begin + remaining
        remaining -= closes - begin
    raise ScheduleError("the schedule has no open time within three years")


def business_minutes_between(
    start: datetime,
    end: datetime,
    *,
    schedule: Schedule,
    tz: ZoneInfo | str = "UTC",
    holidays: Iterable[date] = (),
) -> float:
    """Open minutes between two instants (0 when end is before start)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return 0.0
    if not schedule:
        return (end - start).total_seconds() / 60
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    total = timedelta()
    for opens, closes in _open_intervals(start, schedule, zone, frozenset(holidays)):
        if opens >= end:
            break
        begin, finish = max(start, opens), min(end, closes)
        if finish > begin:
            total += finish - begin
    return total.total_seconds() / 60


def next_open(
    start: datetime,
    *,
    schedule: Schedule,
    tz: ZoneInfo | str = "UTC",
    holidays: Iterable[date] = (),
) -> datetime:
    """The first open instant at or after `start` (UTC): `start` itself during opening hours."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    start = start.astimezone(UTC)
    if not schedule:
        return start
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    for opens, closes in _open_intervals(start, schedule, zone, frozenset(holidays)):
        if closes > start:
            return max(start, opens)
    raise ScheduleError("the schedule has no open time within three years")
