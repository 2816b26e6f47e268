"""Connecting and editing channel accounts: connect, edit, pause, resume, remove; the
connector an account's settings build. What a member types is checked here, including every
address the connector will call."""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cxm.audit.services import audit_record
from cxm.channels import outbound
from cxm.channels.connectors import REGISTRY, build_connector, connector_class
from cxm.channels.connectors.base import AccountConfig, Quota
from cxm.channels.connectors.rss import feed_url_of
from cxm.channels.connectors.telegram import TOKEN_FORM
from cxm.channels.models import AccountStatus, ChannelAccount, Platform
from cxm.channels.services import oauth2
from cxm.channels.services.telegram_connect import (
    TELEGRAM_OWN_OPTIONS,
    telegram_bot_identify,
    telegram_bot_reconnect,
    telegram_updates_route,
)
from cxm.channels.topics import TOPIC_SEARCH_PLATFORMS, topic_queries, topic_searches
from cxm.tenancy.models import Brand, BusinessUnit, Workspace

EDITABLE_FIELDS = {
    "handle",
    "display_name",
    "base_url",
    "country",
    "language",
    "business_unit",
    "brand",
    "options",
    "sync_interval_seconds",
}


def _state(account: ChannelAccount) -> dict[str, Any]:
    """What the audit log keeps of an account: never its credentials."""
    return {
        "platform": account.platform,
        "handle": account.handle,
        "display_name": account.display_name,
        "base_url": account.base_url,
        "country": account.country,
        "language": account.language,
        "business_unit": account.business_unit_id,
        "brand": account.brand_id,
        "status": account.status,
        "options": account.options,
    }


def _default_structure(
    workspace: Workspace, business_unit: BusinessUnit | None, brand: Brand | None
) -> tuple[BusinessUnit | None, Brand | None]:
    """Business unit and brand may be left out when the workspace has just one of each."""
    if brand is not None and brand.workspace_id != workspace.pk:
        raise ValidationError({"brand": "No such brand in this workspace."})
    if business_unit is not None and business_unit.workspace_id != workspace.pk:
        raise ValidationError({"business_unit": "No such business unit in this workspace."})
    if brand is None:
        own = list(Brand.objects.filter(workspace=workspace, is_competitor=False)[:2])
        if len(own) == 1:
            brand = own[0]
    if business_unit is None:
        if brand is not None and brand.business_unit_id:
            business_unit = brand.business_unit
        else:
            units = list(BusinessUnit.objects.filter(workspace=workspace)[:2])
            if len(units) == 1:
                business_unit = units[0]
    return business_unit, brand


# A channel id: "UC" and 22 more characters of YouTube's URL-safe alphabet.
YOUTUBE_CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_-]{22}")
# The Google Cloud project's OAuth client and the channel owner's offline grant.
YOUTUBE_CREDENTIALS = ("client_id", "client_secret", "refresh_token")


def _validate(platform: str, handle: str, base_url: str, credentials: dict, options: dict) -> None:
    errors: dict[str, str] = {}
    if platform not in REGISTRY:
        errors["platform"] = f"Unknown platform {platform!r}; one of: {', '.join(sorted(REGISTRY))}."
    if not handle.strip():
        errors["handle"] = "A handle is required."
    if base_url and not base_url.startswith(("https://", "http://")):
        errors["base_url"] = "Give the full address, starting with https://."
    if platform in {Platform.MASTODON, Platform.BLUESKY} and not base_url:
        errors["base_url"] = "The server's address is required, e.g. https://mastodon.social."
    if platform == Platform.MASTODON and not credentials.get("access_token"):
        errors["credentials"] = "Mastodon needs an access_token."
    if platform == Platform.BLUESKY and not credentials.get("app_password"):
        errors["credentials"] = "Bluesky needs an app_password."
    if platform == Platform.EMAIL and not (credentials.get("username") and credentials.get("password")):
        errors["credentials"] = "Email needs a username and password."
    if platform == Platform.META_ADS and not credentials.get("access_token"):
        errors["credentials"] = "A Meta ad account needs an access_token."
    if platform == Platform.META_ADS and not handle.strip().removeprefix("act_").isdigit():
        errors["handle"] = "Give the ad account id, e.g. act_1001."
    if platform == Platform.WHATSAPP and not credentials.get("access_token"):
        errors["credentials"] = "A WhatsApp number needs an access_token."
    if platform == Platform.WHATSAPP and not handle.strip().isdigit():
        errors["handle"] = "Give the WhatsApp phone number id (digits), not the phone number."
    if platform == Platform.INSTAGRAM and not credentials.get("access_token"):
        errors["credentials"] = "An Instagram account needs an access_token."
    if platform == Platform.INSTAGRAM and not handle.strip().isdigit():
        errors["handle"] = "Give the Instagram user id, e.g. 17841405822304914."
    if platform == Platform.FACEBOOK_PAGE and not credentials.get("access_token"):
        errors["credentials"] = "A Facebook Page needs an access_token (a Page access token)."
    if platform == Platform.FACEBOOK_PAGE and not handle.strip().isdigit():
        errors["handle"] = "Give the Page id, e.g. 5550001."
    if platform == Platform.TELEGRAM and not credentials.get("bot_token"):
        errors["credentials"] = "A Telegram bot needs a bot_token (from @BotFather)."
    elif platform == Platform.TELEGRAM and not TOKEN_FORM.match(str(credentials["bot_token"]).strip()):
        errors["credentials"] = "The bot_token is not in the form @BotFather gives (<digits>:<letters>)."
    if platform == Platform.YOUTUBE and not all(credentials.get(name) for name in YOUTUBE_CREDENTIALS):
        errors["credentials"] = "A YouTube channel needs a client_id, client_secret and refresh_token."
    if platform == Platform.YOUTUBE and not YOUTUBE_CHANNEL_ID.fullmatch(handle.strip()):
        errors["handle"] = "Give the YouTube channel id, e.g. UC_x5XG1OV2P6uZZ5FSM9Ttw."
    if platform == Platform.X and not credentials.get("access_token"):
        errors["credentials"] = "An X account needs an access_token; Connect X signs in and keeps one."
    if platform == Platform.RSS and not (options.get("feed_url") or base_url):
        errors["options"] = "RSS needs the feed's address (options.feed_url or base_url)."
    if not isinstance(options, dict):
        errors["options"] = "Options must be an object."
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class OutboundTarget:
    """An address a member typed that this account's connector will call, and the field it is in."""

    field_name: str
    address: str
    is_host: bool = False  # a bare host (a mail server) rather than a URL


def _outbound_targets(platform: str, base_url: str, options: Any) -> list[OutboundTarget]:
    if not isinstance(options, dict):
        return []
    targets: list[OutboundTarget] = []
    if platform == Platform.WEBHOOK and options.get("target_url"):
        targets.append(OutboundTarget("options.target_url", str(options["target_url"])))
    if platform == Platform.RSS and (options.get("feed_url") or base_url):
        field_name = "options.feed_url" if options.get("feed_url") else "base_url"
        try:
            targets.append(OutboundTarget(field_name, feed_url_of(base_url, options)))
        except ValueError:  # not a URL at all; the check says so
            targets.append(OutboundTarget(field_name, str(options.get("feed_url") or base_url)))
    # The Meta connectors fall back to the Graph API's own address when base_url is empty.
    graph_platforms = (Platform.META_ADS, Platform.FACEBOOK_PAGE, Platform.INSTAGRAM, Platform.WHATSAPP)
    # YouTube, Telegram and X call their platform's own address unless a member typed another.
    own_address_platforms = (Platform.TELEGRAM, Platform.YOUTUBE, Platform.X)
    if (
        platform in (Platform.MASTODON, Platform.BLUESKY, *own_address_platforms, *graph_platforms)
        and base_url
    ):
        targets.append(OutboundTarget("base_url", base_url))
    if platform == Platform.EMAIL:
        for name in ("imap_host", "smtp_host"):
            if options.get(name):
                targets.append(OutboundTarget(f"options.{name}", str(options[name]), is_host=True))
    return targets


def _outbound_targets_check(workspace: Workspace, targets: list[OutboundTarget]) -> None:
    """Refuse an internal address when it is saved; the connector checks again before each call."""
    errors: dict[str, str] = {}
    for target in targets:
        check = outbound.host_check_on_save if target.is_host else outbound.target_check_on_save
        try:
            check(target.address, workspace=workspace)
        except outbound.UnsafeTarget as exc:
            errors[target.field_name] = str(exc)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def account_create(
    *,
    workspace: Workspace,
    platform: str,
    handle: str,
    credentials: dict[str, Any] | None = None,
    base_url: str = "",
    display_name: str = "",
    business_unit: BusinessUnit | None = None,
    brand: Brand | None = None,
    country: str = "",
    language: str = "",
    options: dict[str, Any] | None = None,
    sync_interval_seconds: int | None = None,
    by=None,
    request=None,
) -> ChannelAccount:
    credentials = dict(credentials or {})
    options = dict(options or {})
    if platform == Platform.WEBCHAT:
        # Its public key is made for it, with its widget (cxm.channels.webchat.services).
        raise ValidationError({"platform": "Create a website chat under Admin → Accounts → Website chat."})
    _validate(platform, handle, base_url, credentials, options)
    _outbound_targets_check(workspace, _outbound_targets(platform, base_url.rstrip("/"), options))
    business_unit, brand = _default_structure(workspace, business_unit, brand)
    if platform == Platform.WEBHOOK and not credentials.get("webhook_secrets"):
        # Inbound webhooks need a shared secret from the start; the admin copies it once.
        credentials["webhook_secrets"] = [secrets.token_urlsafe(32)]
    if platform == Platform.TELEGRAM:
        # The bot names itself: its handle is the username Telegram answers for the token.
        draft = ChannelAccount(workspace=workspace, platform=platform, handle=handle, base_url=base_url)
        draft.credentials, draft.options = credentials, options
        bot = telegram_bot_identify(connector=account_connector(draft), typed_handle=handle)
        handle, display_name = bot.handle, display_name or bot.name
        options["bot_id"] = bot.bot_id
    if ChannelAccount.objects.filter(workspace=workspace, platform=platform, handle=handle).exists():
        raise ValidationError({"handle": "This account is already connected."})
    account = ChannelAccount.objects.create(
        workspace=workspace,
        platform=platform,
        handle=handle.strip(),
        base_url=base_url.rstrip("/"),
        display_name=display_name or handle,
        business_unit=business_unit,
        brand=brand,
        country=country.upper(),
        language=language,
        options=options,
        credentials=credentials,
        next_sync_at=timezone.now(),
        **({"sync_interval_seconds": sync_interval_seconds} if sync_interval_seconds else {}),
    )
    if platform == Platform.TELEGRAM:
        telegram_updates_route(account=account, connector=account_connector(account))
    audit_record(
        workspace=workspace,
        actor=by,
        action="account.connect",
        target=account,
        after=_state(account),
        request=request,
    )
    return account


@transaction.atomic
def account_update(
    *, account: ChannelAccount, credentials: dict[str, Any] | None = None, by=None, request=None, **changes
) -> ChannelAccount:
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    account = ChannelAccount.objects.select_for_update().get(workspace_id=account.workspace_id, pk=account.pk)
    before = _state(account)
    targets_before = _outbound_targets(account.platform, account.base_url, account.options)
    kept_options = {k: v for k, v in (account.options or {}).items() if k in TELEGRAM_OWN_OPTIONS}
    if "brand" in changes or "business_unit" in changes:
        unit, brand = _default_structure(
            account.workspace,
            changes.get("business_unit", account.business_unit),
            changes.get("brand", account.brand),
        )
        changes["business_unit"], changes["brand"] = unit, brand
    for name, value in changes.items():
        setattr(account, name, value)
    if credentials:
        # New credentials merge over the old ones, so a form may change the token alone.
        account.credentials = {**(account.credentials or {}), **credentials}
        if account.status == AccountStatus.NEEDS_REAUTH:
            account.status = AccountStatus.CONNECTED
            account.error_text = ""
            account.next_sync_at = timezone.now()
    _validate(
        account.platform, account.handle, account.base_url, account.credentials or {}, account.options or {}
    )
    targets = _outbound_targets(account.platform, account.base_url, account.options)
    # An unchanged address is left to the check before each call, so other edits still save.
    _outbound_targets_check(account.workspace, [t for t in targets if t not in targets_before])
    if account.platform == Platform.TELEGRAM:
        account.options = {**(account.options or {}), **kept_options}
        renamed = account.handle != before["handle"]
        if renamed or "bot_token" in (credentials or {}) or account.base_url != before["base_url"]:
            typed = account.handle if renamed else ""
            telegram_bot_reconnect(account=account, connector_for=account_connector, typed_handle=typed)
    account.save()
    after = _state(account)
    if credentials:
        after["credentials"] = "changed"
    audit_record(
        workspace=account.workspace,
        actor=by,
        action="account.update",
        target=account,
        before=before,
        after=after,
        request=request,
    )
    return account


@transaction.atomic
def account_delete(*, account: ChannelAccount, by=None, request=None) -> None:
    audit_record(
        workspace=account.workspace,
        actor=by,
        action="account.remove",
        target=account,
        before=_state(account),
        request=request,
    )
    account.delete()


@transaction.atomic
def account_pause(*, account: ChannelAccount, by=None, request=None) -> ChannelAccount:
    account = ChannelAccount.objects.select_for_update().get(workspace_id=account.workspace_id, pk=account.pk)
    before = account.status
    account.status = AccountStatus.PAUSED
    account.save(update_fields=["status", "updated_at"])
    audit_record(
        workspace=account.workspace,
        actor=by,
        action="account.pause",
        target=account,
        before={"status": before},
        after={"status": account.status},
        request=request,
    )
    return account


@transaction.atomic
def account_resume(*, account: ChannelAccount, by=None, request=None) -> ChannelAccount:
    account = ChannelAccount.objects.select_for_update().get(workspace_id=account.workspace_id, pk=account.pk)
    before = account.status
    account.status = AccountStatus.CONNECTED
    account.error_text = ""
    account.failure_count = 0
    account.next_sync_at = timezone.now()
    account.save(update_fields=["status", "error_text", "failure_count", "next_sync_at", "updated_at"])
    audit_record(
        workspace=account.workspace,
        actor=by,
        action="account.resume",
        target=account,
        before={"status": before},
        after={"status": account.status},
        request=request,
    )
    return account


def account_config(account: ChannelAccount) -> AccountConfig:
    searches_topics = getattr(connector_class(account.platform), "searches_topics", False)
    options = dict(account.options or {})
    if account.platform in TOPIC_SEARCH_PLATFORMS:
        options["topic_queries"] = topic_queries(workspace_id=account.workspace_id, platform=account.platform)
    return AccountConfig(
        platform=account.platform,
        handle=account.handle,
        base_url=account.base_url,
        credentials=dict(account.credentials or {}),
        options=options,
        account_id=account.pk,
        # Every connector that calls an address a member typed checks it (cxm.channels.outbound).
        allow_private_targets=account.workspace.allow_private_webhook_targets,
        topics=topic_searches(workspace_id=account.workspace_id) if searches_topics else (),
        token_source=oauth2.token_source(account),
        quota_report=functools.partial(account_quota_record, account_id=account.pk),
    )


def account_quota_record(quota: Quota, *, account_id: int) -> None:
    """Keep what the platform last said of its call allowance, for the account tile."""
    ChannelAccount.objects.filter(pk=account_id).update(
        quota={
            "remaining": quota.remaining,
            "limit": quota.limit,
            "reset_at": quota.reset_at.isoformat(),
            "endpoint": quota.endpoint,
        }
    )


def account_connector(account: ChannelAccount):
    return build_connector(account_config(account))
