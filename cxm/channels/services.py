"""Every write to channel accounts: connect, edit, check, pause, remove, import, sync, receive."""

from __future__ import annotations

import csv
import io
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cxm.audit.services import audit_record
from cxm.channels import outbound, signing
from cxm.channels.connectors import REGISTRY, build_connector
from cxm.channels.connectors.base import (
    AccountConfig,
    AuthError,
    Author,
    ConnectorError,
    Item,
    ItemKind,
    PermanentError,
    RateLimited,
    TransientError,
    backoff_delay,
)
from cxm.channels.connectors.rss import feed_url_of
from cxm.channels.models import AccountStatus, ChannelAccount, Platform, WebhookDelivery
from cxm.channels.sinks import InboundContext, deliver
from cxm.tenancy.models import Brand, BusinessUnit, Workspace

logger = logging.getLogger(__name__)

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
MAX_PAGES_PER_SYNC = 10
FAILURES_BEFORE_ERROR = 5
SYNC_LOCK_SECONDS = 600


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
    # The Meta connector falls back to the Graph API's own address when base_url is empty.
    if platform in (Platform.MASTODON, Platform.BLUESKY, Platform.META_ADS) and base_url:
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
    _validate(platform, handle, base_url, credentials, options)
    _outbound_targets_check(workspace, _outbound_targets(platform, base_url.rstrip("/"), options))
    business_unit, brand = _default_structure(workspace, business_unit, brand)
    if platform == Platform.WEBHOOK and not credentials.get("webhook_secrets"):
        # Inbound webhooks need a shared secret from the start; the admin copies it once.
        credentials["webhook_secrets"] = [secrets.token_urlsafe(32)]
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
    account = ChannelAccount.objects.select_for_update().get(pk=account.pk)
    before = _state(account)
    targets_before = _outbound_targets(account.platform, account.base_url, account.options)
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
    account = ChannelAccount.objects.select_for_update().get(pk=account.pk)
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
    account = ChannelAccount.objects.select_for_update().get(pk=account.pk)
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
    return AccountConfig(
        platform=account.platform,
        handle=account.handle,
        base_url=account.base_url,
        credentials=dict(account.credentials or {}),
        options=dict(account.options or {}),
        account_id=account.pk,
        # Every connector that calls an address a member typed checks it (cxm.channels.outbound).
        allow_private_targets=account.workspace.allow_private_webhook_targets,
    )


def account_connector(account: ChannelAccount):
    return build_connector(account_config(account))


@dataclass
class CheckResult:
    ok: bool
    message: str


def account_check(*, account: ChannelAccount, by=None, request=None) -> CheckResult:
    """Try the credentials now and record what the platform said."""
    try:
        identity = account_connector(account).check()
    except AuthError as exc:
        _record_failure(account, AccountStatus.NEEDS_REAUTH, str(exc), next_sync=None)
        result = CheckResult(False, f"Needs re-authorisation: {exc}")
    except RateLimited as exc:
        until = timezone.now() + timedelta(seconds=exc.retry_after)
        _record_failure(
            account, AccountStatus.RATE_LIMITED, str(exc), next_sync=until, rate_limited_until=until
        )
        result = CheckResult(False, f"Rate limited until {until:%H:%M:%S} UTC")
    except ConnectorError as exc:
        result = CheckResult(False, f"Could not connect: {exc}")
        ChannelAccount.objects.filter(pk=account.pk).update(error_text=str(exc)[:2000])
    else:
        ChannelAccount.objects.filter(pk=account.pk).exclude(status=AccountStatus.PAUSED).update(
            status=AccountStatus.CONNECTED, error_text="", failure_count=0
        )
        result = CheckResult(True, f"Connected as {identity}")
    audit_record(
        workspace=account.workspace,
        actor=by,
        action="account.check",
        target=account,
        after={"ok": result.ok, "message": result.message[:300]},
        request=request,
    )
    account.refresh_from_db()
    return result


def _record_failure(
    account: ChannelAccount,
    status: str,
    message: str,
    *,
    next_sync: datetime | None,
    rate_limited_until: datetime | None = None,
    count_failure: bool = False,
) -> None:
    updates: dict[str, Any] = {"error_text": message[:2000], "next_sync_at": next_sync}
    if account.status != AccountStatus.PAUSED:
        updates["status"] = status
    if rate_limited_until is not None:
        updates["rate_limited_until"] = rate_limited_until
    if count_failure:
        updates["failure_count"] = account.failure_count + 1
    ChannelAccount.objects.filter(pk=account.pk).update(**updates)


@dataclass
class SyncResult:
    account_id: int
    fetched: int = 0
    pages: int = 0
    outcome: str = "ok"  # ok, busy, skipped, rate_limited, needs_reauth, retrying, error


def account_sync(*, account_id: int, workspace_id: int, connector=None) -> SyncResult:
    """Fetch what is new since the saved cursor and hand it to the sinks, page by page.

    Each page's items and the cursor after it are committed together, so a crash or a rate
    limit in the middle resumes exactly where the last committed page ended.
    """
    result = SyncResult(account_id=account_id)
    lock = f"channels:sync-lock:{account_id}"
    if not cache.add(lock, "1", timeout=SYNC_LOCK_SECONDS):
        result.outcome = "busy"
        return result
    try:
        account = ChannelAccount.objects.filter(pk=account_id, workspace_id=workspace_id).first()
        if account is None or account.status in (AccountStatus.PAUSED, AccountStatus.NEEDS_REAUTH):
            result.outcome = "skipped"
            return result
        connector = connector or account_connector(account)
        cursor = dict(account.sync_cursor or {})
        try:
            for _ in range(MAX_PAGES_PER_SYNC):
                page = connector.fetch(cursor)
                _store_page(account, page.items, page.cursor)
                cursor = page.cursor
                result.fetched += len(page.items)
                result.pages += 1
                if not page.more:
                    break
        except RateLimited as exc:
            until = timezone.now() + timedelta(seconds=max(1.0, exc.retry_after))
            _record_failure(
                account, AccountStatus.RATE_LIMITED, str(exc), next_sync=until, rate_limited_until=until
            )
            result.outcome = "rate_limited"
        except AuthError as exc:
            # No retry storm: polling stops until someone re-authorises the account.
            _record_failure(account, AccountStatus.NEEDS_REAUTH, str(exc), next_sync=None)
            result.outcome = "needs_reauth"
        except TransientError as exc:
            account.refresh_from_db(fields=["failure_count", "status"])
            delay = backoff_delay(account.failure_count, base=5.0, cap=1800.0)
            failing = account.failure_count + 1 >= FAILURES_BEFORE_ERROR
            _record_failure(
                account,
                AccountStatus.ERROR if failing else account.status,
                str(exc),
                next_sync=timezone.now() + timedelta(seconds=delay),
                count_failure=True,
            )
            result.outcome = "error" if failing else "retrying"
        except (PermanentError, ConnectorError) as exc:
            _record_failure(
                account,
                AccountStatus.ERROR,
                str(exc),
                next_sync=timezone.now() + timedelta(seconds=account.sync_interval_seconds * 10),
            )
            result.outcome = "error"
        else:
            now = timezone.now()
            ChannelAccount.objects.filter(pk=account.pk).exclude(status=AccountStatus.PAUSED).update(
                status=AccountStatus.CONNECTED,
                error_text="",
                failure_count=0,
                rate_limited_until=None,
                last_synced_at=now,
                next_sync_at=now + timedelta(seconds=account.sync_interval_seconds),
            )
        return result
    finally:
        cache.delete(lock)


def _context(account: ChannelAccount, source: str = "connector") -> InboundContext:
    return InboundContext(
        workspace_id=account.workspace_id,
        account_id=account.pk,
        platform=account.platform,
        brand_id=account.brand_id,
        business_unit_id=account.business_unit_id,
        country=account.country,
        language=account.language,
        source=source,
    )


@transaction.atomic
def _store_page(account: ChannelAccount, items: list[Item], cursor: dict[str, Any]) -> None:
    deliver(_context(account), items)
    updates: dict[str, Any] = {"sync_cursor": cursor}
    if items:
        updates["items_received"] = account.items_received + len(items)
        updates["last_item_at"] = max(item.created_at for item in items)
        account.items_received += len(items)
    ChannelAccount.objects.filter(pk=account.pk).update(**updates)


def accounts_schedule_due(*, due: list[tuple[int, int]], enqueue) -> int:
    """Claim each due account by pushing its next sync time forward, then enqueue its sync, one
    task per account, so one slow account never holds up the others. The claim is conditional
    (still due, in the same UPDATE): of two schedulers that read the same due list, only one
    moves an account, and only that one enqueues it. Returns how many were claimed."""
    now = timezone.now()
    claimed = 0
    for account_id, workspace_id in due:
        won = ChannelAccount.objects.filter(pk=account_id, next_sync_at__lte=now).update(
            next_sync_at=now + timedelta(seconds=SYNC_LOCK_SECONDS)
        )
        if won:
            claimed += 1
            enqueue(account_id=account_id, workspace_id=workspace_id)
    return claimed


# --- CSV import ---------------------------------------------------------------------------------

CSV_COLUMNS = [
    "platform",
    "handle",
    "base_url",
    "display_name",
    "business_unit",
    "brand",
    "country",
    "language",
]
CREDENTIAL_PREFIX = "credential:"
OPTION_PREFIX = "option:"


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def accounts_import_csv(*, workspace: Workspace, text: str, by=None, request=None) -> ImportResult:
    """One account per row; a bad row is reported with its row number and field, the good ones kept.

    Columns: platform, handle, base_url, display_name, business_unit (name), brand (name), country,
    language, plus `credential:<name>` and `option:<name>` columns (options with `|` become lists).
    """
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "platform" not in reader.fieldnames or "handle" not in reader.fieldnames:
        result.errors.append(
            {
                "row": 1,
                "field": "header",
                "message": "The first row must name the columns, including platform and handle.",
            }
        )
        return result
    units = {unit.name.lower(): unit for unit in BusinessUnit.objects.filter(workspace=workspace)}
    brands = {brand.name.lower(): brand for brand in Brand.objects.filter(workspace=workspace)}
    for row_number, row in enumerate(reader, start=2):
        row = {key.strip(): (value or "").strip() for key, value in row.items() if key}
        try:
            unit = _lookup(units, row.get("business_unit", ""), "business_unit")
            brand = _lookup(brands, row.get("brand", ""), "brand")
            credentials = {
                k[len(CREDENTIAL_PREFIX) :]: v
                for k, v in row.items()
                if k.startswith(CREDENTIAL_PREFIX) and v
            }
            options: dict[str, Any] = {}
            for key, value in row.items():
                if key.startswith(OPTION_PREFIX) and value:
                    options[key[len(OPTION_PREFIX) :]] = value.split("|") if "|" in value else value
            if "search_terms" in options and isinstance(options["search_terms"], str):
                options["search_terms"] = [options["search_terms"]]
            with transaction.atomic():
                account = account_create(
                    workspace=workspace,
                    platform=row.get("platform", ""),
                    handle=row.get("handle", ""),
                    base_url=row.get("base_url", ""),
                    display_name=row.get("display_name", ""),
                    business_unit=unit,
                    brand=brand,
                    country=row.get("country", ""),
                    language=row.get("language", ""),
                    credentials=credentials,
                    options=options,
                    by=by,
                    request=request,
                )
            result.created.append(account.pk)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                result.errors.append({"row": row_number, "field": name, "message": " ".join(messages)})
    if result.created:
        audit_record(
            workspace=workspace,
            actor=by,
            action="account.import",
            request=request,
            object_repr=f"{len(result.created)} accounts from CSV",
            after={"created": len(result.created), "errors": len(result.errors)},
        )
    return result


def _lookup(table: dict, name: str, field_name: str):
    if not name:
        return None
    try:
        return table[name.lower()]
    except KeyError:
        raise ValidationError({field_name: f"No {field_name.replace('_', ' ')} named {name!r}."}) from None


# --- inbound webhooks ---------------------------------------------------------------------------


@dataclass
class WebhookResult:
    accepted: int = 0
    duplicate_delivery: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)


def item_from_payload(payload: Any, *, platform: str) -> Item:
    """A normalised item from JSON; raises ValidationError naming the field at fault."""
    if not isinstance(payload, dict):
        raise ValidationError({"item": "Each item must be an object."})
    errors: dict[str, str] = {}
    external_id = str(payload.get("external_id") or payload.get("id") or "").strip()
    if not external_id:
        errors["external_id"] = "Required."
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        errors["text"] = "Required, a non-empty string."
    created_raw = payload.get("created_at")
    created_at = parse_datetime(created_raw) if isinstance(created_raw, str) else None
    if created_raw is not None and created_at is None:
        errors["created_at"] = "Not an ISO 8601 date-time."
    if created_at is not None and timezone.is_naive(created_at):
        errors["created_at"] = "Give a time zone (e.g. Z or +07:00)."
    kind = payload.get("kind") or ItemKind.POST
    if kind not in ItemKind.ALL:
        errors["kind"] = f"One of {', '.join(ItemKind.ALL)}."
    author = payload.get("author") or {}
    if not isinstance(author, dict):
        errors["author"] = "Must be an object with handle and name."
        author = {}
    if errors:
        raise ValidationError(errors)
    handle = str(author.get("handle") or author.get("id") or "unknown")
    return Item(
        platform=str(payload.get("platform") or platform),
        external_id=external_id,
        author=Author(
            platform_id=str(author.get("id") or handle),
            handle=handle,
            name=str(author.get("name") or ""),
            url=str(author.get("url") or ""),
        ),
        text=text,
        created_at=created_at or timezone.now(),
        kind=kind,
        url=str(payload.get("url") or ""),
        in_reply_to=payload.get("in_reply_to") or None,
        thread_id=payload.get("thread_id") or None,
        language_hint=payload.get("language") or None,
        subject=str(payload.get("subject") or ""),
        raw=payload,
    )


def webhook_receive(*, account: ChannelAccount, headers, body: bytes, payload: Any) -> WebhookResult:
    """Verify the signature (raises signing.SignatureError), accept each delivery once, store its items."""
    secrets_ = list((account.credentials or {}).get("webhook_secrets") or [])
    delivery_id = signing.verify_inbound(
        secrets=secrets_, headers=headers, body=body, now=timezone.now().timestamp()
    )
    result = WebhookResult()
    raw_items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(raw_items, list):
        result.errors.append({"index": None, "field": "items", "message": 'Send {"items": [...]}.'})
        return result
    items: list[Item] = []
    for index, raw in enumerate(raw_items):
        try:
            items.append(item_from_payload(raw, platform=account.platform))
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                result.errors.append({"index": index, "field": name, "message": " ".join(messages)})
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(
                workspace_id=account.workspace_id,
                account=account,
                delivery_id=delivery_id,
                signature=str(headers.get("X-CXM-Signature", ""))[:200],
                items_accepted=len(items),
            )
            deliver(_context(account, source="webhook"), items)
            if items:
                ChannelAccount.objects.filter(pk=account.pk).update(
                    items_received=account.items_received + len(items),
                    last_item_at=timezone.now(),
                    last_synced_at=timezone.now(),
                )
    except IntegrityError:
        # The same delivery again (a sender's retry or a replay): acknowledge, store nothing new.
        result.duplicate_delivery = True
        result.errors = []
        return result
    result.accepted = len(items)
    return result


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
