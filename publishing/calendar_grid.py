"""The calendar's grid: which days (and hours) a month or week view covers in the viewer's time
zone, which cell each post falls in, and where a post dropped on a cell moves to.

Pure functions over posts the view already loaded: no queries here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from publishing.models import Post, TargetStatus

MONTH = "month"
WEEK = "week"
HOURS = range(24)


@dataclass(frozen=True)
class Window:
    view: str
    anchor: date
    first_day: date
    day_count: int
    zone: ZoneInfo

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=offset) for offset in range(self.day_count)]

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=self.day_count - 1)

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last_day + timedelta(days=1), self.zone)

    @property
    def previous(self) -> date:
        if self.view == WEEK:
            return self.anchor - timedelta(days=7)
        return (self.anchor.replace(day=1) - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        if self.view == WEEK:
            return self.anchor + timedelta(days=7)
        return (self.anchor.replace(day=1) + timedelta(days=32)).replace(day=1)


def user_zone(user) -> ZoneInfo:
    """The viewer's time zone (User.time_zone), UTC when unset or unknown."""
    try:
        return ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def window_for(*, view: str | None, anchor: str | None, zone: ZoneInfo, today: date) -> Window:
    """Whole weeks, Monday first: the weeks that hold the anchor's month, or the anchor's week."""
    try:
        day = date.fromisoformat(anchor or "")
    except ValueError:
        day = today
    if view == WEEK:
        first = day - timedelta(days=day.weekday())
        return Window(WEEK, day, first, 7, zone)
    first_of_month = day.replace(day=1)
    last_of_month = (first_of_month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    first = first_of_month - timedelta(days=first_of_month.weekday())
    last = last_of_month + timedelta(days=6 - last_of_month.weekday())
    return Window(MONTH, day, first, (last - first).days + 1, zone)


def card(post: Post) -> Post:
    """What a card shows beyond the post: held wins over the post's own status (the post waits
    for a decision), and the reasons its failed targets gave."""
    targets = list(post.targets.all())
    post.card_status = "held" if post.is_held else post.status
    post.failed_targets = [t for t in targets if t.status == TargetStatus.FAILED]
    post.platforms = sorted({t.account.platform for t in targets})
    return post


def month_weeks(window: Window, posts: list[Post], *, today: date) -> list[list[dict]]:
    by_day: dict[date, list[Post]] = defaultdict(list)
    for post in posts:
        by_day[post.scheduled_at.astimezone(window.zone).date()].append(card(post))
    cells = [
        {
            "day": day,
            "in_month": day.month == window.anchor.month,
            "today": day == today,
            "posts": by_day.get(day, []),
        }
        for day in window.days
    ]
    return [cells[start : start + 7] for start in range(0, len(cells), 7)]


def week_rows(window: Window, posts: list[Post]) -> list[dict]:
    by_slot: dict[tuple[date, int], list[Post]] = defaultdict(list)
    for post in posts:
        local = post.scheduled_at.astimezone(window.zone)
        by_slot[(local.date(), local.hour)].append(card(post))
    return [
        {"hour": hour, "slots": [{"day": day, "posts": by_slot.get((day, hour), [])} for day in window.days]}
        for hour in HOURS
    ]


def moved_time(*, current: datetime | None, day: date, hour: int | None, zone: ZoneInfo) -> datetime:
    """Where a card dropped on `day` (month view: the same time of day) or on `day` at `hour`
    (week view: the same minute) lands, in the viewer's time zone."""
    local = current.astimezone(zone) if current else datetime.combine(day, time(9), tzinfo=zone)
    at = time(local.hour if hour is None else hour, local.minute)
    return datetime.combine(day, at, tzinfo=zone)
