"""Reading an ad account in: its currency, and every campaign, ad set, creative and ad on it.

Brands connect accounts whose ads already run, so the first sync (right after connecting) and
every scheduled one after it mirror what is on the platform, whoever made it. Objects we made
are matched by their platform id, or by our reference in their name when a crash kept their id
from being recorded; the rest are read in as `origin=platform`. Where a change of ours is still
waiting to go out, the platform's values are recorded but ours are kept as the intent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ads import tasks
from ads.models import (
    Ad,
    AdAccountState,
    AdCampaign,
    AdSet,
    AdStatus,
    Origin,
    PushState,
    SyncStatus,
)
from ads.services.platform import AD_PLATFORMS, ConnectorFactory, ads_connector
from cxm.channels.connectors.base import ConnectorError
from cxm.channels.models import AccountStatus, ChannelAccount
from cxm.channels.retry import AUTH, RATE_LIMITED, RetryPolicy, retry_decision

logger = logging.getLogger(__name__)

SYNC_INTERVAL = timedelta(minutes=15)
SYNC_LOCK_SECONDS = 900
# A failing account is read again after 30 s, doubling up to an hour; never given up on.
SYNC_RETRY = RetryPolicy(base=30.0, cap=3600.0)
REF_MARK = "[cxm-"
# While one of our changes waits to go out, the platform's values do not overwrite the intent.
PENDING = (PushState.QUEUED, PushState.HELD, PushState.FAILED)


@dataclass
class AccountSyncResult:
    account_id: int
    outcome: str = "ok"  # ok, busy, skipped, rate_limited, needs_reauth, error
    campaigns: int = 0
    ad_sets: int = 0
    ads: int = 0
    created: int = 0
    errors: list[str] = field(default_factory=list)


def _state_for(account: ChannelAccount) -> AdAccountState:
    state, _ = AdAccountState.objects.get_or_create(
        account=account, defaults={"workspace_id": account.workspace_id}
    )
    return state


def ad_account_sync(
    *, account_id: int, workspace_id: int, connector_factory: ConnectorFactory | None = None
) -> AccountSyncResult:
    """Read the workspace's ad account's objects into our models. Safe to run at any time, any
    number of times; another workspace's account is skipped."""
    result = AccountSyncResult(account_id=account_id)
    account = ChannelAccount.objects.filter(
        pk=account_id, workspace_id=workspace_id, platform__in=AD_PLATFORMS
    ).first()
    if account is None or account.status in (AccountStatus.PAUSED,):
        result.outcome = "skipped"
        return result
    lock = f"ads:account-sync:{account_id}"
    if not cache.add(lock, "1", timeout=SYNC_LOCK_SECONDS):
        result.outcome = "busy"
        return result
    try:
        state = _state_for(account)
        connector = (connector_factory or ads_connector)(account)
        try:
            info = connector.account_info()
            campaigns = list(connector.campaigns())
            ad_sets = list(connector.adsets())
            creatives = {str(row["id"]): row for row in connector.adcreatives()}
            ads = list(connector.ads())
        except ConnectorError as exc:
            result.outcome = _failed(state, exc)
            return result
        with transaction.atomic():
            currency = str(info.get("currency") or state.currency or "").upper()
            campaign_map = _sync_campaigns(account, currency, campaigns, result)
            ad_set_map = _sync_ad_sets(account, campaign_map, ad_sets, result)
            _sync_ads(account, ad_set_map, creatives, ads, result)
            now = timezone.now()
            AdAccountState.objects.filter(pk=state.pk).update(
                name=str(info.get("name") or "")[:255],
                currency=currency,
                timezone_name=str(info.get("timezone_name") or "")[:64],
                platform_account_status=_int(info.get("account_status")),
                sync_status=SyncStatus.OK,
                last_synced_at=now,
                next_sync_at=now + SYNC_INTERVAL,
                rate_limited_until=None,
                failure_count=0,
                error_text="",
                campaigns_seen=len(campaigns),
                ad_sets_seen=len(ad_sets),
                ads_seen=len(ads),
                updated_at=now,
            )
        return result
    finally:
        cache.delete(lock)


def _failed(state: AdAccountState, error: ConnectorError) -> str:
    """Record a failed sync and when the next one runs; the sync's outcome."""
    decision = retry_decision(error, state.failure_count + 1, SYNC_RETRY)
    rate_limited = decision.reason == RATE_LIMITED
    delay: float | None
    if decision.reason == AUTH:
        # No retry storm: syncing stops until someone re-authorises the account.
        status, delay, outcome = SyncStatus.NEEDS_REAUTH, None, "needs_reauth"
    elif rate_limited:
        status, delay, outcome = SyncStatus.RATE_LIMITED, decision.after, "rate_limited"
    elif decision.retry:
        status, delay, outcome = SyncStatus.ERROR, decision.after, "error"
    else:  # refused: read again on a slow schedule, in case someone fixes it on the platform
        status, delay, outcome = SyncStatus.ERROR, SYNC_INTERVAL.total_seconds() * 4, "error"
    now = timezone.now()
    AdAccountState.objects.filter(pk=state.pk).update(
        sync_status=status,
        error_text=str(error)[:2000],
        failure_count=state.failure_count + 1,
        next_sync_at=now + timedelta(seconds=delay) if delay is not None else None,
        rate_limited_until=now + timedelta(seconds=delay) if rate_limited and delay else None,
        updated_at=now,
    )
    return outcome


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ref_in(name: str) -> str:
    """Our reference, when the platform object's name carries one ("Sale [cxm-c-0a1b2c3d4e5f]")."""
    start = name.rfind(REF_MARK)
    if start < 0 or not name.endswith("]"):
        return ""
    return name[start + 1 : -1]


def _by_external_or_ref(model, rows: list[dict], **scope) -> dict[str, Any]:
    """Our rows for these platform objects: by platform id, else by our reference in the name."""
    ids = [str(row["id"]) for row in rows]
    found = {obj.external_id: obj for obj in model.objects.filter(external_id__in=ids, **scope)}
    refs = {
        _ref_in(str(row.get("name") or "")): str(row["id"]) for row in rows if str(row["id"]) not in found
    }
    refs.pop("", None)
    if refs:
        for obj in model.objects.filter(external_ref__in=list(refs), external_id="", **scope):
            found[refs[obj.external_ref]] = obj
    return found


def _apply_platform(obj, row: dict, fields: list[str]) -> None:
    """Record what the platform says; when nothing of ours is waiting, it is also our intent."""
    status = str(row.get("status") or "")
    if not obj.external_id:
        obj.external_id = str(row["id"])
        fields.append("external_id")
    obj.platform_status = status
    obj.effective_status = str(row.get("effective_status") or "")
    obj.platform_updated_time = str(row.get("updated_time") or "")
    fields += ["platform_status", "effective_status", "platform_updated_time"]
    budgets = [name for name in ("daily_budget", "lifetime_budget") if hasattr(obj, f"platform_{name}")]
    for name in budgets:
        setattr(obj, f"platform_{name}", _int(row.get(name)) or None)
        fields.append(f"platform_{name}")
    if obj.push_state not in PENDING and status in AdStatus.values:
        obj.status = status
        fields.append("status")
        for name in budgets:
            setattr(obj, name, getattr(obj, f"platform_{name}"))
            fields.append(name)
        if obj.push_state == PushState.DRAFT:
            obj.push_state = PushState.SYNCED
            fields.append("push_state")


def _sync_campaigns(
    account: ChannelAccount, currency: str, rows: list[dict], result
) -> dict[str, AdCampaign]:
    existing = _by_external_or_ref(AdCampaign, rows, account=account)
    new: list[AdCampaign] = []
    mapping: dict[str, AdCampaign] = {}
    changed: list[AdCampaign] = []
    fields: list[str] = []
    for row in rows:
        external_id = str(row["id"])
        campaign = existing.get(external_id)
        if campaign is None:
            status = str(row.get("status") or AdStatus.PAUSED)
            campaign = AdCampaign(
                workspace_id=account.workspace_id,
                account=account,
                business_unit_id=account.business_unit_id,
                brand_id=account.brand_id,
                name=str(row.get("name") or external_id)[:400],
                objective=str(row.get("objective") or "")[:32],
                currency=currency,
                status=status if status in AdStatus.values else AdStatus.PAUSED,
                platform_status=status,
                effective_status=str(row.get("effective_status") or ""),
                daily_budget=_int(row.get("daily_budget")) or None,
                lifetime_budget=_int(row.get("lifetime_budget")) or None,
                platform_daily_budget=_int(row.get("daily_budget")) or None,
                platform_lifetime_budget=_int(row.get("lifetime_budget")) or None,
                start_time=_time(row.get("start_time")),
                stop_time=_time(row.get("stop_time")),
                special_ad_categories=list(row.get("special_ad_categories") or []),
                external_id=external_id,
                external_ref="",
                origin=Origin.PLATFORM,
                push_state=PushState.SYNCED,
                platform_updated_time=str(row.get("updated_time") or ""),
            )
            new.append(campaign)
        else:
            _apply_platform(campaign, row, fields)
            if campaign.origin == Origin.PLATFORM:
                campaign.name = str(row.get("name") or campaign.name)[:400]
                fields.append("name")
            changed.append(campaign)
        mapping[external_id] = campaign
    AdCampaign.objects.bulk_create(new, batch_size=500)
    if changed:
        AdCampaign.objects.bulk_update(changed, sorted(set(fields)), batch_size=500)
    result.campaigns = len(rows)
    result.created += len(new)
    return mapping


def _sync_ad_sets(account, campaigns: dict[str, AdCampaign], rows: list[dict], result) -> dict[str, AdSet]:
    existing = _by_external_or_ref(AdSet, rows, workspace_id=account.workspace_id)
    new: list[AdSet] = []
    changed: list[AdSet] = []
    fields: list[str] = []
    mapping: dict[str, AdSet] = {}
    for row in rows:
        external_id = str(row["id"])
        campaign = campaigns.get(str(row.get("campaign_id") or ""))
        if campaign is None:
            result.errors.append(f"ad set {external_id}: its campaign was not read")
            continue
        ad_set = existing.get(external_id)
        targeting = row.get("targeting") or {}
        if ad_set is None:
            status = str(row.get("status") or AdStatus.PAUSED)
            ad_set = AdSet(
                workspace_id=account.workspace_id,
                campaign=campaign,
                name=str(row.get("name") or external_id)[:400],
                countries=list((targeting.get("geo_locations") or {}).get("countries") or []),
                languages=[str(x) for x in targeting.get("locales") or []],
                age_min=_int(targeting.get("age_min")) or 18,
                age_max=_int(targeting.get("age_max")) or 65,
                daily_budget=_int(row.get("daily_budget")) or None,
                lifetime_budget=_int(row.get("lifetime_budget")) or None,
                platform_daily_budget=_int(row.get("daily_budget")) or None,
                platform_lifetime_budget=_int(row.get("lifetime_budget")) or None,
                start_time=_time(row.get("start_time")),
                end_time=_time(row.get("end_time")),
                billing_event=str(row.get("billing_event") or "IMPRESSIONS")[:32],
                optimization_goal=str(row.get("optimization_goal") or "")[:48],
                bid_amount=_int(row.get("bid_amount")),
                targeting_raw=targeting,
                status=status if status in AdStatus.values else AdStatus.PAUSED,
                platform_status=status,
                effective_status=str(row.get("effective_status") or ""),
                external_id=external_id,
                external_ref="",
                origin=Origin.PLATFORM,
                push_state=PushState.SYNCED,
                platform_updated_time=str(row.get("updated_time") or ""),
            )
            new.append(ad_set)
        else:
            _apply_platform(ad_set, row, fields)
            ad_set.targeting_raw = targeting
            fields.append("targeting_raw")
            changed.append(ad_set)
        mapping[external_id] = ad_set
    AdSet.objects.bulk_create(new, batch_size=500)
    if changed:
        AdSet.objects.bulk_update(changed, sorted(set(fields)), batch_size=500)
    result.ad_sets = len(mapping)
    result.created += len(new)
    return mapping


def creative_payload(row: dict) -> dict[str, str]:
    """Our creative fields from a platform creative (its link ad spec, else its flat fields)."""
    link = ((row.get("object_story_spec") or {}).get("link_data")) or {}
    payload = {
        "primary_text": link.get("message") or row.get("body") or "",
        "headline": link.get("name") or row.get("title") or "",
        "description": link.get("description") or "",
        "call_to_action": ((link.get("call_to_action") or {}).get("type"))
        or row.get("call_to_action_type")
        or "",
        "link": link.get("link") or row.get("link_url") or "",
        "image_url": link.get("picture") or row.get("image_url") or "",
    }
    return {key: str(value) for key, value in payload.items() if value}


def _sync_ads(
    account, ad_sets: dict[str, AdSet], creatives: dict[str, dict], rows: list[dict], result
) -> None:
    existing = _by_external_or_ref(Ad, rows, workspace_id=account.workspace_id)
    new: list[Ad] = []
    changed: list[Ad] = []
    fields: list[str] = []
    for row in rows:
        external_id = str(row["id"])
        ad_set = ad_sets.get(str(row.get("adset_id") or ""))
        if ad_set is None:
            result.errors.append(f"ad {external_id}: its ad set was not read")
            continue
        creative_id = str((row.get("creative") or {}).get("id") or "")
        creative = creatives.get(creative_id) or {}
        story = str(creative.get("effective_object_story_id") or "")
        ad = existing.get(external_id)
        if ad is None:
            status = str(row.get("status") or AdStatus.PAUSED)
            new.append(
                Ad(
                    workspace_id=account.workspace_id,
                    ad_set=ad_set,
                    campaign_id=ad_set.campaign_id,
                    name=str(row.get("name") or external_id)[:400],
                    creative=creative_payload(creative),
                    creative_external_id=creative_id,
                    effective_object_story_id=story,
                    status=status if status in AdStatus.values else AdStatus.PAUSED,
                    platform_status=status,
                    effective_status=str(row.get("effective_status") or ""),
                    external_id=external_id,
                    external_ref="",
                    origin=Origin.PLATFORM,
                    push_state=PushState.SYNCED,
                    platform_updated_time=str(row.get("updated_time") or ""),
                )
            )
        else:
            _apply_platform(ad, row, fields)
            if creative_id and not ad.creative_external_id:
                ad.creative_external_id = creative_id
                fields.append("creative_external_id")
            if story:
                ad.effective_object_story_id = story
                fields.append("effective_object_story_id")
            changed.append(ad)
    Ad.objects.bulk_create(new, batch_size=500)
    if changed:
        Ad.objects.bulk_update(changed, sorted(set(fields)), batch_size=500)
    result.ads = len(new) + len(changed)
    result.created += len(new)


def accounts_due_for_sync(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Ad accounts never read yet (just connected) or whose next sync time has come."""
    now = now or timezone.now()
    return list(
        ChannelAccount.objects.filter(platform__in=AD_PLATFORMS)
        .exclude(status__in=[AccountStatus.PAUSED, AccountStatus.NEEDS_REAUTH])
        .filter(
            Q(ads_state__isnull=True)
            | Q(ads_state__next_sync_at__lte=now)
            # Re-authorised since the sync that found the token revoked.
            | Q(ads_state__sync_status=SyncStatus.NEEDS_REAUTH, updated_at__gt=F("ads_state__updated_at"))
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def accounts_schedule_sync(*, enqueue, now: datetime | None = None) -> int:
    """Push each due account's next sync forward, then enqueue it (a lost task retries later):
    `enqueue(account_id=..., workspace_id=...)`."""
    now = now or timezone.now()
    due = accounts_due_for_sync(now=now)
    for account_id in due:
        account = ChannelAccount.objects.get(pk=account_id)
        state = _state_for(account)
        AdAccountState.objects.filter(pk=state.pk).update(
            next_sync_at=now + timedelta(seconds=SYNC_LOCK_SECONDS)
        )
        if state.sync_status == SyncStatus.NEVER:
            # Never read: due again soon, not in fifteen minutes, should this task be lost.
            AdAccountState.objects.filter(pk=state.pk).update(next_sync_at=now + timedelta(seconds=60))
        enqueue(account_id=account_id, workspace_id=account.workspace_id)
    return len(due)


def ad_account_sync_request(*, account: ChannelAccount, by=None, request=None) -> AdAccountState:
    """Read the account in again now (from a worker, after commit)."""
    with transaction.atomic():
        state = _state_for(account)
        AdAccountState.objects.filter(pk=state.pk).update(
            next_sync_at=timezone.now(), updated_at=timezone.now()
        )
        transaction.on_commit(
            lambda: tasks.account_sync.delay(account_id=account.pk, workspace_id=account.workspace_id)
        )
    state.refresh_from_db()
    return state
