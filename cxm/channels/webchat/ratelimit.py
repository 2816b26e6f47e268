"""Counters that keep one visitor, or one client address, from flooding a website chat.

Fixed windows counted in the cache (Redis), shared by every web process: a call adds one to
its window's counter and is refused once the counter passes the limit, until the window ends.
Counting in Redis rather than in rows keeps the widget's poll, every two seconds per open chat,
from writing to the database.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    scope: str  # what is counted: "ip", "visitor-read", ...
    count: int  # calls allowed per window
    window: int  # seconds


def limit_hit(limit: Limit, who: str, *, now: float | None = None) -> int | None:
    """Count one call by `who`; the seconds to wait when it is one too many, else None."""
    now = time.time() if now is None else now
    slot = int(now // limit.window)
    key = f"webchat:limit:{limit.scope}:{who}:{slot}"
    # add() sets the counter only if it is not there yet; incr() is atomic in Redis.
    cache.add(key, 0, timeout=limit.window + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=limit.window + 5)
        used = 1
    if used > limit.count:
        return max(1, math.ceil((slot + 1) * limit.window - now))
    return None
