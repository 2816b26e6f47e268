"""Example posts for the Demo workspace, so a fresh install shows a living calendar."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cxm.channels.models import ChannelAccount, Platform
from cxm.tenancy.models import Workspace
from publishing.models import Post
from publishing.services.posts import campaign_for, post_create, post_submit

DEMO_POSTS = [
    # (hours from now, text, Indonesian variant, submit)
    (
        3,
        "Cold brew season is here: try the new Kopi Susu cold brew today.",
        "Musim cold brew tiba: coba Kopi Susu cold brew hari ini.",
        True,
    ),
    (
        26,
        "Weekend promo: 20% off Teh Segar 1L in Jakarta and Surabaya.",
        "Promo akhir pekan: diskon 20% Teh Segar 1L di Jakarta dan Surabaya.",
        True,
    ),
    (50, "Behind the beans: meet the farmers who grow our coffee.", "", False),
]


def demo_seed(*, workspace_slug: str) -> int:
    """Scheduled and draft posts to the demo-network accounts, once; nothing when posts exist."""
    workspace = Workspace.objects.filter(slug=workspace_slug).first()
    if workspace is None or Post.objects.filter(workspace=workspace).exists():
        return 0
    # Not the WhatsApp- or Telegram-like inboxes (they answer customers, they have no feed to post
    # to) nor the YouTube-like channel (a channel uploads videos, which are not composed here).
    accounts = list(
        ChannelAccount.objects.filter(workspace=workspace, platform=Platform.DEMO).exclude(
            options__flavour__in=["whatsapp", "telegram", "youtube"]
        )
    )
    if not accounts:
        return 0
    campaign = campaign_for(workspace=workspace, name="Cold brew launch")
    now = timezone.now()
    for hours, text, indonesian, submit in DEMO_POSTS:
        post = post_create(
            workspace=workspace,
            text=text,
            variants={"lang:id": indonesian} if indonesian else {},
            accounts=accounts,
            scheduled_at=now + timedelta(hours=hours),
            campaign=campaign,
            tags=["demo"],
        )
        if submit:
            post_submit(post=post)
    return len(DEMO_POSTS)
