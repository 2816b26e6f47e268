"""Every non-trivial read in ads, scoped to one workspace."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from ads.models import (
    AD_PLATFORMS,
    Ad,
    AdCampaign,
    AdCommentAlert,
    AdInsight,
    AdSet,
    CampaignStop,
    CreativeTemplate,
    Feed,
    OptimizerProposal,
    StopState,
    Variant,
)
from ads.money import exponent, format_amount
from cxm.channels.models import ChannelAccount
from listening import selectors as listening_selectors

GROUPS = {
    "campaign": ("campaign_id", "campaign__name"),
    "ad_set": ("ad_set_id", "ad_set__name"),
    "ad": ("ad_id", "ad__name"),
    "variant": ("ad__variant_key", None),
    "date": ("date", None),
}
TOTALS = ("impressions", "reach", "clicks", "spend", "conversions", "conversion_value")


def ad_accounts(*, workspace) -> QuerySet[ChannelAccount]:
    return (
        ChannelAccount.objects.for_workspace(workspace)
        .filter(platform__in=AD_PLATFORMS)
        .select_related("ads_state", "business_unit", "brand")
        .order_by("handle")
    )


def ad_accounts_with_insights() -> list[int]:
    """Ad accounts read in at least once (their currency is known), across workspaces."""
    return list(
        ChannelAccount.objects.filter(platform__in=AD_PLATFORMS)
        .exclude(ads_state__currency="")
        .exclude(ads_state__isnull=True)
        .values_list("pk", flat=True)
    )


def campaigns(
    *,
    workspace,
    account: int | str | None = None,
    status: str = "",
    push_state: str = "",
    business_unit: int | str | None = None,
    brand: int | str | None = None,
    search: str = "",
) -> QuerySet[AdCampaign]:
    rows = (
        AdCampaign.objects.for_workspace(workspace)
        .select_related("account", "business_unit", "brand")
        .annotate(ad_set_count=Count("ad_sets", distinct=True), ad_count=Count("ads", distinct=True))
    )
    if account:
        rows = rows.filter(account_id=account)
    if status:
        rows = rows.filter(status=status)
    if push_state:
        rows = rows.filter(push_state=push_state)
    if business_unit:
        rows = rows.filter(business_unit_id=business_unit)
    if brand:
        rows = rows.filter(brand_id=brand)
    if search:
        rows = rows.filter(name__icontains=search)
    return rows.order_by("-created_at", "-id")


def ad_sets(*, workspace, campaign: int | str | None = None) -> QuerySet[AdSet]:
    rows = AdSet.objects.for_workspace(workspace).select_related("campaign")
    if campaign:
        rows = rows.filter(campaign_id=campaign)
    return rows.order_by("campaign_id", "id")


def ads(
    *, workspace, campaign: int | str | None = None, ad_set: int | str | None = None, variant_key: str = ""
) -> QuerySet[Ad]:
    rows = Ad.objects.for_workspace(workspace).select_related("ad_set", "campaign")
    if campaign:
        rows = rows.filter(campaign_id=campaign)
    if ad_set:
        rows = rows.filter(ad_set_id=ad_set)
    if variant_key:
        rows = rows.filter(variant_key=variant_key)
    return rows.order_by("ad_set_id", "id")


def insights(
    *,
    workspace,
    campaign: int | str | None = None,
    ad_set: int | str | None = None,
    ad: int | str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    hourly: bool | None = None,
) -> QuerySet[AdInsight]:
    rows = AdInsight.objects.for_workspace(workspace)
    if campaign:
        rows = rows.filter(campaign_id=campaign)
    if ad_set:
        rows = rows.filter(ad_set_id=ad_set)
    if ad:
        rows = rows.filter(ad_id=ad)
    if date_from:
        rows = rows.filter(date__gte=date_from)
    if date_to:
        rows = rows.filter(date__lte=date_to)
    if hourly is True:
        rows = rows.filter(hour__isnull=False)
    elif hourly is False:
        rows = rows.filter(hour__isnull=True)
    return rows.order_by("date", "hour", "ad_id")


def _ratio(numerator: Decimal, denominator: int | Decimal, places: int) -> str | None:
    if not denominator:
        return None
    value = (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN
    )
    return str(value)


def metrics(*, totals: dict[str, int], currency: str) -> dict[str, str | None]:
    """CTR (%), CPC, CPM, CPA (in the currency's major unit) and ROAS, computed exactly from the
    integer totals and answered as decimal strings; null where the denominator is zero."""
    places = exponent(currency)
    spend = Decimal(totals.get("spend") or 0).scaleb(-places)
    value = Decimal(totals.get("conversion_value") or 0).scaleb(-places)
    impressions = totals.get("impressions") or 0
    clicks = totals.get("clicks") or 0
    conversions = totals.get("conversions") or 0
    return {
        "ctr": _ratio(Decimal(clicks) * 100, impressions, 4),
        "cpc": _ratio(spend, clicks, places + 2),
        "cpm": _ratio(spend * 1000, impressions, places + 2),
        "cpa": _ratio(spend, conversions, places + 2),
        "roas": _ratio(value, spend, 4) if spend else None,
    }


def money_fields(*, totals: dict[str, int], currency: str) -> dict[str, Any]:
    return {
        "spend_display": format_amount(totals.get("spend") or 0, currency),
        "conversion_value_display": format_amount(totals.get("conversion_value") or 0, currency),
    }


def insights_summary(*, workspace, group_by: str = "campaign", **filters: Any) -> list[dict[str, Any]]:
    """Totals and metrics per campaign, ad set, ad, variant or date (and currency: sums never mix
    currencies)."""
    if group_by not in GROUPS:
        raise ValueError(f"group_by is one of {', '.join(GROUPS)}")
    key, label = GROUPS[group_by]
    fields = [key, "currency"] + ([label] if label else [])
    rows = (
        insights(workspace=workspace, **filters)
        .values(*fields)
        .annotate(**{name: Sum(name) for name in TOTALS})
        .order_by(key, "currency")
    )
    summary = []
    for row in rows:
        totals = {name: int(row[name] or 0) for name in TOTALS}
        summary.append(
            {
                "key": row[key].isoformat() if isinstance(row[key], date) else row[key],
                "label": row[label]
                if label
                else (row[key].isoformat() if isinstance(row[key], date) else row[key]),
                "currency": row["currency"],
                **totals,
                **money_fields(totals=totals, currency=row["currency"]),
                **metrics(totals=totals, currency=row["currency"]),
            }
        )
    return summary


def campaign_stops(*, workspace, pause: int | str | None = None, state: str = "") -> QuerySet[CampaignStop]:
    rows = CampaignStop.objects.for_workspace(workspace).select_related("campaign")
    if pause:
        rows = rows.filter(pause_id=pause)
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-id")


def stop_counts(*, workspace, pause_id: int) -> dict[str, int]:
    """How the stops of one pause stand, for the pause banner."""
    counts = dict.fromkeys(StopState.values, 0)
    for row in (
        CampaignStop.objects.for_workspace(workspace)
        .filter(pause_id=pause_id)
        .values("state")
        .annotate(n=Count("id"))
    ):
        counts[row["state"]] = row["n"]
    return counts


def campaigns_running(*, workspace) -> QuerySet[AdCampaign]:
    return AdCampaign.objects.for_workspace(workspace).filter(
        Q(platform_status="ACTIVE") & ~Q(external_id="")
    )


# --- creative variants and proposals ------------------------------------------------------------------


def templates(*, workspace) -> QuerySet[CreativeTemplate]:
    return CreativeTemplate.objects.for_workspace(workspace).annotate(variant_count=Count("variants"))


def feeds(*, workspace) -> QuerySet[Feed]:
    return Feed.objects.for_workspace(workspace)


def variants(
    *,
    workspace,
    template: int | str | None = None,
    campaign: int | str | None = None,
    status: str = "",
    segment: str = "",
    language: str = "",
    format: str = "",
    excluded: bool | None = None,
    contains: str = "",
    rule_id: str = "",
    ids: list[int] | None = None,
) -> QuerySet[Variant]:
    """Variants of the workspace matching every filter given (`contains`: in any text field;
    `rule_id`: breaking that compliance rule)."""
    qs = Variant.objects.for_workspace(workspace)
    if template:
        qs = qs.filter(template_id=template)
    if campaign:
        qs = qs.filter(campaign_id=campaign)
    if status:
        qs = qs.filter(status=status)
    if segment:
        qs = qs.filter(segment=segment)
    if language:
        qs = qs.filter(language=language)
    if format:
        qs = qs.filter(format=format)
    if excluded is not None:
        qs = qs.filter(excluded=excluded)
    if contains:
        text = Q()
        for name in ("primary_text", "headline", "description", "call_to_action", "link"):
            text |= Q(**{f"fields__{name}__icontains": contains})
        qs = qs.filter(text)
    if rule_id:
        qs = qs.filter(violations__contains=[{"rule_id": rule_id}])
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.order_by("pk")


def proposals(*, workspace, campaign: int | str | None = None) -> QuerySet[OptimizerProposal]:
    qs = OptimizerProposal.objects.for_workspace(workspace).select_related("campaign")
    return qs.filter(campaign_id=campaign) if campaign else qs


# --- comments on ads ----------------------------------------------------------------------------------

COMMENTS_SCAN = 500  # newest comments read per request before the `answered` filter applies


def ad_comments(
    *,
    workspace,
    campaign: int | str | None = None,
    ad: int | str | None = None,
    sentiment: str = "",
    answered: bool | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """The newest comments under the workspace's ads (listening holds them as paid mentions),
    each with its ad and campaign."""
    ads = Ad.objects.for_workspace(workspace)
    if campaign:
        ads = ads.filter(campaign_id=campaign)
    if ad:
        ads = ads.filter(pk=ad)
    campaign_of = dict(ads.values_list("pk", "campaign_id"))
    rows = listening_selectors.ad_comments(
        workspace_id=workspace.pk,
        ad_ids=list(campaign_of),
        sentiment=sentiment,
        limit=COMMENTS_SCAN if answered is not None else limit,
    )
    if answered is not None:
        rows = [row for row in rows if bool(row["answered"]) == answered]
    for row in rows[:limit]:
        row["campaign_id"] = campaign_of.get(row["ad_id"])
    return rows[:limit]


def comment_alerts(
    *,
    workspace,
    acknowledged: bool | None = None,
    campaign: int | str | None = None,
    ad: int | str | None = None,
) -> QuerySet[AdCommentAlert]:
    rows = AdCommentAlert.objects.for_workspace(workspace).select_related("ad", "campaign")
    if acknowledged is not None:
        rows = rows.filter(acknowledged=acknowledged)
    if campaign:
        rows = rows.filter(campaign_id=campaign)
    if ad:
        rows = rows.filter(ad_id=ad)
    return rows
