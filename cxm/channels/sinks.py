"""Where inbound items go. Product modules register a sink when their app loads (listening takes
public posts, comments and reviews; care takes direct messages and emails), so the kernel never
imports them. A sink runs inside the transaction that also saves the account's cursor: either
both the items and the new cursor are stored, or neither, so nothing is lost or fetched twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cxm.channels.connectors.base import Item


@dataclass(frozen=True)
class InboundContext:
    """What a sink knows about where the items came from."""

    workspace_id: int
    account_id: int | None
    platform: str
    brand_id: int | None = None
    business_unit_id: int | None = None
    country: str = ""
    language: str = ""
    source: str = "connector"  # "connector", "webhook", "api"


Sink = Callable[[InboundContext, Sequence[Item]], None]

_SINKS: dict[str, Sink] = {}


def register_sink(name: str, sink: Sink) -> None:
    _SINKS[name] = sink


def unregister_sink(name: str) -> None:
    _SINKS.pop(name, None)


def registered_sinks() -> dict[str, Sink]:
    return dict(_SINKS)


def deliver(context: InboundContext, items: Sequence[Item]) -> None:
    if not items:
        return
    if not _SINKS:
        raise RuntimeError("no inbound sink is registered; items would be lost")
    for sink in _SINKS.values():
        sink(context, items)
