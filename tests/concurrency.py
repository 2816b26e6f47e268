"""Running two sides of a race at the same moment, each thread on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def at_once(*sides: Callable[[], Any], timeout: float = 30.0) -> list[Any]:
    """Start every side together (a barrier) in its own thread; return what each returned or the
    exception it raised, in order. A thread's connection is closed when it ends."""
    start = threading.Barrier(len(sides))
    outcomes: list[Any] = [None] * len(sides)

    def run(index: int, side: Callable[[], Any]) -> None:
        try:
            start.wait(timeout)
            outcomes[index] = side()
        except Exception as exc:  # handed to the test, which asserts on it
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, side)) for n, side in enumerate(sides)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a side of the race never finished"
    return outcomes


def meeting_point(manager, method: str, parties: int, monkeypatch, timeout: float = 10.0) -> None:
    """Make `manager.<method>` (say `Topic.objects.create`) wait until `parties` threads reach it,
    so every side has passed its checks before any side writes: the race made certain, not likely."""
    barrier = threading.Barrier(parties)
    original = getattr(manager, method)

    def waiting(*args, **kwargs):
        barrier.wait(timeout)
        return original(*args, **kwargs)

    monkeypatch.setattr(manager, method, waiting)
