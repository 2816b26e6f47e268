"""Comments on ads, read for ads. They are paid mentions whose raw JSON names the ad (`ad_id`)
and the Graph paging cursor of the page they arrived on (`page_after`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection

from listening.selectors.explorer import SELECT_COLUMNS, fetch_mentions

_AD_COMMENTS = "m.workspace_id = %s AND m.media_type = 'paid' AND m.kind = 'comment' AND (m.raw->>'ad_id')::bigint = ANY(%s)"


def ad_comments_resume_cursor(*, workspace_id: int, ad_id: int) -> tuple[bool, str | None]:
    """Where pulling an ad's comments resumes: the page of the newest comment we hold (re-read,
    its known comments come back as duplicates). (False, None) when none is held yet."""
    with connection.cursor() as db:
        db.execute(
            f"SELECT m.raw->>'page_after' FROM listening_mention m WHERE {_AD_COMMENTS} "
            "ORDER BY m.created_at DESC, m.id DESC LIMIT 1",
            [workspace_id, [ad_id]],
        )
        row = db.fetchone()
    return (False, None) if row is None else (True, row[0])


def ad_comment_stats(*, workspace_id: int, ad_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per ad: comment volume, negative count and share, and comments waiting for an answer."""
    stats: dict[int, dict[str, Any]] = {}
    if not ad_ids:
        return stats
    with connection.cursor() as db:
        db.execute(
            "SELECT (m.raw->>'ad_id')::bigint, count(*), count(*) FILTER (WHERE m.sentiment = 'negative'), "
            "count(*) FILTER (WHERE m.needs_answer AND NOT m.answered) "
            f"FROM listening_mention m WHERE {_AD_COMMENTS} GROUP BY 1",
            [workspace_id, list(ad_ids)],
        )
        for ad_id, comments, negative, unanswered in db.fetchall():
            stats[ad_id] = _comment_totals(comments, negative, unanswered)
    return stats


def ad_comment_totals(*, workspace_id: int, ad_ids: list[int]) -> dict[str, Any]:
    """The same figures summed over several ads (a campaign's)."""
    per_ad = ad_comment_stats(workspace_id=workspace_id, ad_ids=ad_ids).values()
    return _comment_totals(
        sum(s["comments"] for s in per_ad),
        sum(s["negative"] for s in per_ad),
        sum(s["unanswered"] for s in per_ad),
    )


def _comment_totals(comments: int, negative: int, unanswered: int) -> dict[str, Any]:
    return {
        "comments": comments,
        "negative": negative,
        "negative_share": round(negative / comments, 3) if comments else None,
        "unanswered": unanswered,
    }


def ad_comments(
    *, workspace_id: int, ad_ids: list[int], sentiment: str = "", limit: int = 100
) -> list[dict[str, Any]]:
    """The newest comments under these ads, with whether each was hidden by a moderator."""
    if not ad_ids:
        return []
    where, params = _AD_COMMENTS, [workspace_id, list(ad_ids)]
    if sentiment:
        where += " AND m.sentiment = %s"
        params.append(sentiment)
    return fetch_mentions(
        f"SELECT {SELECT_COLUMNS}, coalesce((m.raw->>'hidden')::boolean, false) AS hidden "
        f"FROM listening_mention m WHERE {where} ORDER BY m.created_at DESC, m.id DESC LIMIT %s",
        [*params, limit],
    )


def ad_negative_comment_count(*, workspace_id: int, ad_id: int, since: datetime, keywords: list[str]) -> int:
    """Comments under an ad since a moment that are negative or contain a flagged keyword."""
    conditions = ["m.sentiment = 'negative'"] + ["m.text ILIKE %s"] * len(keywords)
    with connection.cursor() as db:
        db.execute(
            f"SELECT count(*) FROM listening_mention m WHERE {_AD_COMMENTS} AND m.created_at >= %s "
            f"AND ({' OR '.join(conditions)})",
            [workspace_id, [ad_id], since, *[f"%{word}%" for word in keywords]],
        )
        return db.fetchone()[0]
