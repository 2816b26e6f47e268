"""Where inbound items go. Product modules register a sink when their app loads (listening takes
public posts, comments and reviews; care takes direct messages and emails), so the kernel never
imports them. A sink runs inside the transaction that also saves the account's cursor: either
both the items and the new cursor are stored, or neither, so nothing is lost or fetched twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

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


@dataclass(frozen=True)
class ReplySent:
    """A person of the brand answered an item on its platform (care's outbox sent the reply)."""

    workspace_id: int
    platform: str
    answered_external_id: str
    account_id: int | None = None
    at: datetime | None = None


ReplyListener = Callable[[ReplySent], None]

_REPLY_LISTENERS: dict[str, ReplyListener] = {}


def register_reply_listener(name: str, listener: ReplyListener) -> None:
    """Listening registers one to count the answered item in its response coverage."""
    _REPLY_LISTENERS[name] = listener


def reply_sent(event: ReplySent) -> None:
    for listener in list(_REPLY_LISTENERS.values()):
        listener(event)
