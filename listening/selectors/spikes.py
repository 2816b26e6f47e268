"""Spike alerts: the alerts page, the deliveries still due, and the daily series of a topic
that spike detection reads."""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from listening.models import Alert, DeliveryStatus


def alerts(*, workspace, open_only: bool = False):
    result = Alert.objects.for_workspace(workspace).select_related("topic")
    if open_only:
        result = result.filter(acknowledged_at__isnull=True)
    return result


def alerts_delivery_overdue(*, due_before: datetime) -> list[tuple[int, int]]:
    """(alert id, workspace id) of alerts, in every workspace, with a channel still pending whose
    next delivery run was due before `due_before` and that no worker is delivering now."""
    pending = Q(email_status=DeliveryStatus.PENDING) | Q(webhook_status=DeliveryStatus.PENDING)
    idle = Q(delivery_lease_until__isnull=True) | Q(delivery_lease_until__lt=timezone.now())
    return list(
        Alert.objects.filter(pending, idle, delivery_retry_at__lt=due_before)
        .order_by("delivery_retry_at")
        .values_list("pk", "workspace_id")[:500]
    )


def topic_daily_series(*, workspace_id: int, topic_id: int, since: date) -> list[tuple[date, int, int]]:
    """(day, mentions, negative mentions) of a topic, for spike detection."""
    with connection.cursor() as db:
        db.execute(
            "SELECT day, sum(mentions), sum(mentions) FILTER (WHERE sentiment = 'negative') "
            "FROM listening_mention_daily WHERE workspace_id = %s AND topic_id = %s AND day >= %s "
            "GROUP BY day ORDER BY day",
            [workspace_id, topic_id, since],
        )
        return [(day, int(n), int(neg or 0)) for day, n, neg in db.fetchall()]
