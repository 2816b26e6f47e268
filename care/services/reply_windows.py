"""The answer window of a case: whether, and until when, the platform lets us answer the customer,
judged from when they last wrote (`Case.last_inbound_at`, which intake keeps).

- WhatsApp: free text within 24 hours; after that only an approved template
  (`whatsapp_templates`).
- Messenger (direct messages to a Facebook Page) and Instagram direct messages, under Meta's
  policy (`cxm.channels.connectors.meta_messaging`): any answer within 24 hours; then until 7
  days only one a person writes (the connector sends it with the HUMAN_AGENT tag), so automation
  rules and the satisfaction survey send nothing in that period; after that nothing until the
  customer writes again.
- Public comments, emails and the other channels have no window.

The reply box shows the window, `outbox.case_reply` refuses what it does not allow, and the
connector applies the same policy again when the worker sends (the window may have moved since).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext

from care.models import Case, ChannelKind
from cxm.channels.connectors.meta_messaging import HUMAN_AGENT_WINDOW, STANDARD_WINDOW, messenger_send_policy
from cxm.channels.connectors.whatsapp import SERVICE_WINDOW, window_open
from cxm.channels.models import Platform

OPEN = "open"
HUMAN_AGENT_ONLY = "human_agent_only"
CLOSED = "closed"

# The names customers know the conversations by: a Page's direct messages are Messenger.
PLATFORM_NAMES = {
    Platform.WHATSAPP: "WhatsApp",
    Platform.FACEBOOK_PAGE: "Messenger",
    Platform.INSTAGRAM: "Instagram",
}


@dataclass(frozen=True)
class ReplyWindow:
    """`state` is open, human_agent_only or closed; `closes_at` is when it ends (free answers
    while open, a person's answer while human_agent_only; None once closed); `reason` (in the
    active language) says why a reply is refused when closed, or an automated one while
    human_agent_only, and is "" while open."""

    platform: str
    name: str
    state: str
    closes_at: datetime | None
    reason: str = ""

    def refusal(self, *, automated: bool) -> str:
        """Why an answer may not go now ("" when it may); `automated` when no person wrote it."""
        if self.state == CLOSED or (automated and self.state == HUMAN_AGENT_ONLY):
            return self.reason
        return ""


def reply_window(case: Case, *, now: datetime | None = None) -> ReplyWindow | None:
    """The case's answer window now, or None for a case that has none."""
    if case.channel_kind != ChannelKind.DM or case.platform not in PLATFORM_NAMES:
        return None
    now = now or timezone.now()
    name = PLATFORM_NAMES[case.platform]
    last = case.last_inbound_at
    if case.platform == Platform.WHATSAPP:
        if window_open(last, now):
            return ReplyWindow(case.platform, name, OPEN, last + SERVICE_WINDOW)
        # WhatsApp refuses free text (error 131047) once the customer's last message is a day old.
        reason = gettext(
            "The customer last wrote more than 24 hours ago: WhatsApp now accepts only an "
            "approved message template. Free text can be sent again once the customer writes."
        )
        return ReplyWindow(case.platform, name, CLOSED, None, reason)
    policy = messenger_send_policy(last, now)
    if policy.allowed and not policy.tag:
        return ReplyWindow(case.platform, name, OPEN, last + STANDARD_WINDOW)
    if policy.allowed:
        closes_at = last + HUMAN_AGENT_WINDOW
        reason = gettext(
            "The customer last wrote more than 24 hours ago: until %(time)s %(platform)s takes only "
            "an answer a person writes, so automated replies are not sent."
        ) % {"platform": name, "time": _when(closes_at)}
        return ReplyWindow(case.platform, name, HUMAN_AGENT_ONLY, closes_at, reason)
    if last is None:
        reason = gettext(
            "The customer has not written on %(platform)s yet; an answer can go only after they do."
        ) % {"platform": name}
    else:
        reason = gettext(
            "The customer last wrote more than 7 days ago: %(platform)s takes no answer until they "
            "write again."
        ) % {"platform": name}
    return ReplyWindow(case.platform, name, CLOSED, None, reason)


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
