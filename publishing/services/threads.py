"""Threads: a post whose further parts are published one after another, each answering the part
before it, as a person writes a thread by hand on X, Mastodon or Bluesky.

Exactly once, part by part: the ids the platform gave are kept in the target's `platform_state`
(`thread.ids`, in order) as each part goes out, and a failed attempt stores them, so the next
attempt resumes after the last part the platform took. A part whose answer was lost (the worker
died before the state was saved) is recognised the way a single post is on that platform: each
part carries its own idempotency key, derived from the target's and its position (Mastodon's
Idempotency-Key, Bluesky's record key), and X's duplicate refusal adopts the part already
answering the same post.

Taking a thread down deletes its parts newest first, then the post that opened it; a part already
gone counts as deleted, so a take-down that failed halfway is simply asked again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from cxm.channels.connectors.base import Gone, Outgoing, Published


def part_key(idempotency_key: str, position: int) -> str:
    """The idempotency key of the thread's part at `position` (the opening post keeps the
    target's own): stable across attempts, different for every part, still a UUID."""
    return str(uuid.uuid5(uuid.UUID(idempotency_key), f"thread-part-{position}"))


def thread_state(platform_state: dict[str, Any] | None) -> dict[str, Any]:
    return dict((platform_state or {}).get("thread") or {})


def thread_publish(connector, outgoing: Outgoing, parts: Sequence[str]) -> Published:
    """Publish `outgoing` and then each of `parts` as a reply to the one before. Answers the
    opening post (its id and address are the target's); raises what the platform raised for the
    part that failed, with what went out before it kept in `outgoing.state`."""
    state = outgoing.state.setdefault("thread", {"ids": [], "parts": 1 + len(parts)})
    ids: list[str] = state.setdefault("ids", [])
    if not ids:
        opening = connector.publish(outgoing)
        ids.append(opening.external_id)
        state["url"] = opening.url
    for position, text in enumerate(parts, start=1):
        if position < len(ids):
            continue  # the platform took this part in an earlier attempt
        part = connector.reply(
            Outgoing(
                text=text, idempotency_key=part_key(outgoing.idempotency_key, position), reply_to=ids[-1]
            )
        )
        ids.append(part.external_id)
    return Published(external_id=ids[0], url=state.get("url", ""), raw={"thread": list(ids)})


class ThreadTakeDown:
    """The connector a take-down calls for a thread: its `delete` removes the further parts,
    newest first, before the opening post (whose deletion answers as a single post's does)."""

    def __init__(self, connector, part_ids: Sequence[str]):
        self.connector = connector
        self.part_ids = list(part_ids)

    def delete(self, external_id: str) -> None:
        for part_id in reversed(self.part_ids):
            try:
                self.connector.delete(part_id)
            except Gone:
                continue
        self.connector.delete(external_id)


def thread_part_ids(platform_state: dict[str, Any] | None) -> list[str]:
    """The ids of a published thread's further parts (the opening post's is the target's)."""
    return [str(part) for part in thread_state(platform_state).get("ids", [])[1:]]
