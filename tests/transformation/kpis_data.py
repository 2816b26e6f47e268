"""Hand-made data for the KPI tests: mentions written straight into the partitioned table (with
the daily roll-up rebuilt from them, as ingest would keep it), posts with published targets,
and ad objects, without going through connectors."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from django.db import connection

from transformation.kpis.registry import Scope

_ids = itertools.count(1)

# Snapshots of this day measure up to its end; data is placed relative to it.
DAY = date(2026, 11, 20)
UNTIL = datetime(2026, 11, 21, tzinfo=UTC)


def scope(workspace, **kwargs) -> Scope:
    return Scope(workspace_id=workspace.pk, until=kwargs.pop("until", UNTIL), **kwargs)


def mentions(
    workspace,
    count: int = 1,
    *,
    at: datetime,
    sentiment: str = "neutral",
    media_type: str = "earned",
    kind: str = "post",
    author: str | None = None,
    platform: str = "mastodon",
    brand_id: int | None = None,
    business_unit_id: int | None = None,
    customer_id: int | None = None,
    needs_answer: bool = False,
    answered_at: datetime | None = None,
    raw: dict | None = None,
) -> None:
    """`count` mentions at `at` (each by its own author unless `author` is given)."""
    import json

    from listening.partitions import ensure_partitions

    ensure_partitions({at})
    rows = []
    for _ in range(count):
        n = next(_ids)
        rows.append(
            (
                workspace.pk,
                at,
                platform,
                f"kpi-{n}",
                brand_id,
                business_unit_id,
                kind,
                media_type,
                customer_id,
                author or f"author{n}",
                f"mention {n}",
                sentiment,
                {"positive": 0.8, "negative": -0.8}.get(sentiment, 0.0),
                needs_answer,
                answered_at is not None,
                answered_at,
                json.dumps(raw) if raw is not None else None,
            )
        )
    with connection.cursor() as cursor:
        cursor.executemany(
            """
            INSERT INTO listening_mention (workspace_id, created_at, platform, external_id, brand_id,
                business_unit_id, kind, media_type, customer_id, author_handle, text, sentiment,
                sentiment_score, needs_answer, answered, answered_at, raw)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb)
            """,
            rows,
        )
    rollup_rebuild(workspace.pk)


def rollup_rebuild(workspace_id: int) -> None:
    """The all-topics daily roll-up, summed again from the mention rows."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM listening_mention_daily WHERE workspace_id = %s", [workspace_id])
        cursor.execute(
            """
            INSERT INTO listening_mention_daily (workspace_id, day, topic_id, brand_id, platform, language,
                sentiment, media_type, country, mentions, needs_answer, answered, sentiment_sum)
            SELECT workspace_id, (created_at AT TIME ZONE 'UTC')::date, 0, coalesce(brand_id, 0), platform,
                language, sentiment, media_type, country, count(*), count(*) FILTER (WHERE needs_answer),
                count(*) FILTER (WHERE needs_answer AND answered), sum(sentiment_score)
            FROM listening_mention WHERE workspace_id = %s
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
            """,
            [workspace_id],
        )


def account(workspace, *, handle: str = "brand", platform: str = "mastodon", business_unit=None, brand=None):
    from cxm.channels.models import ChannelAccount

    return ChannelAccount.objects.create(
        workspace=workspace,
        platform=platform,
        handle=f"{handle}{next(_ids)}",
        business_unit=business_unit,
        brand=brand,
    )


def published_posts(
    workspace,
    count: int,
    *,
    on,
    at: datetime,
    variants: dict | None = None,
    likes: int | None = None,
    reposts: int = 0,
    replies: int = 0,
    reach: int | None = None,
) -> None:
    from publishing.models import Post, PostStatus, PostTarget, TargetStatus

    posts = Post.objects.bulk_create(
        [
            Post(workspace=workspace, text=f"post {n}", variants=variants or {}, status=PostStatus.PUBLISHED)
            for n in range(count)
        ]
    )
    PostTarget.objects.bulk_create(
        [
            PostTarget(
                workspace=workspace,
                post=post,
                account=on,
                status=TargetStatus.PUBLISHED,
                published_at=at,
                likes=likes,
                reposts=reposts if likes is not None else None,
                replies=replies if likes is not None else None,
                reach=reach,
                metrics_at=at + timedelta(hours=1) if likes is not None else None,
            )
            for post in posts
        ]
    )


def ad_campaign(workspace, *, business_unit=None, brand=None, platform_status: str = ""):
    from ads.models import Ad, AdCampaign, AdSet

    n = next(_ids)
    campaign = AdCampaign.objects.create(
        workspace=workspace,
        name=f"Campaign {n}",
        external_ref=f"c{n}",
        external_id=f"ext-c{n}",
        currency="USD",
        business_unit=business_unit,
        brand=brand,
        platform_status=platform_status,
    )
    ad_set = AdSet.objects.create(
        workspace=workspace, campaign=campaign, name=f"Set {n}", external_ref=f"s{n}"
    )
    Ad.objects.create(
        workspace=workspace, campaign=campaign, ad_set=ad_set, name=f"Ad {n}", external_ref=f"a{n}"
    )
    return campaign


def stamp(model, pk: int, **fields) -> None:
    """Set auto-managed timestamps (created_at and the like) that `save()` would overwrite."""
    model.objects.filter(pk=pk).update(**fields)
