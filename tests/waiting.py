"""Waiting for what a real worker does in its own process."""

from __future__ import annotations

import time
from collections.abc import Callable

from cxm.health import redis_client


def wait_for(predicate: Callable[[], bool], seconds: float = 60.0) -> bool:
    """Poll `predicate` until it holds (True) or `seconds` pass (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def worker_idle() -> bool:
    """Nothing waits in the queue and nothing taken from it is still unacknowledged (tasks are
    acknowledged when they finish)."""
    client = redis_client()
    return client.llen("default") == 0 and client.hlen("unacked") == 0
