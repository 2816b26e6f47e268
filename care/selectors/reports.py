"""Care figures for the reports page and the API: first response and resolution times, share of
inbound answered, SLA breaches, CSAT, backlog; and their day-by-day series."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Avg, Count, Q
from django.utils import timezone

from care.models import (
    ACTIVE_STATUSES,
    Case,
    CsatResponse,
)

# --- metrics -------------------------------------------------------------------------------------


def care_metrics(
    *,
    workspace,
    since: datetime,
    until: datetime | None = None,
    queue_id: int | None = None,
    business_unit_id: int | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> dict[str, Any]:
    """Service figures for cases opened in [since, until): first response and resolution times
    (seconds, mean and median), share of cases answered, SLA breaches, CSAT; and the backlog now.
    Read through the database alias `using` (the replica, when cxm.replica.read_alias allows)."""
    until = until or timezone.now()
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    where = ["workspace_id = %s", "created_at >= %s", "created_at < %s", "channel_kind <> 'manual'"]
    params: list[Any] = [workspace_id, since, until]
    if queue_id:
        where.append("queue_id = %s")
        params.append(queue_id)
    if business_unit_id:
        where.append("business_unit_id = %s")
        params.append(business_unit_id)
    # date_part (float8), not extract (numeric since PostgreSQL 14): over a million cases the
    # numeric arithmetic and the medians' sorts of numerics cost more than the scan. The figures
    # are rounded to 0.1 s, far above float8's error on these sums.
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*),
                   count(first_responded_at),
                   avg(date_part('epoch', first_responded_at - created_at)),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', first_responded_at - created_at)),
                   count(resolved_at),
                   avg(date_part('epoch', resolved_at - created_at)),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', resolved_at - created_at)),
                   count(*) FILTER (WHERE first_response_breached_at IS NOT NULL),
                   count(*) FILTER (WHERE resolution_breached_at IS NOT NULL),
                   count(*) FILTER (WHERE reopen_count > 0)
            FROM care_case WHERE {" AND ".join(where)}
            """,  # noqa: S608 (fixed column names; values are parameters)
            params,
        )
        (
            total,
            answered,
            fr_avg,
            fr_median,
            resolved,
            res_avg,
            res_median,
            fr_breached,
            res_breached,
            reopened,
        ) = cursor.fetchone()
    csat = CsatResponse.objects.using(using).filter(
        workspace_id=workspace_id, created_at__gte=since, created_at__lt=until
    )
    if queue_id:
        csat = csat.filter(case__queue_id=queue_id)
    if business_unit_id:
        csat = csat.filter(case__business_unit_id=business_unit_id)
    csat_totals = csat.aggregate(
        n=Count("id"), satisfied=Count("id", filter=Q(score__gte=4)), average=Avg("score")
    )
    backlog_rows = Case.objects.using(using).filter(workspace_id=workspace_id, status__in=ACTIVE_STATUSES)
    if queue_id:
        backlog_rows = backlog_rows.filter(queue_id=queue_id)
    if business_unit_id:
        backlog_rows = backlog_rows.filter(business_unit_id=business_unit_id)
    backlog = dict(backlog_rows.values_list("status").annotate(n=Count("id")))

    def number(value) -> float | None:
        return round(float(value), 1) if value is not None else None

    return {
        "cases": total,
        "first_response_seconds": {"mean": number(fr_avg), "median": number(fr_median), "count": answered},
        "resolution_seconds": {"mean": number(res_avg), "median": number(res_median), "count": resolved},
        "answered_share": round(answered / total, 4) if total else None,
        "sla_breaches": {"first_response": fr_breached, "resolution": res_breached},
        "reopened": reopened,
        "csat": {
            "responses": csat_totals["n"],
            "average": round(float(csat_totals["average"]), 2) if csat_totals["n"] else None,
            "satisfied_share": round(csat_totals["satisfied"] / csat_totals["n"], 4)
            if csat_totals["n"]
            else None,
        },
        "backlog": {
            "total": sum(backlog.values()),
            **{status: backlog.get(status, 0) for status in ACTIVE_STATUSES},
        },
    }


# --- reports -------------------------------------------------------------------------------------


def care_report(
    *, workspace, since: datetime, until: datetime, tz: str = "UTC", using: str = DEFAULT_DB_ALIAS
) -> dict[str, Any]:
    """Day-by-day series for the reports page (cases opened in [since, until), days in `tz`): volume,
    first response and resolution times (mean, seconds), resolved, answered share; CSAT per day
    and by score. One pass over the cases of the period, one over the CSAT answers."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT (created_at AT TIME ZONE %s)::date AS day,
                   count(*),
                   count(first_responded_at),
                   avg(date_part('epoch', first_responded_at - created_at)),
                   count(resolved_at),
                   avg(date_part('epoch', resolved_at - created_at)),
                   count(*) FILTER (WHERE first_response_breached_at IS NOT NULL
                                       OR resolution_breached_at IS NOT NULL)
            FROM care_case
            WHERE workspace_id = %s AND created_at >= %s AND created_at < %s AND channel_kind <> 'manual'
            GROUP BY 1 ORDER BY 1
            """,
            [tz, workspace_id, since, until],
        )
        days = [
            {
                "day": day.isoformat(),
                "cases": total,
                "answered": answered,
                "first_response_mean": round(float(fr), 1) if fr is not None else None,
                "resolved": resolved,
                "resolution_mean": round(float(res), 1) if res is not None else None,
                "breached": breached,
            }
            for day, total, answered, fr, resolved, res, breached in cursor.fetchall()
        ]
        cursor.execute(
            """
            SELECT (created_at AT TIME ZONE %s)::date, score, count(*)
            FROM care_csatresponse
            WHERE workspace_id = %s AND created_at >= %s AND created_at < %s
            GROUP BY 1, 2 ORDER BY 1, 2
            """,
            [tz, workspace_id, since, until],
        )
        csat_days: dict[str, dict[str, float]] = {}
        by_score = dict.fromkeys(range(1, 6), 0)
        for day, score, n in cursor.fetchall():
            entry = csat_days.setdefault(day.isoformat(), {"responses": 0, "total": 0})
            entry["responses"] += n
            entry["total"] += score * n
            by_score[score] += n
    return {
        "days": days,
        "csat_days": [
            {"day": day, "responses": v["responses"], "average": round(v["total"] / v["responses"], 2)}
            for day, v in sorted(csat_days.items())
        ],
        "csat_scores": [{"score": score, "responses": n} for score, n in by_score.items()],
    }
