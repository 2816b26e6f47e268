"""Care's part of the transformation module's reference architecture: what came in and went out
on each channel account recently, and the automation rules in force."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count

from care.models import AutomationRule, Direction, Message
from care.models import DeliveryStatus as MessageStatus


def architecture_counts(*, workspace, since: datetime) -> dict:
    """Inbound messages and replies sent per channel account since `since`, and the active
    automation rules."""
    inbound = {
        row["case__channel_account_id"]: row["n"]
        for row in Message.objects.for_workspace(workspace)
        .filter(direction=Direction.INBOUND, occurred_at__gte=since)
        .values("case__channel_account_id")
        .annotate(n=Count("id"))
    }
    replies = {
        row["case__channel_account_id"]: row["n"]
        for row in Message.objects.for_workspace(workspace)
        .filter(direction=Direction.OUTBOUND, status=MessageStatus.SENT, sent_at__gte=since)
        .values("case__channel_account_id")
        .annotate(n=Count("id"))
    }
    return {
        "inbound_by_account": inbound,
        "inbound": sum(inbound.values()),
        "replies_by_account": replies,
        "replies_sent": sum(replies.values()),
        "rules": AutomationRule.objects.for_workspace(workspace).filter(is_active=True).count(),
    }
