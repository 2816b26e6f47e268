"""What else stops when a workspace pauses. Publishing owns the pause and its lock; a module with
its own outbound activity that a pause should stop too registers a stopper when its app loads, so
publishing never imports it:

    ads -> the campaigns running on their ad platforms: set to PAUSED, restored on resume
                                                                              (ads/apps.py)

`pause_activate` calls `stop` inside the transaction that creates the pause (and only when the
person asked to stop what is already running); `pause_resume` calls `restore` inside the
transaction that lifts pauses. A stopper records its work there and sends it after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class PauseStopper(Protocol):
    def stop(self, *, pause: Any, by: Any = None, request: Any = None) -> int:
        """Stop what runs in the pause's scope; return how many things it stops."""
        ...

    def restore(self, *, pauses: Sequence[Any]) -> int:
        """The pauses were lifted: restart exactly what `stop` stopped for them."""
        ...


_STOPPERS: dict[str, PauseStopper] = {}


def register_pause_stopper(name: str, stopper: PauseStopper) -> None:
    _STOPPERS[name] = stopper


def unregister_pause_stopper(name: str) -> None:
    _STOPPERS.pop(name, None)


def pause_stoppers() -> dict[str, PauseStopper]:
    return dict(_STOPPERS)


def stoppers_stop(*, pause: Any, by: Any = None, request: Any = None) -> int:
    """Tell every registered stopper that `pause` starts; the number of things they stop."""
    return sum(stopper.stop(pause=pause, by=by, request=request) for stopper in list(_STOPPERS.values()))


def stoppers_restore(*, pauses: Sequence[Any]) -> int:
    """Tell every registered stopper that `pauses` were lifted; the number of things restored."""
    return sum(stopper.restore(pauses=pauses) for stopper in list(_STOPPERS.values()))
