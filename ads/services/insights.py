"""Pulling what each ad earns: impressions, reach, clicks, spend, conversions and their value,
per ad and day (or hour), stored in the currency's minor unit.

Meta reports spend and action values as decimal strings in major units; they are converted
exactly (Decimal, half-even) with the currency's exponent. Conversions are the first of the
account's conversion action types present in a row (`options.conversion_action_types`, by
default purchases), since Meta reports the same purchase under several overlapping types.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from ads import tasks
from ads.models import Ad, AdAccountState, AdInsight
from ads.money import to_minor
from ads.services._shared import audit
from ads.services.platform import AD_PLATFORMS, ConnectorFactory, ads_connector
from cxm.channels.connectors.base import AuthError, ConnectorError, RateLimited
from cxm.channels.connectors.meta_ads import InsightRow
from cxm.channels.models import ChannelAccount

DEFAULT_CONVERSION_TYPES = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase")
# Meta revises recent days for late conversions: each pull reads these days again.
LOOKBACK_DAYS = 3
FIRST_PULL_DAYS = 28
WRITE_BATCH = 2000
METRIC_FIELDS = [
    "impressions",
    "reach",
    "clicks",
    "spend",
    "conversions",
    "conversion_value",
    "currency",
    "source",
]


@dataclass
class InsightsResult:
    account_id: int
    outcome: str = "ok"
    rows: int = 0
    stored: int = 0
    unknown_ads: int = 0


def _action_total(entries: list[dict], types: tuple[str, ...]) -> str:
    values = {str(e.get("action_type")): str(e.get("value") or "0") for e in entries or []}
    for action_type in types:
        if action_type in values:
            return values[action_type]
    return "0"


def insight_values(row: InsightRow, *, currency: str, conversion_types: tuple[str, ...]) -> dict:
    """The integers we store for one platform row."""
    conversions = _action_total(row.actions, conversion_types)
    try:
        conversions_count = int(Decimal(conversions).to_integral_value())
    except InvalidOperation:
        conversions_count = 0
    return {
        "impressions": row.impressions,
        "reach": row.reach,
        "clicks": row.clicks,
        "spend": to_minor(row.spend, currency),
        "conversions": conversions_count,
        "conversion_value": to_minor(_action_total(row.action_values, conversion_types), currency),
    }


def insights_pull(
    *,
    account_id: int,
    workspace_id: int,
    since: date | None = None,
    until: date | None = None,
    hourly: bool = False,
    connector_factory: ConnectorFactory | None = None,
) -> InsightsResult:
    """Read the workspace's ad account's per-ad insights for the window (by default: since the last
    pull, a few days back for late conversions) and store them; rows already stored are updated in
    place. Another workspace's account is skipped."""
    result = InsightsResult(account_id=account_id)
    account = ChannelAccount.objects.filter(
        pk=account_id, workspace_id=workspace_id, platform__in=AD_PLATFORMS
    ).first()
    state = AdAccountState.objects.filter(workspace_id=workspace_id, account_id=account_id).first()
    if account is None or state is None or not state.currency:
        result.outcome = "skipped"  # not read in yet: the account sync comes first
        return result
    today = timezone.now().date()
    until = until or today
    if since is None:
        since = (
            state.insights_through - timedelta(days=LOOKBACK_DAYS)
            if state.insights_through
            else today - timedelta(days=FIRST_PULL_DAYS)
        )
    types = tuple((account.options or {}).get("conversion_action_types") or DEFAULT_CONVERSION_TYPES)
    ads: dict[str, tuple[int, int, int]] = {
        external_id: (pk, campaign_id, ad_set_id)
        for external_id, pk, campaign_id, ad_set_id in Ad.objects.filter(
            workspace_id=account.workspace_id, campaign__account=account
        )
        .exclude(external_id="")
        .values_list("external_id", "pk", "campaign_id", "ad_set_id")
    }
    connector = (connector_factory or ads_connector)(account)
    pending: list[AdInsight] = []
    try:
        for row in connector.insights(since=since, until=until, hourly=hourly):
            result.rows += 1
            known = ads.get(row.ad_id)
            if known is None:
                result.unknown_ads += 1  # made since the last account sync; read next time
                continue
            ad_pk, campaign_id, ad_set_id = known
            pending.append(
                AdInsight(
                    workspace_id=account.workspace_id,
                    ad_id=ad_pk,
                    campaign_id=campaign_id,
                    ad_set_id=ad_set_id,
                    date=row.date,
                    hour=row.hour,
                    currency=state.currency,
                    source="connector",
                    **insight_values(row, currency=state.currency, conversion_types=types),
                )
            )
            if len(pending) >= WRITE_BATCH:
                result.stored += insights_store(rows=pending)
                pending = []
    except RateLimited:
        result.outcome = "rate_limited"
    except AuthError:
        result.outcome = "needs_reauth"
    except ConnectorError:
        result.outcome = "error"
    result.stored += insights_store(rows=pending)
    if result.outcome == "ok":
        AdAccountState.objects.filter(pk=state.pk).update(
            insights_synced_at=timezone.now(), insights_through=until, updated_at=timezone.now()
        )
    return result


@transaction.atomic
def insights_store(*, rows: list[AdInsight]) -> int:
    """Insert or update rows by (ad, date, hour); one statement per batch."""
    if not rows:
        return 0
    # One statement cannot update the same row twice: the last report of a key wins.
    rows = list({(row.ad_id, row.date, row.hour): row for row in rows}.values())
    AdInsight.objects.bulk_create(
        rows,
        batch_size=WRITE_BATCH,
        update_conflicts=True,
        unique_fields=["workspace", "ad", "date", "hour"],
        update_fields=METRIC_FIELDS,
    )
    return len(rows)


def insights_refresh_request(
    *, workspace, account_ids: list[int] | None = None, by=None, request=None
) -> int:
    """Pull insights now, from the workers, for the workspace's ad accounts that were read in (all
    of them, or those named); how many were handed out. The pull is the scheduled one, so a
    refresh and the schedule meeting is harmless: rows are updated in place."""
    accounts = (
        ChannelAccount.objects.filter(workspace=workspace, platform__in=AD_PLATFORMS)
        .exclude(ads_state__currency="")
        .exclude(ads_state__isnull=True)
    )
    if account_ids is not None:
        accounts = accounts.filter(pk__in=account_ids)
    ids = list(accounts.values_list("pk", flat=True))
    for account_id in ids:
        transaction.on_commit(
            lambda account_id=account_id: tasks.insights_pull.delay(
                account_id=account_id, workspace_id=workspace.pk
            )
        )
    audit(
        workspace, "ads.insights_refresh", by=by, after={"accounts": ids}, request=request, label="insights"
    )
    return len(ids)
