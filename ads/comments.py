"""Comments under our ads: pulled from the platform into listening as paid mentions, and hidden.

Webhooks drop ad comments, so a scheduled pull reconciles: for every running ad it reads the
comments of the ad's post (its creative's effective_object_story_id) page by page, from the page
of the newest comment listening already holds for that ad (the cursor lives with that comment,
in its raw JSON). Listening's key table makes re-reading a page harmless: known comments come
back as duplicates. Listening then enriches them (language, sentiment) and care's rule opens
cases, as for every mention.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ads import services
from ads.models import Ad, AdCampaign, AdCommentAlert, AdStatus
from ads.services.platform import ads_connector
from cxm.audit.services import audit_record
from cxm.channels.connectors.base import ConnectorError, ItemKind, RateLimited
from listening import selectors as listening_selectors
from listening import services as listening_services

log = logging.getLogger(__name__)

PLATFORM = "meta_ads"  # the ad account the comments came in through; care routes by it
MAX_PAGES_PER_AD = 20

# A spike: today's negative comments under an ad reach SPIKE_MIN_NEGATIVE and SPIKE_FACTOR times
# the ad's own baseline (median negative count per day over the previous BASELINE_DAYS, at least 1).
SPIKE_MIN_NEGATIVE = 5
SPIKE_FACTOR = 3.0
BASELINE_DAYS = 14

GUARD_DEFAULTS: dict[str, Any] = {"enabled": False, "threshold": 5, "window_minutes": 60, "keywords": []}


@dataclass
class CommentsPull:
    ads: int = 0
    pulled: int = 0
    accepted: int = 0
    failed: dict[int, str] = field(default_factory=dict)


def ads_with_comments(*, workspace_id: int | None = None):
    """Running ads whose post we know: the ones that can gather comments."""
    rows = (
        Ad.objects.filter(
            status=AdStatus.ACTIVE, campaign__status=AdStatus.ACTIVE, ad_set__status=AdStatus.ACTIVE
        )
        .exclude(external_id="")
        .exclude(effective_object_story_id="")
    )
    if workspace_id is not None:
        rows = rows.filter(workspace_id=workspace_id)
    return rows


def ad_comments_pull_all() -> CommentsPull:
    """Pull the comments of every running ad (beat runs this every few minutes)."""
    result = CommentsPull()
    for ad_id in ads_with_comments().values_list("pk", flat=True):
        one = ad_comments_pull(ad_id=ad_id)
        result.ads += 1
        result.pulled += one.pulled
        result.accepted += one.accepted
        result.failed.update(one.failed)
    return result


def ad_comments_pull(*, ad_id: int, connector=None) -> CommentsPull:
    """Pull what is new under one ad's post into listening; safe to run twice."""
    result = CommentsPull(ads=1)
    ad = Ad.objects.select_related("campaign", "campaign__account").filter(pk=ad_id).first()
    if ad is None or not ad.effective_object_story_id:
        return result
    campaign = ad.campaign
    connector = connector or ads_connector(campaign.account)
    _, after = listening_selectors.ad_comments_resume_cursor(workspace_id=ad.workspace_id, ad_id=ad.pk)
    try:
        for _ in range(MAX_PAGES_PER_AD):
            rows, next_after = connector.post_comments(ad.effective_object_story_id, after=after)
            raws = [_raw_mention(ad, row, page_after=after) for row in rows if row.get("message")]
            result.pulled += len(rows)
            if raws:
                stored = listening_services.mentions_ingest(workspace_id=ad.workspace_id, raws=raws)
                result.accepted += stored.accepted
            if next_after is None:
                break
            after = next_after
    except RateLimited as exc:
        result.failed[ad.pk] = f"rate limited: {exc}"  # the next run resumes from the cursor
    except ConnectorError as exc:
        log.warning("pulling comments of ad %s failed: %s", ad.pk, exc)
        result.failed[ad.pk] = str(exc)
    return result


def _raw_mention(ad: Ad, row: dict, *, page_after: str | None):
    author = row.get("from") or {}
    created = parse_datetime(str(row.get("created_time") or "").replace("+0000", "+00:00"))
    post_id = ad.effective_object_story_id
    parent = (row.get("parent") or {}).get("id")
    return listening_services.RawMention(
        platform=PLATFORM,
        external_id=str(row["id"]),
        text=str(row["message"]),
        created_at=created or timezone.now(),
        author_platform_id=str(author.get("id") or author.get("name") or "unknown"),
        author_handle=str(author.get("name") or author.get("id") or "unknown"),
        author_name=str(author.get("name") or ""),
        kind=ItemKind.COMMENT,
        url=str(row.get("permalink_url") or f"https://www.facebook.com/{post_id}"),
        in_reply_to=str(parent or post_id),
        thread_id=post_id,
        brand_id=ad.campaign.brand_id,
        business_unit_id=ad.campaign.business_unit_id,
        account_id=ad.campaign.account_id,
        media_type="paid",
        source="ads",
        raw={
            "ad_id": ad.pk,
            "campaign_id": ad.campaign_id,
            "ad_set_id": ad.ad_set_id,
            "post_id": post_id,
            "page_after": page_after,
            "is_hidden": bool(row.get("is_hidden")),
        },
    )


def ad_comment_hide(*, workspace, ad: Ad, mention_id: int, by=None, request=None) -> bool:
    """Hide a comment under one of our ads, on the platform first, then record it in listening."""
    mention = listening_selectors.mention_get(workspace=workspace, mention_id=mention_id)
    if mention is None or (mention.raw or {}).get("ad_id") != ad.pk:
        raise ValidationError({"mention": "Not a comment under this ad."})
    if (mention.raw or {}).get("hidden"):
        return False
    ads_connector(ad.campaign.account).comment_hide(mention.external_id)
    return listening_services.mention_mark_hidden(
        workspace=workspace, mention=mention, by=by, request=request
    )


def ad_comments_guard(
    *, ad: Ad, threshold: int, window: timedelta, keywords: list[str] | None = None, by=None
) -> bool:
    """The guard rule: pause the ad (on the platform, through the audited status change) when
    its negative or flagged-keyword comments within `window` reach `threshold`. True if paused.

    Once it paused an ad, only comments after that moment count: an ad someone re-activates is
    not paused again for the comments that tripped the guard before."""
    if ad.status != AdStatus.ACTIVE or threshold < 1:
        return False
    since = timezone.now() - window
    if ad.comment_guard_paused_at is not None:
        since = max(since, ad.comment_guard_paused_at)
    count = listening_selectors.ad_negative_comment_count(
        workspace_id=ad.workspace_id, ad_id=ad.pk, since=since, keywords=keywords or []
    )
    if count < threshold:
        return False
    with transaction.atomic():
        services.ad_status_set(ad=ad, status=AdStatus.PAUSED, by=by or "comment guard")
        Ad.objects.filter(pk=ad.pk).update(comment_guard_paused_at=timezone.now())
    return True


def comment_guard_clean(value: Any) -> dict[str, Any]:
    """A campaign's comment guard rule, checked and completed with the defaults."""
    if not isinstance(value, dict):
        raise ValidationError(
            {"comment_guard": "An object with enabled, threshold, window_minutes, keywords."}
        )
    unknown = set(value) - set(GUARD_DEFAULTS)
    if unknown:
        raise ValidationError({"comment_guard": f"Unknown keys: {', '.join(sorted(unknown))}."})
    guard = {**GUARD_DEFAULTS, **value}
    errors = {}
    if not isinstance(guard["enabled"], bool):
        errors["enabled"] = "true or false."
    for name, upper in (("threshold", 10_000), ("window_minutes", 7 * 24 * 60)):
        number = guard[name]
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= upper:
            errors[name] = f"A whole number from 1 to {upper}."
    keywords = guard["keywords"]
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords) or len(keywords) > 50:
        errors["keywords"] = "A list of at most 50 words."
    else:
        guard["keywords"] = [k.strip() for k in keywords if k.strip()]
    if errors:
        raise ValidationError({"comment_guard": [f"{key}: {text}" for key, text in errors.items()]})
    return guard


@transaction.atomic
def campaign_comment_guard_set(*, campaign: AdCampaign, guard: dict, by=None, request=None) -> AdCampaign:
    """Set (or switch off) the rule that pauses a campaign's ads on a wave of bad comments."""
    guard = comment_guard_clean(guard)
    campaign = AdCampaign.objects.select_for_update().get(pk=campaign.pk)
    before = dict(campaign.comment_guard or {})
    if before == guard:
        return campaign
    campaign.comment_guard = guard
    campaign.save(update_fields=["comment_guard", "updated_at"])
    audit_record(
        workspace=campaign.workspace,
        actor=by,
        action="ads.campaign_comment_guard",
        target=campaign,
        before={"comment_guard": before},
        after={"comment_guard": guard},
        request=request,
        object_repr=str(campaign),
    )
    return campaign


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def ad_comment_spike_detect(*, ad: Ad, today: date | None = None) -> AdCommentAlert | None:
    """Raise the day's alert for an ad when its negative comments today are well above its own
    recent baseline. One alert per ad and day; returns the new alert, or None."""
    today = today or timezone.localdate()

    def negative_since(day: date) -> int:
        return listening_selectors.ad_negative_comment_count(
            workspace_id=ad.workspace_id, ad_id=ad.pk, since=_day_start(day), keywords=[]
        )

    negative = negative_since(today)
    # The baseline costs a query a day; most ads never reach the minimum, so it is read only then.
    if negative < SPIKE_MIN_NEGATIVE or AdCommentAlert.objects.filter(ad=ad, day=today).exists():
        return None
    since = [negative_since(today - timedelta(days=d)) for d in range(BASELINE_DAYS + 1)]
    history = [since[d] - since[d - 1] for d in range(1, BASELINE_DAYS + 1)]  # day d before today
    baseline = max(1.0, float(median(history)))
    if negative < SPIKE_FACTOR * baseline:
        return None
    try:
        with transaction.atomic():
            return AdCommentAlert.objects.create(
                workspace_id=ad.workspace_id,
                ad=ad,
                campaign_id=ad.campaign_id,
                day=today,
                negative=negative,
                baseline=baseline,
            )
    except IntegrityError:  # another run raised it meanwhile
        return None


@dataclass
class CommentsWatch:
    alerts: list[int] = field(default_factory=list)
    paused: list[int] = field(default_factory=list)


def ad_comments_watch(*, ad_ids: list[int] | None = None) -> CommentsWatch:
    """After a pull: look for spikes of negative comments on every running ad, and apply the
    comment guard of the campaigns that have it on."""
    result = CommentsWatch()
    ads = ads_with_comments().select_related("campaign")
    if ad_ids is not None:
        ads = ads.filter(pk__in=ad_ids)
    for ad in ads:
        alert = ad_comment_spike_detect(ad=ad)
        if alert is not None:
            result.alerts.append(alert.pk)
        guard = ad.campaign.comment_guard or {}
        if not guard.get("enabled"):
            continue
        guard = {**GUARD_DEFAULTS, **guard}
        paused = ad_comments_guard(
            ad=ad,
            threshold=int(guard["threshold"]),
            window=timedelta(minutes=int(guard["window_minutes"])),
            keywords=list(guard["keywords"]),
        )
        if paused:
            result.paused.append(ad.pk)
    return result


@transaction.atomic
def ad_comment_alert_acknowledge(*, alert: AdCommentAlert, by=None, request=None) -> AdCommentAlert:
    """Someone has seen the alert; it leaves the open list."""
    alert = AdCommentAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged:
        return alert
    alert.acknowledged = True
    alert.acknowledged_by = by if getattr(by, "is_authenticated", False) else None
    alert.acknowledged_at = timezone.now()
    alert.save(update_fields=["acknowledged", "acknowledged_by", "acknowledged_at"])
    audit_record(
        workspace=alert.workspace,
        actor=by,
        action="ads.comment_alert_acknowledge",
        target=alert,
        request=request,
        object_repr=str(alert),
    )
    return alert


def ad_comment_hide_by_mention(*, workspace, mention_id: int, by=None, request=None) -> bool:
    """Hide a comment under one of the workspace's ads, found from its mention id.
    Raises Ad.DoesNotExist when the mention is not a comment under one of them."""
    mention = listening_selectors.mention_get(workspace=workspace, mention_id=mention_id)
    ad_id = (mention.raw or {}).get("ad_id") if mention is not None else None
    if mention is None or mention.media_type != "paid" or not ad_id:
        raise Ad.DoesNotExist
    ad = Ad.objects.select_related("campaign__account").get(workspace=workspace, pk=ad_id)
    return ad_comment_hide(workspace=workspace, ad=ad, mention_id=mention_id, by=by, request=request)
