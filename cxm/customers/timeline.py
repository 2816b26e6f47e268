"""Where a customer's history comes from. The kernel never imports the product modules, so each
one that knows something about a customer registers a source when its app loads:

    care      -> cases opened, messages in and out, CSAT answers   (care/apps.py)
    listening -> public mentions by the customer's identities     (listening/apps.py)

`customer_timeline` (cxm.customers.selectors) asks every registered source for the entries of the
profile and of the profiles merged into it, and interleaves them newest first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    source: str  # "care", "listening", ...
    kind: str  # "case", "message", "csat", "mention", ...
    title: str
    text: str = ""
    url: str = ""
    ref: dict[str, Any] = field(default_factory=dict)  # ids the UI links to: {"case_id": 12}


# (workspace_id, profile_ids, before, limit) -> up to `limit` entries older than `before`, newest first
TimelineSource = Callable[[int, list[int], datetime | None, int], list[TimelineEntry]]

_SOURCES: dict[str, TimelineSource] = {}


def register_timeline_source(name: str, source: TimelineSource) -> None:
    _SOURCES[name] = source


def unregister_timeline_source(name: str) -> None:
    _SOURCES.pop(name, None)


def timeline_sources() -> dict[str, TimelineSource]:
    return dict(_SOURCES)
