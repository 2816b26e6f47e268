"""Meta's Messenger Platform, which carries both Messenger (a Facebook Page's conversations) and
Instagram Messaging (an Instagram professional account's, through its linked Page): the rules for
a Page answering a person, and reading the latest conversations back.

Reading back is the reconciliation for the webhook: Meta drops some deliveries, so each poll asks
the Conversations API (`GET /{page-id}/conversations?platform=messenger|instagram`) for the
latest `CONVERSATIONS` conversations with their newest `MESSAGES_PER_CONVERSATION` messages
(`id`, `message`, `from`, `to`, `created_time`). A message's id there is the `mid` its webhook
event carried, so a message that comes both ways is one item. Meta gives the details of only the
20 most recent messages of a conversation, and leaves out conversations in the Requests folder
idle for 30 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cxm.channels.connectors.graph import GraphCaller

CONVERSATIONS = 25  # the latest conversations read per poll
MESSAGES_PER_CONVERSATION = 20  # "you can only get details about the 20 most recent messages"
MESSAGE_FIELDS = "id,message,from,to,created_time"

# Messenger's rules for a Page answering a person (Send API, messaging types and message tags).
STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class SendPolicy:
    """How a Messenger answer may go out now: `allowed`, with the Send API's `messaging_type`
    and `tag`, or refused with `reason` (and `code`, "never_wrote" or "window_closed", for a
    screen to put in its own words)."""

    allowed: bool
    messaging_type: str = ""
    tag: str = ""
    reason: str = ""
    code: str = ""


def messenger_send_policy(last_inbound_at: datetime | None, now: datetime) -> SendPolicy:
    """Within 24 hours of the person's last message a Page answers freely (`RESPONSE`); within
    7 days only a person of the brand may, with the `HUMAN_AGENT` message tag; after that, or
    when the person never wrote, the Page may not write."""
    if last_inbound_at is None:
        return SendPolicy(
            allowed=False,
            reason="The person has not written to the Page, so the Page may not write first.",
            code="never_wrote",
        )
    elapsed = now - last_inbound_at
    if elapsed <= STANDARD_WINDOW:
        return SendPolicy(allowed=True, messaging_type="RESPONSE")
    if elapsed <= HUMAN_AGENT_WINDOW:
        return SendPolicy(allowed=True, messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    return SendPolicy(
        allowed=False,
        reason=(
            "More than 7 days have passed since the person's last message; Messenger lets the Page "
            "answer only after they write again."
        ),
        code="window_closed",
    )


def conversation_messages(graph: GraphCaller, *, page: str, platform: str) -> list[dict[str, Any]]:
    """The newest messages of the Page's latest conversations on `platform` ("messenger" or
    "instagram"), as Graph lists them: `{"id", "message", "from", "to", "created_time"}`, the
    Page's (or the Instagram account's) own among them."""
    body = graph.call(
        "GET",
        f"{page}/conversations",
        params={
            "platform": platform,
            "fields": f"messages.limit({MESSAGES_PER_CONVERSATION}){{{MESSAGE_FIELDS}}},updated_time",
            "limit": CONVERSATIONS,
        },
    )
    return [
        message
        for conversation in body.get("data") or []
        for message in (conversation.get("messages") or {}).get("data") or []
        if isinstance(message, dict) and message.get("id")
    ]
