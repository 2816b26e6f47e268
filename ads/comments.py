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
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ads import services
from ads.models import Ad, AdStatus
from ads.services.platform import ads_connector
from cxm.channels.connectors.base import ConnectorError, ItemKind, RateLimited
from listening import selectors as listening_selectors
from listening import services as listening_services

log = logging.getLogger(__name__)

PLATFORM = "meta_ads"  # the ad account the comments came in through; care routes by it
MAX_PAGES_PER_AD = 20


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
    its negative or flagged-keyword comments within `window` reach `threshold`. True if paused."""
    if ad.status != AdStatus.ACTIVE or threshold < 1:
        return False
    count = listening_selectors.ad_negative_comment_count(
        workspace_id=ad.workspace_id, ad_id=ad.pk, since=timezone.now() - window, keywords=keywords or []
    )
    if count < threshold:
        return False
    services.ad_status_set(ad=ad, status=AdStatus.PAUSED, by=by or "comment guard")
    return True
