"""The dashboard: every figure it draws, from the daily roll-ups only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from listening.selectors.explorer import ROLLUP_FACETS, ExplorerFilters


def _rollup_where(workspace_id: int, filters: ExplorerFilters, *, days: int) -> tuple[str, list[Any]]:
    since = filters.since.date() if filters.since else timezone.now().date() - timedelta(days=days - 1)
    clauses, params = (
        ["workspace_id = %s", "topic_id = %s", "day >= %s"],
        [workspace_id, filters.topic or 0, since],
    )
    if filters.until:
        clauses.append("day < %s")
        params.append(filters.until.date())
    for column in ROLLUP_FACETS:
        value = getattr(filters, column)
        if value:
            clauses.append(f"{column} = %s")
            params.append(value)
    if filters.brand is not None:
        clauses.append("brand_id = %s")
        params.append(filters.brand)
    return " AND ".join(clauses), params


def dashboard(
    *, workspace, filters: ExplorerFilters, days: int = 30, using: str = DEFAULT_DB_ALIAS
) -> dict[str, Any]:
    """Everything the dashboard draws, from the daily roll-ups the ingest pipeline keeps, read
    through the database alias `using` (the replica, when cxm.replica.read_alias allows)."""
    workspace_id = workspace.pk
    where, params = _rollup_where(workspace_id, filters, days=days)
    result: dict[str, Any] = {}
    with connections[using].cursor() as db:
        db.execute(
            f"SELECT day, sentiment, sum(mentions) FROM listening_mention_daily WHERE {where} "
            "GROUP BY day, sentiment ORDER BY day",
            params,
        )
        series: dict[str, dict[str, int]] = {}
        for day, sentiment, count in db.fetchall():
            series.setdefault(day.isoformat(), {})[sentiment] = int(count)
        result["volume"] = [
            {
                "day": day,
                "total": sum(values.values()),
                **{k: values.get(k, 0) for k in ("positive", "neutral", "negative", "unknown")},
            }
            for day, values in sorted(series.items())
        ]
        db.execute(
            f"SELECT brand_id, sum(mentions), sum(sentiment_sum) FROM listening_mention_daily WHERE {where} "
            "GROUP BY brand_id ORDER BY 2 DESC",
            params,
        )
        result["share_of_voice"] = [
            {
                "brand_id": brand or None,
                "mentions": int(count),
                "net_sentiment": float(total) / float(count) if count else 0,
            }
            for brand, count, total in db.fetchall()
        ]
        for dimension in ("media_type", "country", "platform", "language"):
            db.execute(
                f"SELECT {dimension}, sum(mentions) FROM listening_mention_daily WHERE {where} "
                f"GROUP BY {dimension} ORDER BY 2 DESC LIMIT 12",
                params,
            )
            result[dimension] = [{"value": value, "mentions": int(count)} for value, count in db.fetchall()]
        db.execute(
            f"SELECT sum(needs_answer), sum(answered) FROM listening_mention_daily WHERE {where}",
            params,
        )
        needing, answered = db.fetchone()
        result["response_coverage"] = {
            "needs_answer": int(needing or 0),
            "answered": int(answered or 0),
            "share": (float(answered) / float(needing)) if needing else None,
        }
        since = params[2]
        db.execute(
            "SELECT author_handle, platform, max(customer_id), sum(mentions), sum(positive), sum(negative) "
            "FROM listening_author_daily WHERE workspace_id = %s AND day >= %s "
            "GROUP BY author_handle, platform ORDER BY 4 DESC LIMIT 10",
            [workspace_id, since],
        )
        result["top_authors"] = [
            {
                "handle": h,
                "platform": p,
                "customer_id": c,
                "mentions": int(n),
                "positive": int(pos),
                "negative": int(neg),
            }
            for h, p, c, n, pos, neg in db.fetchall()
        ]
        db.execute(
            "SELECT term, sum(mentions) FROM listening_term_daily WHERE workspace_id = %s AND day >= %s "
            "GROUP BY term ORDER BY 2 DESC LIMIT 20",
            [workspace_id, since],
        )
        result["top_terms"] = [{"term": t, "mentions": int(n)} for t, n in db.fetchall()]
        db.execute(
            "SELECT tag, sum(mentions), sum(negative) FROM listening_tag_daily WHERE workspace_id = %s AND day >= %s "
            "GROUP BY tag ORDER BY 2 DESC LIMIT 30",
            [workspace_id, since],
        )
        tags = [{"tag": t, "mentions": int(n), "negative": int(neg)} for t, n, neg in db.fetchall()]
        result["products"] = [
            t | {"name": t["tag"].split(":", 1)[1]} for t in tags if t["tag"].startswith("product:")
        ]
        result["locations"] = [
            t | {"name": t["tag"].split(":", 1)[1]} for t in tags if t["tag"].startswith("location:")
        ]
    return result
