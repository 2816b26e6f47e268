"""Set-based figures over a window [since, until) for the transformation KPIs, and what
listening took in for the reference architecture and the usage overview.

Mentions of competitor brands are left out everywhere (they measure the competitor, not us);
owned media (our own posts) are left out of what customers say about us. The daily roll-up
answers when the window falls on whole UTC days and no business unit is asked for (the roll-up
has no unit column); otherwise the mention rows do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from listening.models import Alert, Mention, Topic

_NOT_COMPETITOR_ROLLUP = (
    "brand_id NOT IN (SELECT id FROM tenancy_brand WHERE workspace_id = %s AND is_competitor)"
)
_NOT_COMPETITOR = (
    "(m.brand_id IS NULL OR m.brand_id NOT IN "
    "(SELECT id FROM tenancy_brand WHERE workspace_id = %s AND is_competitor))"
)


def _midnight(moment: datetime) -> bool:
    moment = moment.astimezone(UTC)
    return (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


def _mention_scope(workspace_id: int, brand_id: int | None, business_unit_id: int | None) -> tuple[str, list]:
    clauses, params = ["m.workspace_id = %s", _NOT_COMPETITOR], [workspace_id, workspace_id]
    if brand_id:
        clauses.append("m.brand_id = %s")
        params.append(brand_id)
    if business_unit_id:
        clauses.append("m.business_unit_id = %s")
        params.append(business_unit_id)
    return " AND ".join(clauses), params


def kpi_sentiment_counts(
    *,
    workspace_id: int,
    periods: list[tuple[datetime, datetime]],
    brand_id: int | None = None,
    business_unit_id: int | None = None,
) -> list[dict[str, int]]:
    """Per period: mentions by others (owned media left out) and their positive and negative
    counts, and the same three for earned media alone. One query for all periods."""
    figures = ("mentions", "positive", "negative", "earned", "earned_positive", "earned_negative")
    if not periods:
        return []
    from_rollup = business_unit_id is None and all(_midnight(a) and _midnight(b) for a, b in periods)
    selects, params = [], []
    if from_rollup:
        count = "sum(mentions)"
        for since, until in periods:
            window = "day >= %s AND day < %s"
            selects.append(
                f"{count} FILTER (WHERE {window}), "
                f"{count} FILTER (WHERE {window} AND sentiment = 'positive'), "
                f"{count} FILTER (WHERE {window} AND sentiment = 'negative'), "
                f"{count} FILTER (WHERE {window} AND media_type = 'earned'), "
                f"{count} FILTER (WHERE {window} AND media_type = 'earned' AND sentiment = 'positive'), "
                f"{count} FILTER (WHERE {window} AND media_type = 'earned' AND sentiment = 'negative')"
            )
            params += [since.astimezone(UTC).date(), until.astimezone(UTC).date()] * 6
        where = [
            "workspace_id = %s",
            "topic_id = 0",
            "media_type <> 'owned'",
            "day >= %s",
            "day < %s",
            _NOT_COMPETITOR_ROLLUP,
        ]
        where_params: list[Any] = [
            workspace_id,
            min(a for a, _ in periods).astimezone(UTC).date(),
            max(b for _, b in periods).astimezone(UTC).date(),
            workspace_id,
        ]
        if brand_id:
            where.append("brand_id = %s")
            where_params.append(brand_id)
        sql = f"SELECT {', '.join(selects)} FROM listening_mention_daily WHERE {' AND '.join(where)}"
    else:
        for since, until in periods:
            window = "m.created_at >= %s AND m.created_at < %s"
            selects.append(
                f"count(*) FILTER (WHERE {window}), "
                f"count(*) FILTER (WHERE {window} AND m.sentiment = 'positive'), "
                f"count(*) FILTER (WHERE {window} AND m.sentiment = 'negative'), "
                f"count(*) FILTER (WHERE {window} AND m.media_type = 'earned'), "
                f"count(*) FILTER (WHERE {window} AND m.media_type = 'earned' AND m.sentiment = 'positive'), "
                f"count(*) FILTER (WHERE {window} AND m.media_type = 'earned' AND m.sentiment = 'negative')"
            )
            params += [since, until] * 6
        scope, where_params = _mention_scope(workspace_id, brand_id, business_unit_id)
        sql = (
            f"SELECT {', '.join(selects)} FROM listening_mention m WHERE {scope} "
            "AND m.media_type <> 'owned' AND m.created_at >= %s AND m.created_at < %s"
        )
        where_params += [min(a for a, _ in periods), max(b for _, b in periods)]
    with connection.cursor() as db:
        db.execute(sql, params + where_params)
        row = db.fetchone()
    values = [int(value or 0) for value in row]
    return [dict(zip(figures, values[i * 6 : i * 6 + 6], strict=True)) for i in range(len(periods))]


def kpi_advocate_counts(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    previous_since: datetime,
    min_positive: int = 3,
    brand_id: int | None = None,
    business_unit_id: int | None = None,
) -> dict[str, int]:
    """Authors (platform and handle) with at least `min_positive` positive mentions in
    [since, until) ("advocates"), in the period before it [previous_since, since) ("previous"),
    and with at least one in [since, until) ("authors"). Our own posts (owned media) and
    mentions of competitors do not make anyone an advocate."""
    scope, params = _mention_scope(workspace_id, brand_id, business_unit_id)
    with connection.cursor() as db:
        db.execute(
            f"""
            SELECT count(*) FILTER (WHERE now_n >= %s), count(*) FILTER (WHERE before_n >= %s),
                   count(*) FILTER (WHERE now_n >= 1)
            FROM (
                SELECT count(*) FILTER (WHERE m.created_at >= %s) AS now_n,
                       count(*) FILTER (WHERE m.created_at < %s) AS before_n
                FROM listening_mention m
                WHERE {scope} AND m.sentiment = 'positive' AND m.media_type <> 'owned'
                  AND m.created_at >= %s AND m.created_at < %s
                GROUP BY m.platform, m.author_handle
            ) authors
            """,
            [min_positive, min_positive, since, since, *params, previous_since, until],
        )
        current, previous, authors = db.fetchone()
    return {"advocates": int(current), "previous": int(previous), "authors": int(authors)}


def kpi_ad_comment_counts(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    answer_within: timedelta = timedelta(hours=24),
    brand_id: int | None = None,
    business_unit_id: int | None = None,
) -> dict[str, int]:
    """Comments under our ads created in [since, until): all of them, the negative ones, and of
    those that need an answer: the ones old enough to judge (created before until minus
    `answer_within`), how many of those were answered before `until`, and how many were too
    young to judge."""
    scope, params = _mention_scope(workspace_id, brand_id, business_unit_id)
    judged_before = until - answer_within
    with connection.cursor() as db:
        db.execute(
            f"""
            SELECT count(*), count(*) FILTER (WHERE m.sentiment = 'negative'),
                   count(*) FILTER (WHERE m.needs_answer AND m.created_at < %s),
                   count(*) FILTER (WHERE m.needs_answer AND m.created_at < %s AND m.answered
                                    AND coalesce(m.answered_at, m.created_at) < %s),
                   count(*) FILTER (WHERE m.needs_answer AND m.created_at >= %s)
            FROM listening_mention m
            WHERE {scope} AND m.media_type = 'paid' AND m.kind = 'comment' AND m.raw ? 'ad_id'
              AND m.created_at >= %s AND m.created_at < %s
            """,
            [judged_before, judged_before, until, judged_before, *params, since, until],
        )
        comments, negative, judged, answered, young = db.fetchone()
    return {
        "comments": int(comments),
        "negative": int(negative),
        "needing_answer": int(judged),
        "answered": int(answered),
        "too_young": int(young),
    }


def kpi_alert_acknowledgements(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    target: timedelta,
    brand_id: int | None = None,
    business_unit_id: int | None = None,
) -> dict[str, int]:
    """Spike alerts raised in [since, until): acknowledged within `target` (before `until`), not
    (late or never, once `target` has passed), and still open but younger than `target`. Alerts
    of topics without a brand belong to no brand or business unit."""
    alerts = Alert.objects.filter(workspace_id=workspace_id, created_at__gte=since, created_at__lt=until)
    if brand_id:
        alerts = alerts.filter(topic__brand_id=brand_id)
    if business_unit_id:
        alerts = alerts.filter(topic__brand__business_unit_id=business_unit_id)
    return _acknowledgement_counts(alerts, until=until, target=target)


def _acknowledgement_counts(alerts, *, until: datetime, target: timedelta) -> dict[str, int]:
    from django.db.models import Count, DurationField, ExpressionWrapper, F

    acknowledged = Q(acknowledged_at__isnull=False, acknowledged_at__lt=until)
    took = ExpressionWrapper(F("acknowledged_at") - F("created_at"), output_field=DurationField())
    totals = alerts.annotate(took=took).aggregate(
        total=Count("pk"),
        in_target=Count("pk", filter=acknowledged & Q(took__lte=target)),
        decided=Count("pk", filter=acknowledged | Q(created_at__lte=until - target)),
    )
    return {
        "in_target": totals["in_target"],
        "missed": totals["decided"] - totals["in_target"],
        "too_young": totals["total"] - totals["decided"],
    }


def kpi_active_authors(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    brand_id: int | None = None,
    business_unit_id: int | None = None,
):
    """The customer profiles that wrote a mention in [since, until), as a subquery (values of
    `customer_id`, repeats included) for the customer profile figures to count in SQL."""
    mentions = Mention.objects.filter(
        workspace_id=workspace_id, created_at__gte=since, created_at__lt=until, customer_id__isnull=False
    ).exclude(media_type="owned")
    if brand_id:
        mentions = mentions.filter(brand_id=brand_id)
    if business_unit_id:
        mentions = mentions.filter(business_unit_id=business_unit_id)
    return mentions.values("customer_id")


def mentions_exist(*, workspace_id: int, since: datetime | None = None) -> bool:
    """Whether the workspace has any mention (since `since`): listening is in use."""
    rows = Mention.objects.filter(workspace_id=workspace_id)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return rows.exists()


def architecture_counts(*, workspace, since: datetime) -> dict[str, Any]:
    """What listening took in and raised since `since`, for the reference architecture: mentions
    per channel account, the topics configured, and the spike alerts raised."""
    from django.db.models import Count

    by_account = {
        row["account_id"]: row["n"]
        for row in Mention.objects.filter(workspace_id=workspace.pk, created_at__gte=since)
        .values("account_id")
        .annotate(n=Count("id"))
    }
    return {
        "mentions_by_account": by_account,
        "mentions": sum(by_account.values()),
        "topics": Topic.objects.for_workspace(workspace).count(),
        "alerts": Alert.objects.for_workspace(workspace).filter(created_at__gte=since).count(),
    }


def kpi_mention_answers(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    brand_id: int | None = None,
    business_unit_id: int | None = None,
) -> dict[str, int]:
    """Mentions that need an answer, arrived in [since, until) (competitors' left out): `items`,
    `answered` (marked answered before `until`), `young` (arrived in the last 24 h, not answered
    yet), `old` (arrived earlier) and `late` (old, and not answered within 24 h of arriving). A mention is marked answered when a reply to it goes out."""
    scope, params = _mention_scope(workspace_id, brand_id, business_unit_id)
    answered = "m.answered AND m.answered_at IS NOT NULL AND m.answered_at < %s"
    # Too young to judge is decided at `until`, or now when `until` is still to come.
    young_since, day = min(until, timezone.now()) - timedelta(hours=24), timedelta(hours=24)
    with connection.cursor() as db:
        db.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {answered}), "
            f"count(*) FILTER (WHERE m.created_at > %s AND NOT ({answered})), "
            "count(*) FILTER (WHERE m.created_at <= %s), "
            f"count(*) FILTER (WHERE m.created_at <= %s AND NOT ({answered} AND m.answered_at <= m.created_at + %s)) "
            f"FROM listening_mention m WHERE {scope} AND m.needs_answer "
            "AND m.created_at >= %s AND m.created_at < %s",
            [until, young_since, until, young_since, young_since, until, day, *params, since, until],
        )
        items, answered_count, young, old, late = db.fetchone()
    return {"items": items, "answered": answered_count, "young": young, "old": old, "late": late}
