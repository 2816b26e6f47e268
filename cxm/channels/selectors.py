from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.utils import timezone

from cxm.audit.models import AuditEntry
from cxm.channels.connectors.youtube_quota import QuotaState, YouTubeQuota
from cxm.channels.models import POLLED_PLATFORMS, AccountStatus, ChannelAccount, Platform


def channel_accounts(
    *,
    workspace,
    platform: str = "",
    business_unit: int | str | None = None,
    brand: int | str | None = None,
    country: str = "",
    status: str = "",
    search: str = "",
) -> QuerySet[ChannelAccount]:
    accounts = ChannelAccount.objects.for_workspace(workspace).select_related("business_unit", "brand")
    if platform:
        accounts = accounts.filter(platform=platform)
    if business_unit:
        accounts = accounts.filter(business_unit_id=business_unit)
    if brand:
        accounts = accounts.filter(brand_id=brand)
    if country:
        accounts = accounts.filter(country__iexact=country)
    if status:
        accounts = accounts.filter(status=status)
    if search:
        accounts = accounts.filter(handle__icontains=search) | accounts.filter(display_name__icontains=search)
    return accounts.order_by("platform", "handle")


def channel_account_get(*, workspace, account_id: int) -> ChannelAccount | None:
    return ChannelAccount.objects.for_workspace(workspace).filter(pk=account_id).first()


def account_health_counts(*, workspace) -> dict[str, int]:
    counts = dict.fromkeys(AccountStatus.values, 0)
    for row in ChannelAccount.objects.for_workspace(workspace).values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def accounts_due_for_sync(*, limit: int = 500) -> list[tuple[int, int]]:
    """(account id, workspace id) of polled accounts whose next sync time has come, across workspaces."""
    now = timezone.now()
    return list(
        ChannelAccount.objects.filter(
            platform__in=POLLED_PLATFORMS,
            status__in=[AccountStatus.CONNECTED, AccountStatus.RATE_LIMITED, AccountStatus.ERROR],
            next_sync_at__lte=now,
        )
        .order_by("next_sync_at")
        .values_list("pk", "workspace_id")[:limit]
    )


def webhook_account(*, account_id: int) -> ChannelAccount | None:
    """The inbound webhook's account; its id in the URL is the only handle the sender has."""
    return ChannelAccount.objects.filter(pk=account_id, platform="webhook").first()


def telegram_account(*, account_id: int) -> ChannelAccount | None:
    """The Telegram bot whose webhook URL names this id; its secret token is checked next."""
    return ChannelAccount.objects.filter(pk=account_id, platform="telegram").first()


def telegram_bots() -> QuerySet[ChannelAccount]:
    """Every workspace's Telegram bots, for routing their updates again."""
    return ChannelAccount.objects.filter(platform="telegram").order_by("pk")


def meta_webhook_accounts(*, platform: str, handles: list[str]) -> list[ChannelAccount]:
    """Every workspace's account for these handles on a Meta platform: one Page, Instagram account
    or WhatsApp number may be connected in several workspaces, and each gets its own copy."""
    if not handles:
        return []
    return list(
        ChannelAccount.objects.filter(platform=platform, handle__in=handles).order_by("workspace_id", "pk")
    )


def account_handles(*, workspace_id: int) -> list[str]:
    """The handles of the workspace's own accounts: what makes a mention "owned" media."""
    return list(ChannelAccount.objects.filter(workspace_id=workspace_id).values_list("handle", flat=True))


# A comment hidden, shown, liked, unliked or moderated from here (cxm.channels.services.engagement):
# the audit actions, one per new state, are the only record of it.
HIDDEN = "channels.comment_hidden"
SHOWN = "channels.comment_shown"
LIKED = "channels.comment_liked"
UNLIKED = "channels.comment_unliked"
MODERATED = "channels.comment_moderated"  # the new status is in the entry (YouTube)
COMMENT_STATE_OF = {
    HIDDEN: ("hidden", True),
    SHOWN: ("hidden", False),
    LIKED: ("liked", True),
    UNLIKED: ("liked", False),
    MODERATED: ("moderation", None),
}


@dataclass(frozen=True)
class CommentState:
    hidden: bool = False
    liked: bool = False
    moderation: str = ""  # YouTube: "heldForReview", "published" or "rejected"


def comment_states(*, workspace, platform: str, external_ids: list[str]) -> dict[str, CommentState]:
    """The latest hidden/liked/moderation state of each comment changed from here, read from the audit
    trail in one query (comments never changed from here are absent)."""
    if not external_ids:
        return {}
    rows = (
        AuditEntry.objects.filter(
            workspace=workspace,
            action__in=list(COMMENT_STATE_OF),
            after__platform=platform,
            after__external_id__in=[str(x) for x in external_ids],
        )
        .order_by("created_at", "id")
        .values_list("action", "after")
    )
    found: dict[str, dict[str, bool | str]] = {}
    for action, after in rows:
        field, value = COMMENT_STATE_OF[action]
        found.setdefault(str(after["external_id"]), {})[field] = (
            after.get(field, "") if value is None else value
        )
    return {key: CommentState(**values) for key, values in found.items()}


def youtube_quota_state(*, account: ChannelAccount) -> QuotaState | None:
    """Today's units of the Google project a YouTube channel calls with (read from Redis, where
    the connector counts them); None for other platforms or a channel without a client id."""
    client_id = (account.credentials or {}).get("client_id") if account.platform == Platform.YOUTUBE else None
    return YouTubeQuota(str(client_id)).state() if client_id else None
