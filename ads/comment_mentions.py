"""A comment under one of our ads, as the paid mention listening stores: the one mapping that the
scheduled pull (`ads.comments`, Graph's comment rows) and Meta's Page webhook (`ads.webhooks`,
`feed` changes) share, so a comment that comes both ways is the same mention whichever came first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ads.models import Ad
from cxm.channels.connectors.base import ItemKind
from listening import services as listening_services

PLATFORM = "meta_ads"  # the ad account the comments came in through; care routes by it


@dataclass(frozen=True)
class AdComment:
    """What both sources say of a comment. `parent_id` is the comment it answers, or the post."""

    id: str
    message: str
    created_at: datetime | None
    author: dict[str, Any] = field(default_factory=dict)
    parent_id: str = ""
    permalink_url: str = ""
    is_hidden: bool = False

    @classmethod
    def from_graph(cls, row: dict[str, Any]) -> AdComment:
        """A row of `GET /{post-id}/comments`: `created_time` like 2026-11-20T08:15:00+0000, a
        `parent` only on answers to another comment."""
        created = parse_datetime(str(row.get("created_time") or "").replace("+0000", "+00:00"))
        return cls(
            id=str(row["id"]),
            message=str(row["message"]),
            created_at=created,
            author=row.get("from") or {},
            parent_id=str((row.get("parent") or {}).get("id") or ""),
            permalink_url=str(row.get("permalink_url") or ""),
            is_hidden=bool(row.get("is_hidden")),
        )

    @classmethod
    def from_webhook(cls, value: dict[str, Any]) -> AdComment:
        """The `value` of a `feed` change: `comment_id`, `created_time` in epoch seconds, and a
        `parent_id` that is the post itself for a comment on the post."""
        try:
            created: datetime | None = datetime.fromtimestamp(int(value.get("created_time")), tz=UTC)
        except (TypeError, ValueError, OverflowError):
            created = None
        return cls(
            id=str(value["comment_id"]),
            message=str(value["message"]),
            created_at=created,
            author=value.get("from") or {},
            parent_id=str(value.get("parent_id") or ""),
        )

    def by_page(self, page_id: str) -> bool:
        """Whether the Page wrote it: its own answers (sent from care) come back in the stream."""
        return bool(page_id) and str(self.author.get("id")) == page_id


def ad_comment_mention(
    ad: Ad, comment: AdComment, *, page_after: str | None, via: str
) -> listening_services.RawMention:
    """The paid mention of a comment under `ad`, linked to the ad, its campaign and ad set.
    `page_after` is the page of the post's comments the pull had reached (the pull resumes there);
    `via` says which way it came ("pull" or "webhook")."""
    post_id = ad.effective_object_story_id
    author = comment.author
    return listening_services.RawMention(
        platform=PLATFORM,
        external_id=comment.id,
        text=comment.message,
        created_at=comment.created_at or timezone.now(),
        author_platform_id=str(author.get("id") or author.get("name") or "unknown"),
        author_handle=str(author.get("name") or author.get("id") or "unknown"),
        author_name=str(author.get("name") or ""),
        kind=ItemKind.COMMENT,
        url=comment.permalink_url or f"https://www.facebook.com/{post_id}",
        in_reply_to=comment.parent_id if comment.parent_id and comment.parent_id != post_id else post_id,
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
            "is_hidden": comment.is_hidden,
            "via": via,
        },
    )
