"""Every non-trivial read in ads, scoped to one workspace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime

from ads.models import (
    AD_PLATFORMS,
    Ad,
    AdAccountState,
    AdCampaign,
    AdCommentAlert,
    AdInsight,
    AdSet,
    CampaignStop,
    ComplianceWaiver,
    CreativeTemplate,
    Feed,
    OptimizerProposal,
    StopState,
    Variant,
)
from ads.money import exponent, format_amount
from cxm.audit.selectors import audit_coverage
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


def ad_accounts_with_insights() -> list[tuple[int, int]]:
    """(account id, workspace id) of ad accounts read in at least once (their currency is known),
    across workspaces."""
    return list(
        ChannelAccount.objects.filter(platform__in=AD_PLATFORMS)
        .exclude(ads_state__currency="")
        .exclude(ads_state__isnull=True)
        .values_list("pk", "workspace_id")
    )


# The language a country's ads are written in when its account names none.
LANGUAGE_BY_COUNTRY = {"ID": "id", "MY": "ms", "TH": "th", "VN": "vi", "JP": "ja", "KR": "ko", "DE": "de",
                       "FR": "fr", "ES": "es", "IT": "it", "NL": "nl", "BR": "pt", "PT": "pt"}  # fmt: skip


@dataclass(frozen=True)
class CampaignLocale:
    country: str  # ISO 3166-1 alpha-2, upper case; "" when the account names none
    language: str  # a base language code: "id", "en"
    currency: str


def campaign_locale(*, campaign: AdCampaign) -> CampaignLocale:
    """What a campaign's variants default to: its ad account's country and language (else the
    country's language, else English) and the campaign's currency (the account's as read in)."""
    account = campaign.account
    country = ((account.country if account else "") or "").upper()
    language = ((account.language if account else "") or "").split("-")[0].split("_")[0].lower()
    state = AdAccountState.objects.filter(account=account).only("currency").first() if account else None
    return CampaignLocale(
        country=country,
        language=language or LANGUAGE_BY_COUNTRY.get(country, "en"),
        currency=campaign.currency or (state.currency if state else ""),
    )


def ad_account_states(*, workspace) -> QuerySet[AdAccountState]:
    """The workspace's ad accounts as read in: name, currency, when insights were last pulled."""
    return (
        AdAccountState.objects.for_workspace(workspace)
        .select_related("account")
        .exclude(currency="")
        .order_by("name", "pk")
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
    using: str = DEFAULT_DB_ALIAS,
) -> QuerySet[AdInsight]:
    rows = AdInsight.objects.using(using).for_workspace(workspace)
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


def insights_summary(
    *, workspace, group_by: str = "campaign", using: str = DEFAULT_DB_ALIAS, **filters: Any
) -> list[dict[str, Any]]:
    """Totals and metrics per campaign, ad set, ad, variant or date (and currency: sums never mix
    currencies), read through the database alias `using` (the replica, when
    cxm.replica.read_alias allows)."""
    if group_by not in GROUPS:
        raise ValueError(f"group_by is one of {', '.join(GROUPS)}")
    key, label = GROUPS[group_by]
    fields = [key, "currency"] + ([label] if label else [])
    rows = (
        insights(workspace=workspace, using=using, **filters)
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


def ad_comments_hidden(*, workspace, comment_ids: list[str]) -> dict[str, Any]:
    """Of these comments under the workspace's ads (platform ids), the ones a moderator hid, with
    when: comment id -> datetime (None when the time was not recorded)."""
    hidden: dict[str, Any] = {}
    for mention in listening_selectors.mentions_by_external_ids(
        workspace=workspace, platform="meta_ads", external_ids=[str(c) for c in comment_ids]
    ):
        raw = mention.raw or {}
        if raw.get("hidden") and mention.media_type == "paid":
            hidden[mention.external_id] = parse_datetime(str(raw.get("hidden_at") or ""))
    return hidden


# --- transformation KPIs: alerts, the pause's stops and audited actions ---------------------------


def kpi_comment_alert_acknowledgements(
    *,
    workspace_id: int,
    since,
    until,
    target,
    brand_id: int | None = None,
    business_unit_id: int | None = None,
) -> dict[str, int]:
    """Negative-comment alerts raised in [since, until): acknowledged within `target` (before
    `until`), not (late, or never once `target` has passed), and still open but younger than
    `target`. Scoped by the campaign's brand and business unit."""
    alerts = AdCommentAlert.objects.filter(
        workspace_id=workspace_id, created_at__gte=since, created_at__lt=until
    )
    if brand_id:
        alerts = alerts.filter(campaign__brand_id=brand_id)
    if business_unit_id:
        alerts = alerts.filter(campaign__business_unit_id=business_unit_id)
    acknowledged = Q(acknowledged=True, acknowledged_at__isnull=False, acknowledged_at__lt=until)
    took = ExpressionWrapper(F("acknowledged_at") - F("created_at"), output_field=DurationField())
    totals = alerts.annotate(took=took).aggregate(
        total=Count("pk"),
        in_target=Count("pk", filter=acknowledged & Q(took__lte=target)),
        decided=Count("pk", filter=acknowledged | Q(created_at__lte=until - target)),
    )
    return {
        "in_target": totals["in_target"],
        "missed": totals["decided"] - totals["in_target"],
        "too_young": totals["total"] - totals["decided"],
    }


def kpi_pause_stops(*, workspace_id: int, pause_id: int, until) -> dict[str, Any]:
    """The campaigns a pause set to PAUSED on their platforms, as of `until`: how many were
    confirmed stopped (or found not running any more) and when the last confirmation came, and
    how many were not (still being stopped, or failed)."""
    stops = CampaignStop.objects.filter(workspace_id=workspace_id, pause_id=pause_id, created_at__lt=until)
    confirmed = Q(stopped_at__isnull=False, stopped_at__lt=until) | Q(
        state=StopState.SKIPPED, updated_at__lt=until
    )
    totals = stops.aggregate(
        total=Count("pk"),
        confirmed=Count("pk", filter=confirmed),
        failed=Count("pk", filter=Q(state=StopState.FAILED, stopped_at__isnull=True)),
        last_confirmed_at=Max(Coalesce("stopped_at", "updated_at"), filter=confirmed),
    )
    return {
        "campaigns": totals["total"],
        "confirmed": totals["confirmed"],
        "failed": totals["failed"],
        "unconfirmed": totals["total"] - totals["confirmed"],
        "last_confirmed_at": totals["last_confirmed_at"],
    }


def kpi_actions_audited(*, workspace_id: int, since, until) -> dict[str, dict[str, int]]:
    """Compliance waivers granted and optimiser proposals applied in [since, until), each with
    how many have their audit entry."""
    return {
        "compliance_waivers": audit_coverage(
            workspace_id=workspace_id,
            rows=ComplianceWaiver.objects.filter(workspace_id=workspace_id, at__gte=since, at__lt=until),
            object_type="ads.variant",
            object_id_field="variant_id",
            actions=["ads.variant_waive"],
            match={"after__rule_id": "rule_id"},
        ),
        "proposals_applied": audit_coverage(
            workspace_id=workspace_id,
            rows=OptimizerProposal.objects.filter(
                workspace_id=workspace_id, status="applied", applied_at__gte=since, applied_at__lt=until
            ),
            object_type="ads.optimizerproposal",
            actions=["ads.proposal_apply"],
        ),
    }


def architecture_counts(*, workspace, since: date) -> dict[str, Any]:
    """What ads ran and raised since `since`, for the reference architecture: running campaigns
    per ad account, campaigns guarded against negative comments, and comment-spike alerts."""
    running = {
        row["account_id"]: row["n"]
        for row in campaigns_running(workspace=workspace).values("account_id").annotate(n=Count("id"))
    }
    guarded = sum(
        1
        for guard in AdCampaign.objects.for_workspace(workspace).values_list("comment_guard", flat=True)
        if isinstance(guard, dict) and guard.get("enabled")
    )
    return {
        "campaigns_by_account": running,
        "campaigns_running": sum(running.values()),
        "comment_guards": guarded,
        "comment_alerts": AdCommentAlert.objects.for_workspace(workspace).filter(day__gte=since).count(),
    }


def ad_spend(*, workspace, since: date, until: date, currency: str) -> Decimal:
    """Spend in `currency` (major units) on days [since, until), from the daily insight rows."""
    minor = (
        AdInsight.objects.for_workspace(workspace)
        .filter(hour__isnull=True, currency=currency, date__gte=since, date__lt=until)
        .aggregate(total=Sum("spend"))["total"]
    )
    return Decimal(minor or 0) / (Decimal(10) ** exponent(currency))


def kpi_ad_totals(
    *,
    workspace_id: int,
    date_from: date,
    date_until: date,
    business_unit_id: int | None = None,
    brand_id: int | None = None,
) -> list[dict[str, Any]]:
    """Per currency (sums never mix currencies), the insights of days in [date_from, date_until):
    impressions, clicks, spend and conversion value (minor units), and the number of ad-days with
    spend and with impressions. An ad's day counts its daily row, or the sum of its hourly rows
    when no daily row was read in (so an ad-day is never counted twice). Scoped by the campaign's
    business unit and brand. One query."""
    where = ["i.workspace_id = %s", "i.date >= %s", "i.date < %s"]
    params: list[Any] = [workspace_id, date_from, date_until]
    if business_unit_id:
        where.append("c.business_unit_id = %s")
        params.append(business_unit_id)
    if brand_id:
        where.append("c.brand_id = %s")
        params.append(brand_id)
    insight, campaign = AdInsight._meta.db_table, AdCampaign._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH ad_days AS (
                SELECT i.ad_id, i.date, i.currency, sum(i.impressions) AS impressions,
                       sum(i.clicks) AS clicks, sum(i.spend) AS spend,
                       sum(i.conversion_value) AS conversion_value
                FROM {insight} i JOIN {campaign} c ON c.id = i.campaign_id
                WHERE {" AND ".join(where)}
                  AND (i.hour IS NULL OR NOT EXISTS (
                      SELECT 1 FROM {insight} d WHERE d.ad_id = i.ad_id AND d.date = i.date AND d.hour IS NULL
                  ))
                GROUP BY i.ad_id, i.date, i.currency
            )
            SELECT currency, sum(impressions), sum(clicks), sum(spend), sum(conversion_value),
                   count(*) FILTER (WHERE spend > 0), count(*) FILTER (WHERE impressions > 0)
            FROM ad_days GROUP BY currency ORDER BY currency
            """,  # noqa: S608 (table names are constants; values are parameters)
            params,
        )
        rows = cursor.fetchall()
    names = (
        "impressions",
        "clicks",
        "spend",
        "conversion_value",
        "ad_days_with_spend",
        "ad_days_with_impressions",
    )
    return [
        {"currency": currency, **{name: int(value or 0) for name, value in zip(names, values, strict=True)}}
        for currency, *values in rows
    ]


def ad_account_for_webhook(*, account_id: int) -> ChannelAccount | None:
    """The ad account a Meta webhook names in its URL; the signature then proves the sender."""
    return ChannelAccount.objects.filter(pk=account_id, platform__in=AD_PLATFORMS).first()


def ads_by_story(*, account: ChannelAccount, story_ids: list[str]) -> dict[str, Ad]:
    """The account's ads by their post (effective_object_story_id)."""
    if not story_ids:
        return {}
    rows = (
        Ad.objects.for_workspace(account.workspace_id)
        .filter(campaign__account=account, effective_object_story_id__in=story_ids)
        .select_related("campaign")
        .order_by("id")
    )
    return {ad.effective_object_story_id: ad for ad in rows}
