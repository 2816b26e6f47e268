"""Spike alerts: the alerts page and the daily series of a topic
that spike detection reads."""

from __future__ import annotations

from datetime import date

from django.db import connection

from listening.models import Alert


def alerts(*, workspace, open_only: bool = False):
    result = Alert.objects.for_workspace(workspace).select_related("topic")
    if open_only:
        result = result.filter(acknowledged_at__isnull=True)
    return result


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
