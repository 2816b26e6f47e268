"""Where inbound items go. Product modules register a sink when their app loads (listening takes
public posts, comments and reviews; care takes direct messages and emails), so the kernel never
imports them. A sink runs inside the transaction that also saves the account's cursor: either
both the items and the new cursor are stored, or neither, so nothing is lost or fetched twice.

Two hand-overs between the modules go through here too, each way down the dependency order:
listening offers the public mentions that may need an answer to the registered mention handlers
(care opens cases), and care tells the registered reply listeners that it answered an item
(listening counts it as answered). Delivery statuses of the messages we sent (WhatsApp's sent,
delivered, read, failed) go to the registered status handlers (care shows them on each message).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypedDict

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


class MentionAuthor(TypedDict):
    id: str  # the author's id on the platform (their handle when the platform gives none)
    handle: str
    name: str


class MentionForCare(TypedDict, total=False):
    """A public mention that may need an answer, as values (`created_at` aware)."""

    platform: str
    external_id: str
    text: str
    created_at: datetime
    url: str
    author: MentionAuthor
    account_id: int | None  # the account that saw it, which replies go out on
    language: str
    sentiment: str  # "negative", "neutral", "positive", "unknown"
    names_us: bool  # addressed to the brand (a comment under our ad...) whether or not it names a handle


class MentionHandler(Protocol):
    def __call__(self, *, workspace_id: int, mentions: list[MentionForCare]) -> object: ...


_MENTION_HANDLERS: dict[str, MentionHandler] = {}


def register_mention_handler(name: str, handler: MentionHandler) -> None:
    """Care registers one: it opens (or joins) a case for each mention its rule picks."""
    _MENTION_HANDLERS[name] = handler


def unregister_mention_handler(name: str) -> None:
    _MENTION_HANDLERS.pop(name, None)


def registered_mention_handlers() -> dict[str, MentionHandler]:
    return dict(_MENTION_HANDLERS)


def mentions_need_answer(*, workspace_id: int, mentions: list[MentionForCare]) -> None:
    """Offer public mentions that may need an answer to every registered handler, in the caller's
    transaction: a mention is stored with what the handlers made of it, or not at all."""
    if not mentions:
        return
    for handler in list(_MENTION_HANDLERS.values()):
        handler(workspace_id=workspace_id, mentions=mentions)


@dataclass(frozen=True)
class DeliveryStatus:
    """What the platform says became of a message we sent (WhatsApp's `statuses[]`)."""

    external_id: str  # the platform's id of our message (a `wamid.`)
    status: str  # "sent", "delivered", "read", "failed"
    at: datetime | None = None
    recipient: str = ""  # whom it went to (a WhatsApp id)
    errors: tuple[dict, ...] = ()  # the platform's error objects, for "failed"
    raw: dict | None = None


StatusHandler = Callable[[InboundContext, Sequence[DeliveryStatus]], None]

_STATUS_HANDLERS: dict[str, StatusHandler] = {}


def register_status_handler(name: str, handler: StatusHandler) -> None:
    """Care registers one: it records each status on the outbound message it names."""
    _STATUS_HANDLERS[name] = handler


def unregister_status_handler(name: str) -> None:
    _STATUS_HANDLERS.pop(name, None)


def registered_status_handlers() -> dict[str, StatusHandler]:
    return dict(_STATUS_HANDLERS)


def delivery_statuses(context: InboundContext, statuses: Sequence[DeliveryStatus]) -> int:
    """Hand statuses to every registered handler; how many handlers took them (0: none registered,
    the statuses are dropped, which loses nothing stored: the message itself was sent)."""
    if not statuses:
        return 0
    handlers = list(_STATUS_HANDLERS.values())
    for handler in handlers:
        handler(context, statuses)
    return len(handlers)
