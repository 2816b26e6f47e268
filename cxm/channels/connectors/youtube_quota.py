"""The YouTube Data API's daily quota, counted here the way Google counts it: in units per Google
Cloud project (the OAuth client, `client_id`), a budget a day (`CXM_YOUTUBE_DAILY_UNITS`, 10,000
by default, Google's default allocation) that resets at midnight Pacific Time.

Costs are Google's: 1 unit for a list (`channels`, `commentThreads`, `comments`), 50 for a write
(`comments.insert`, `comments.setModerationStatus`), 100 for `search.list`. Every call spends
its units here before it goes out, in Redis with INCRBY, so concurrent workers never spend more
than there is: a spend that would pass its limit is taken back at once and refused.

Polling may spend only up to the budget less `CXM_YOUTUBE_RESERVE_UNITS` (1,000 by default);
replies and moderation may spend the reserve too, so a busy listening day never leaves care
unable to answer. How polling paces itself across the day is the connector's (youtube.py): each
account earns its fair share of what polling has left, spread over the rest of the day and over
the project's accounts that polled today (`pollers`).

A 403 `quotaExceeded` from Google means its count and ours differ (another program shares the
project, or Redis lost the count): `exhaust` marks the day as used up, so every worker waits for
the reset instead of asking again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache

from cxm.channels.connectors.base import RateLimited, iso_time

PACIFIC = ZoneInfo("America/Los_Angeles")
LIST_UNITS = 1
WRITE_UNITS = 50
SEARCH_UNITS = 100
KEY_PREFIX = "channels:youtube-quota"
# A new account starts with enough to read its comments; searches wait until it has earned them.
STARTING_CREDIT = 5.0


def pacific_day(now: datetime) -> date:
    return now.astimezone(PACIFIC).date()


def seconds_until_reset(now: datetime) -> float:
    """Seconds until the next midnight in Pacific Time (23 or 25 hours apart on the days the
    clocks change)."""
    tomorrow = pacific_day(now) + timedelta(days=1)
    midnight = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=PACIFIC)
    # In UTC: between two times of one zone Python subtracts wall clocks, not elapsed time.
    return max(1.0, (midnight.astimezone(UTC) - now.astimezone(UTC)).total_seconds())


def project_of(client_id: str) -> str:
    """The key a project's count is kept under (the client id itself is not spread around)."""
    return hashlib.sha256(client_id.encode()).hexdigest()[:24]


class QuotaUsedUp(RateLimited):
    """Our count says the units are spent; nothing was sent. Waits until the reset."""


@dataclass(frozen=True)
class QuotaState:
    used: int
    budget: int
    reserve: int

    @property
    def left(self) -> int:
        """Units left today, the reserve included."""
        return max(0, self.budget - self.used)

    @property
    def polling_left(self) -> int:
        """Units polling may still spend today: what is left beyond the reserve."""
        return max(0, self.budget - self.reserve - self.used)


class YouTubeQuota:
    """One Google project's units today."""

    def __init__(
        self,
        client_id: str,
        *,
        budget: int | None = None,
        reserve: int | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.project = project_of(client_id)
        self.budget = int(settings.CXM_YOUTUBE_DAILY_UNITS if budget is None else budget)
        reserve = int(settings.CXM_YOUTUBE_RESERVE_UNITS if reserve is None else reserve)
        self.reserve = max(0, min(reserve, self.budget))
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    def _key(self, suffix: str = "") -> str:
        return f"{KEY_PREFIX}:{self.project}:{pacific_day(self.now()).isoformat()}{suffix}"

    def _timeout(self) -> int:
        # Kept an hour past the reset, then Redis forgets the finished day.
        return int(seconds_until_reset(self.now())) + 3600

    def seconds_until_reset(self) -> float:
        return seconds_until_reset(self.now())

    def state(self) -> QuotaState:
        return QuotaState(used=int(cache.get(self._key(), 0) or 0), budget=self.budget, reserve=self.reserve)

    def spend(self, units: int, *, reserved: bool = False) -> None:
        """Count `units` for a call about to go out, or raise QuotaUsedUp without counting them.
        `reserved` calls (replies, moderation) may use the reserve; polling may not."""
        limit = self.budget if reserved else self.budget - self.reserve
        key = self._key()
        cache.add(key, 0, timeout=self._timeout())
        try:
            used = cache.incr(key, units)
        except ValueError:  # expired between add and incr: the day just turned
            cache.add(key, 0, timeout=self._timeout())
            used = cache.incr(key, units)
        if used > limit:
            cache.decr(key, units)
            raise self.used_up(reserved=reserved)

    def used_up(self, *, reserved: bool) -> QuotaUsedUp:
        wait = self.seconds_until_reset()
        if reserved:
            message = "the YouTube quota of this Google project is used up until midnight Pacific Time"
        else:
            message = (
                "the YouTube quota polling may use is spent until midnight Pacific Time "
                f"({self.reserve} units stay for replies and moderation)"
            )
        return QuotaUsedUp(message, retry_after=wait)

    def exhaust(self) -> None:
        """Google said the quota is exceeded: nothing more goes out today."""
        cache.set(self._key(), max(self.budget, self.state().used), timeout=self._timeout())

    def pollers(self, account_id: int | None) -> int:
        """How many of the project's accounts polled today, this one included (a close count:
        two first polls at the same moment may each miss the other until their next poll)."""
        key = self._key(":pollers")
        seen = dict(cache.get(key) or {})
        member = str(account_id or 0)
        if member not in seen:
            seen[member] = int(time.time())
            cache.set(key, seen, timeout=self._timeout())
        return len(seen)


class PollingPace:
    """What one account may spend on polling now: units earned since its last poll, at its fair
    share of what polling has left today, less what it spent."""

    def __init__(self, credit: float, at: datetime) -> None:
        self.credit = credit
        self.at = at

    @classmethod
    def resume(cls, saved: Any, *, now: datetime) -> PollingPace:
        saved = saved if isinstance(saved, dict) else {}
        at = iso_time(saved.get("at"))
        try:
            credit = float(saved.get("credit", STARTING_CREDIT))
        except (TypeError, ValueError):
            credit = STARTING_CREDIT
        return cls(credit, at or now)

    def earn(self, quota: YouTubeQuota, *, account_id: int | None, now: datetime, topics: int) -> None:
        left = quota.state().polling_left
        until_reset = quota.seconds_until_reset()
        elapsed = min(max(0.0, (now - self.at).total_seconds()), until_reset)
        rate = left / until_reset / quota.pollers(account_id)
        # Never hoard more than a round of searches and a few comment pages.
        ceiling = SEARCH_UNITS * max(1, topics) + STARTING_CREDIT
        self.credit = min(ceiling, self.credit + rate * elapsed, float(left))
        self.at = now

    def afford(self, units: int) -> bool:
        return self.credit >= units

    def spent(self, units: int) -> None:
        self.credit -= units

    def cursor(self) -> dict[str, Any]:
        return {"credit": round(self.credit, 3), "at": self.at.isoformat()}
