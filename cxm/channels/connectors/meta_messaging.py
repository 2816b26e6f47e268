"""When a Page (Messenger) or an Instagram professional account may answer a person, as Meta's
"Messenger Platform and IG Messaging API policy" sets it, for both:

- within 24 hours of the person's last message (the standard messaging window) anything may be
  sent, as `messaging_type: RESPONSE`;
- from then until 7 days after that message only a person of the business may answer, with
  `messaging_type: MESSAGE_TAG` and `tag: HUMAN_AGENT` ("allows human agents to respond to user
  inquiries; messages can be sent within 7 days after a user message"); an automated answer
  (a bot, a rule, a survey) may not use the tag;
- after that, or when the person never wrote, nothing may be sent until they write again.

Sources: developers.facebook.com/docs/messenger-platform/policy (the Human Agent tag "allows
businesses to manually respond to user messages within a 7-day period", on Messenger and IG
Messaging), /docs/messenger-platform/send-messages/message-tags, and the Instagram Messaging
overview (/docs/instagram-messaging/overview: "if more time is needed to allow a human agent to
respond, you can add a tag to your response").

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

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
CONVERSATIONS = 25  # the latest conversations read per poll
MESSAGES_PER_CONVERSATION = 20  # "you can only get details about the 20 most recent messages"
MESSAGE_FIELDS = "id,message,from,to,created_time"


@dataclass(frozen=True)
class SendPolicy:
    """How an answer may go out now: `allowed`, with the Send API's `messaging_type` and `tag`,
    or refused with `reason` (and `code`: "never_wrote", "window_closed", or "human_agent_only"
    for an automated answer past 24 hours, for a screen to put in its own words)."""

    allowed: bool
    messaging_type: str = ""
    tag: str = ""
    reason: str = ""
    code: str = ""


def messenger_send_policy(
    last_inbound_at: datetime | None, now: datetime, *, automated: bool = False
) -> SendPolicy:
    """The policy for an answer at `now` to a person who last wrote at `last_inbound_at`;
    `automated` when no person of the business wrote it."""
    if last_inbound_at is None:
        return SendPolicy(
            allowed=False,
            reason="The person has not written to the account yet, so it may not write first.",
            code="never_wrote",
        )
    elapsed = now - last_inbound_at
    if elapsed <= STANDARD_WINDOW:
        return SendPolicy(allowed=True, messaging_type="RESPONSE")
    if elapsed <= HUMAN_AGENT_WINDOW and automated:
        return SendPolicy(
            allowed=False,
            reason=(
                "More than 24 hours have passed since the person's last message; until 7 days only "
                "a person may answer (the HUMAN_AGENT tag), not an automated message."
            ),
            code="human_agent_only",
        )
    if elapsed <= HUMAN_AGENT_WINDOW:
        return SendPolicy(allowed=True, messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    return SendPolicy(
        allowed=False,
        reason=(
            "More than 7 days have passed since the person's last message; Meta lets the business "
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
