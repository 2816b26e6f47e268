"""The demo network's accounts, clearly labelled, so a fresh install shows a living stream: three
public streams, a WhatsApp-like inbox, an Instagram-like brand profile, a Telegram-like bot, a
YouTube-like channel and an X-like profile (the demo connector's `flavour` option), none of which
needs credentials."""

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
    {
        # Customers writing to the brand's business number: each message opens or continues a case.
        "handle": "demo-whatsapp",
        "display_name": "Demo WhatsApp · Kopi Nusantara",
        "brand": "Kopi Nusantara",
        "country": "ID",
        "language": "id",
        "seed": 4,
        "flavour": "whatsapp",
        "rate_per_minute": 1,
    },
    {
        # Comments under the brand's posts and posts that @mention it: listening mentions.
        "handle": "demo-instagram",
        "display_name": "Demo Instagram · Kopi Nusantara",
        "brand": "Kopi Nusantara",
        "country": "ID",
        "language": "id",
        "seed": 5,
        "flavour": "instagram",
        "rate_per_minute": 4,
    },
    {
        # People writing to the brand's bot in private chats: each chat opens or continues a case.
        "handle": "demo-telegram",
        "display_name": "Demo Telegram · Kopi Nusantara",
        "brand": "Kopi Nusantara",
        "country": "ID",
        "language": "id",
        "seed": 6,
        "flavour": "telegram",
        "rate_per_minute": 1,
    },
    {
        # Comments under the brand's videos and other channels' videos about it: listening mentions.
        "handle": "demo-youtube",
        "display_name": "Demo YouTube · Kopi Nusantara",
        "brand": "Kopi Nusantara",
        "country": "ID",
        "language": "id",
        "seed": 7,
        "flavour": "youtube",
        "rate_per_minute": 1,
    },
    {
        # Posts that @mention the brand, replies under its posts and a few direct messages.
        "handle": "demo-x",
        "display_name": "Demo X · Kopi Nusantara",
        "brand": "Kopi Nusantara",
        "country": "ID",
        "language": "id",
        "seed": 8,
        "flavour": "x",
        "rate_per_minute": 1,
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
            options=_options(spec),
            sync_interval_seconds=10,
            next_sync_at=timezone.now(),
        )
        created.append(account)
    return created


def _options(spec: dict) -> dict:
    options = {"seed": spec["seed"], "rate_per_minute": spec.get("rate_per_minute", 8)}
    if spec.get("flavour"):
        # The brand's own inbox and profile: people write to it about it.
        options.update(flavour=spec["flavour"], brands=[spec["brand"]])
    return options
