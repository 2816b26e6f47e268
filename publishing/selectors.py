"""Every non-trivial read in publishing: lists, the calendar, the review queue, held posts,
pause state and what works."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from cxm.audit.selectors import audit_coverage
from cxm.channels import connectors
from cxm.channels.models import ChannelAccount, DeletionStatus
from publishing.limits import PLATFORM_LIMITS
from publishing.models import (
    ApprovalRule,
    Campaign,
    MediaAttachment,
    Pause,
    PauseScope,
    Post,
    PostStatus,
    PostTarget,
    TargetStatus,
)


@dataclass(frozen=True)
class PostFilters:
    start: datetime | None = None
    end: datetime | None = None
    account: int | None = None
    business_unit: int | None = None
    brand: int | None = None
    campaign: int | None = None
    status: str = ""


def posts_list(*, workspace, filters: PostFilters = PostFilters()) -> QuerySet[Post]:
    posts = Post.objects.filter(workspace=workspace)
    if filters.start:
        posts = posts.filter(scheduled_at__gte=filters.start)
    if filters.end:
        posts = posts.filter(scheduled_at__lt=filters.end)
    if filters.status == "held":
        # Held is a target's state, not a post's: posts with any target waiting after a pause.
        posts = posts.filter(
            pk__in=PostTarget.objects.filter(workspace=workspace, status=TargetStatus.HELD).values("post_id")
        )
    elif filters.status:
        posts = posts.filter(status=filters.status)
    if filters.campaign:
        posts = posts.filter(campaign_id=filters.campaign)
    on_targets = {}
    if filters.account:
        on_targets["account_id"] = filters.account
    if filters.business_unit:
        on_targets["account__business_unit_id"] = filters.business_unit
    if filters.brand:
        on_targets["account__brand_id"] = filters.brand
    if on_targets:
        posts = posts.filter(
            pk__in=PostTarget.objects.filter(workspace=workspace, **on_targets).values("post_id")
        )
    return posts.select_related("campaign", "created_by").prefetch_related(
        Prefetch("targets", queryset=PostTarget.objects.select_related("account", "taken_down_by"))
    )


def post_get(*, workspace, post_id) -> Post | None:
    return (
        Post.objects.filter(workspace=workspace, pk=post_id)
        .select_related("campaign", "created_by", "approved_by")
        .prefetch_related(
            Prefetch(
                "targets",
                queryset=PostTarget.objects.select_related("account", "held_by_pause", "taken_down_by"),
            ),
            "comments__author",
            "media",
        )
        .first()
    )


def calendar_posts(
    *, workspace, start: datetime, end: datetime, filters: PostFilters = PostFilters()
) -> list[Post]:
    filters = PostFilters(**{**filters.__dict__, "start": start, "end": end})
    return list(
        posts_list(workspace=workspace, filters=filters)
        .exclude(status=PostStatus.CANCELLED)
        .order_by("scheduled_at")
    )


def review_queue(*, workspace) -> QuerySet[Post]:
    return posts_list(workspace=workspace, filters=PostFilters(status=PostStatus.IN_REVIEW)).order_by(
        "submitted_at"
    )


def held_targets(*, workspace) -> QuerySet[PostTarget]:
    return (
        PostTarget.objects.filter(workspace=workspace, status=TargetStatus.HELD)
        .select_related("post", "account", "held_by_pause")
        .order_by("due_at", "id")
    )


def failed_targets(*, workspace) -> QuerySet[PostTarget]:
    return (
        PostTarget.objects.filter(workspace=workspace, status=TargetStatus.FAILED)
        .select_related("post", "account")
        .order_by("-due_at")
    )


def pauses_active(*, workspace, at=None) -> list[Pause]:
    at = at or timezone.now()
    return list(
        Pause.objects.filter(workspace=workspace, resumed_at__isnull=True, starts_at__lte=at)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
        .select_related("created_by", "business_unit", "account")
        .order_by("starts_at")
    )


def pause_holding(*, post: Post) -> Pause | None:
    """The pause that would hold this post when it falls due (now, or at its time), if any: the
    first active or scheduled pause covering one of its accounts at that moment."""
    at = max(post.scheduled_at or timezone.now(), timezone.now())
    covering = Q(scope=PauseScope.GLOBAL)
    for target in post.targets.select_related("account"):
        covering |= Q(scope=PauseScope.ACCOUNT, account_id=target.account_id)
        if target.account.business_unit_id:
            covering |= Q(scope=PauseScope.BUSINESS_UNIT, business_unit_id=target.account.business_unit_id)
    return (
        Pause.objects.filter(
            covering, workspace_id=post.workspace_id, resumed_at__isnull=True, starts_at__lte=at
        )
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
        .order_by("starts_at")
        .first()
    )


def pauses_upcoming(*, workspace, at=None) -> list[Pause]:
    at = at or timezone.now()
    return list(
        Pause.objects.filter(workspace=workspace, resumed_at__isnull=True, starts_at__gt=at)
        .select_related("created_by", "business_unit", "account")
        .order_by("starts_at")
    )


def pauses_history(*, workspace, limit: int = 50) -> list[Pause]:
    return list(
        Pause.objects.filter(workspace=workspace)
        .select_related("created_by", "resumed_by", "business_unit", "account")
        .order_by("-created_at")[:limit]
    )


def campaigns(*, workspace) -> QuerySet[Campaign]:
    return Campaign.objects.filter(workspace=workspace)


def approval_rules(*, workspace) -> QuerySet[ApprovalRule]:
    return (
        ApprovalRule.objects.filter(workspace=workspace)
        .select_related("business_unit")
        .prefetch_related("approvers")
    )


def post_counts(*, workspace) -> dict[str, int]:
    counts = dict.fromkeys(PostStatus.values, 0)
    for row in Post.objects.filter(workspace=workspace).values("status").order_by().annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    counts["held"] = PostTarget.objects.filter(workspace=workspace, status=TargetStatus.HELD).count()
    return counts


def top_posts(*, workspace, days: int = 90, limit: int = 20) -> list[dict]:
    """Published targets ranked by engagement (likes + reposts + replies), with its rate per reach."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        PostTarget.objects.filter(
            workspace=workspace,
            status=TargetStatus.PUBLISHED,
            published_at__gte=since,
            metrics_at__isnull=False,
        )
        .annotate(engagement=F("likes") + F("reposts") + F("replies"))
        .select_related("post", "account")
        .order_by("-engagement", "-published_at")[:limit]
    )
    return [
        {
            "target": row,
            "engagement": row.engagement or 0,
            "rate": (row.engagement or 0) / row.reach if row.reach else None,
        }
        for row in rows
    ]


def best_hours(*, workspace, time_zone: str = "UTC", days: int = 90) -> list[list[float | None]]:
    """Average engagement per published post by weekday (Monday first) and hour in `time_zone`."""
    try:
        ZoneInfo(time_zone)
    except Exception:
        time_zone = "UTC"
    since = timezone.now() - timedelta(days=days)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT EXTRACT(ISODOW FROM published_at AT TIME ZONE %s)::int - 1,
                   EXTRACT(HOUR FROM published_at AT TIME ZONE %s)::int,
                   AVG(COALESCE(likes, 0) + COALESCE(reposts, 0) + COALESCE(replies, 0))
              FROM publishing_posttarget
             WHERE workspace_id = %s AND status = 'published' AND published_at >= %s
               AND metrics_at IS NOT NULL
             GROUP BY 1, 2
            """,
            [time_zone, time_zone, workspace.pk, since],
        )
        grid: list[list[float | None]] = [[None] * 24 for _ in range(7)]
        for weekday, hour, average in cursor.fetchall():
            grid[weekday][hour] = round(float(average), 1)
    return grid


def pause_get(*, workspace, pause_id) -> Pause | None:
    return Pause.objects.filter(workspace=workspace, pk=pause_id).first()


def publishable_accounts(*, workspace) -> QuerySet[ChannelAccount]:
    """The accounts a post can go to (platforms that publish), grouped for the composer."""
    return (
        ChannelAccount.objects.filter(workspace=workspace, platform__in=list(PLATFORM_LIMITS))
        .select_related("business_unit", "brand")
        .order_by("business_unit__name", "platform", "handle")
    )


def target_get(*, workspace, target_id) -> PostTarget | None:
    return (
        PostTarget.objects.filter(workspace=workspace, pk=target_id)
        .select_related("post", "account", "taken_down_by")
        .first()
    )


def _targets_of(post: Post) -> QuerySet[PostTarget]:
    return (
        PostTarget.objects.filter(workspace_id=post.workspace_id, post=post)
        .select_related("post", "account", "taken_down_by")
        .order_by("pk")
    )


def post_targets(*, post: Post, target_ids: list[int]) -> list[PostTarget]:
    """The post's targets among `target_ids` (another post's or workspace's are left out)."""
    return list(_targets_of(post).filter(pk__in=target_ids))


def published_targets(*, post: Post) -> list[PostTarget]:
    """The post's targets that went out (a take-down of "all" means these)."""
    return list(_targets_of(post).filter(status=TargetStatus.PUBLISHED))


def can_take_down(target: PostTarget) -> bool:
    """Whether a person may ask now for the target's post to be deleted from its platform: it is
    published there, the platform lets accounts delete posts, and no take-down is under way or
    done (a failed one may be asked again)."""
    return (
        target.status == TargetStatus.PUBLISHED
        and bool(target.external_id)
        and target.takedown_status in (DeletionStatus.NONE, DeletionStatus.FAILED)
        and connectors.can_delete(target.account.platform)
    )


def take_down_candidates(*, post: Post, target_ids: list[int] | None = None) -> list[PostTarget]:
    """The post's targets (of `target_ids`, else all) that `can_take_down`."""
    targets = post_targets(post=post, target_ids=target_ids) if target_ids is not None else post.targets.all()
    return [target for target in targets if can_take_down(target)]


def media_get(*, workspace, post_id, media_id) -> MediaAttachment | None:
    return MediaAttachment.objects.filter(workspace=workspace, post_id=post_id, pk=media_id).first()


# --- transformation KPIs ---------------------------------------------------------------------------


def _targets_in_scope(workspace_id: int, business_unit_id: int | None, brand_id: int | None) -> QuerySet:
    targets = PostTarget.objects.filter(workspace_id=workspace_id, status=TargetStatus.PUBLISHED)
    if business_unit_id:
        targets = targets.filter(account__business_unit_id=business_unit_id)
    if brand_id:
        targets = targets.filter(account__brand_id=brand_id)
    return targets


def kpi_variant_counts(
    *, workspace_id: int, since: datetime, until: datetime, business_unit_id=None, brand_id=None
) -> dict[str, int]:
    """Posts with at least one target published in [since, until) (on an account of the unit or
    brand when asked), and how many of them carry a non-empty language variant ("lang:xx")."""
    published = _targets_in_scope(workspace_id, business_unit_id, brand_id).filter(
        published_at__gte=since, published_at__lt=until
    )
    with connection.cursor() as cursor:
        inner, params = published.values("post_id").query.sql_with_params()
        cursor.execute(
            f"""
            SELECT count(*), count(*) FILTER (WHERE EXISTS (
                       SELECT 1 FROM jsonb_each_text(p.variants) v
                       WHERE v.key LIKE 'lang:%%' AND btrim(v.value) <> ''))
            FROM publishing_post p
            WHERE p.workspace_id = %s AND p.id IN ({inner})
            """,  # noqa: S608 (the subquery is Django's own SQL; values are parameters)
            [workspace_id, *params],
        )
        posts, with_variants = cursor.fetchone()
    return {"posts": int(posts), "with_variants": int(with_variants)}


def kpi_engagement_totals(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    settle: timedelta = timedelta(hours=24),
    business_unit_id=None,
    brand_id=None,
) -> dict[str, int]:
    """Targets published in [since, until) with metrics and a reach: their likes + reposts +
    replies and their reach summed, for those published before `until - settle`; the younger
    ones (their figures still growing) are only counted."""
    settled_before = until - settle
    measured = _targets_in_scope(workspace_id, business_unit_id, brand_id).filter(
        published_at__gte=since, published_at__lt=until, metrics_at__isnull=False, reach__gt=0
    )
    settled = Q(published_at__lt=settled_before)
    totals = measured.aggregate(
        targets=Count("pk", filter=settled),
        engagement=Sum(
            Coalesce(F("likes"), 0) + Coalesce(F("reposts"), 0) + Coalesce(F("replies"), 0), filter=settled
        ),
        reach=Sum("reach", filter=settled),
        too_young=Count("pk", filter=~settled),
    )
    return {key: int(value or 0) for key, value in totals.items()}


def kpi_last_pause(
    *, workspace_id: int, until: datetime, business_unit_id=None, brand_id=None
) -> dict | None:
    """The last pause that took effect before `until` and covers the scope (a business unit's:
    global, the unit's or one of its accounts'; a brand's: global or one of its accounts'): when
    it was asked for, and when publishing stopped (the pause row is written once the publishes
    in flight have finished; a scheduled one stops publishing at its start)."""
    pauses = Pause.objects.filter(workspace_id=workspace_id, starts_at__lt=until, created_at__lt=until)
    if business_unit_id:
        pauses = pauses.filter(
            Q(scope="global")
            | Q(business_unit_id=business_unit_id)
            | Q(account__business_unit_id=business_unit_id)
        )
    if brand_id:
        pauses = pauses.filter(Q(scope="global") | Q(account__brand_id=brand_id))
    pause = pauses.order_by("-starts_at", "-id").values("pk", "starts_at", "created_at", "scope").first()
    if pause is None:
        return None
    return {
        "pause_id": pause["pk"],
        "scope": pause["scope"],
        # An immediate pause starts when it is asked for; a scheduled one when it was meant to.
        "requested_at": pause["starts_at"],
        "publishing_stopped_at": max(pause["starts_at"], pause["created_at"]),
    }


def kpi_pauses_audited(*, workspace_id: int, since: datetime, until: datetime) -> dict[str, int]:
    """Pauses created in [since, until), and how many have their audit entry."""
    rows = Pause.objects.filter(workspace_id=workspace_id, created_at__gte=since, created_at__lt=until)
    return audit_coverage(
        workspace_id=workspace_id,
        rows=rows,
        object_type="publishing.pause",
        actions=["publishing.pause", "publishing.pause_scheduled"],
    )


def architecture_counts(*, workspace, since: datetime) -> dict:
    """What publishing put out since `since`, for the reference architecture: published targets
    per channel account, and the approval rules in force."""
    by_account = {
        row["account_id"]: row["n"]
        for row in PostTarget.objects.for_workspace(workspace)
        .filter(status=TargetStatus.PUBLISHED, published_at__gte=since)
        .values("account_id")
        .annotate(n=Count("id"))
    }
    return {
        "published_by_account": by_account,
        "published": sum(by_account.values()),
        "approval_rules": ApprovalRule.objects.for_workspace(workspace).count(),
    }
