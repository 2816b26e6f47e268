"""The demo network's accounts, clearly labelled, so a fresh install shows a living stream."""

from __future__ import annotations

from django.utils import timezone

from cxm.channels.models import ChannelAccount, Platform
from cxm.tenancy.models import Brand, Workspace

DEMO_ACCOUNTS = [
    {
        "handle": "demo-kopi-id",
        "display_name": "Demo network · Kopi Nusantara (ID)",
        "brand": "Kopi Nusantara",
        "country": "ID",
        "language": "id",
        "seed": 1,
    },
    {
        "handle": "demo-teh-sea",
        "display_name": "Demo network · Teh Segar (SEA)",
        "brand": "Teh Segar",
        "country": "MY",
        "language": "ms",
        "seed": 2,
    },
    {
        "handle": "demo-global",
        "display_name": "Demo network · global chatter",
        "brand": None,
        "country": "",
        "language": "en",
        "seed": 3,
    },
]


def demo_accounts_seed(*, workspace: Workspace) -> list[ChannelAccount]:
    """Clearly labelled demo-network accounts, so a fresh install shows a living stream."""
    created = []
    for spec in DEMO_ACCOUNTS:
        if ChannelAccount.objects.filter(
            workspace=workspace, platform=Platform.DEMO, handle=spec["handle"]
        ).exists():
            continue
        brand = (
            Brand.objects.filter(workspace=workspace, name=spec["brand"]).first() if spec["brand"] else None
        )
        account = ChannelAccount.objects.create(
            workspace=workspace,
            platform=Platform.DEMO,
            handle=spec["handle"],
            display_name=spec["display_name"],
            brand=brand,
            business_unit=brand.business_unit if brand else None,
            country=spec["country"],
            language=spec["language"],
            options={"seed": spec["seed"], "rate_per_minute": 8},
            sync_interval_seconds=10,
            next_sync_at=timezone.now(),
        )
        created.append(account)
    return created
