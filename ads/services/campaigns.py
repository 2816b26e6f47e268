"""A marketer's campaigns: build (campaign, ad sets, ads), launch, pause, activate, change budgets.

Every service is one transaction and one audit entry. Nothing here calls the platform: a change
to something already launched marks it `queued` and hands the campaign to a worker after commit
(see `ads.services.push`), which sends it exactly once and only while no pause forbids it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ads import tasks
from ads.models import (
    Ad,
    AdAccountState,
    AdCampaign,
    AdSet,
    AdStatus,
    Objective,
    PushState,
    new_ref,
)
from ads.money import CURRENCY_EXPONENTS
from ads.services.approval import launch_problems
from ads.services.platform import AD_PLATFORMS
from ads.services.variants import variants_to_ads
from cxm.audit.services import audit_record
from cxm.channels.models import ChannelAccount
from cxm.tenancy.models import Brand, BusinessUnit, Workspace

SETTABLE_STATUSES = (AdStatus.ACTIVE, AdStatus.PAUSED, AdStatus.ARCHIVED)
CREATIVE_FIELDS = ("primary_text", "headline", "description", "call_to_action", "link", "image_url")
RELAUNCHABLE = (PushState.DRAFT, PushState.HELD, PushState.FAILED)


def _actor(by):
    return by if getattr(by, "is_authenticated", False) else None


def _audit(obj, action: str, *, by, before=None, after=None, request=None) -> None:
    audit_record(
        workspace=obj.workspace,
        actor=by,
        action=action,
        target=obj,
        before=before,
        after=after,
        request=request,
        object_repr=f"{obj._meta.verbose_name} {obj.name}",
    )


def _enqueue_push(campaign_id: int, workspace_id: int) -> None:
    AdCampaign.objects.filter(pk=campaign_id, workspace_id=workspace_id).update(
        push_enqueued_at=timezone.now()
    )
    transaction.on_commit(
        lambda: tasks.campaign_push.delay(campaign_id=campaign_id, workspace_id=workspace_id)
    )


def _check_budget(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: "Give the budget as a whole number of the currency's minor unit."})
    if value <= 0:
        raise ValidationError({field: "A budget must be more than zero."})
    return value


def _check_budgets(daily: Any, lifetime: Any) -> tuple[int | None, int | None]:
    daily = _check_budget(daily, "daily_budget")
    lifetime = _check_budget(lifetime, "lifetime_budget")
    if daily is not None and lifetime is not None:
        raise ValidationError({"lifetime_budget": "Give a daily or a lifetime budget, not both."})
    return daily, lifetime


def _check_times(start: datetime | None, stop: datetime | None, field: str = "stop_time") -> None:
    if start and stop and stop <= start:
        raise ValidationError({field: "The end must be after the start."})


def _state(campaign: AdCampaign) -> dict[str, Any]:
    return {
        "name": campaign.name,
        "status": campaign.status,
        "objective": campaign.objective,
        "currency": campaign.currency,
        "daily_budget": campaign.daily_budget,
        "lifetime_budget": campaign.lifetime_budget,
        "start_time": campaign.start_time.isoformat() if campaign.start_time else None,
        "stop_time": campaign.stop_time.isoformat() if campaign.stop_time else None,
    }


# --- campaigns ----------------------------------------------------------------------------------------


@transaction.atomic
def campaign_create(
    *,
    workspace: Workspace,
    account: ChannelAccount,
    name: str,
    objective: str = Objective.TRAFFIC,
    currency: str = "",
    daily_budget: int | None = None,
    lifetime_budget: int | None = None,
    start_time: datetime | None = None,
    stop_time: datetime | None = None,
    status: str = AdStatus.ACTIVE,
    business_unit: BusinessUnit | None = None,
    brand: Brand | None = None,
    special_ad_categories: list[str] | None = None,
    by=None,
    request=None,
) -> AdCampaign:
    """A draft campaign on an ad account. Its budget is in the currency's minor unit."""
    if account.workspace_id != workspace.pk or account.platform not in AD_PLATFORMS:
        raise ValidationError({"account": "No such ad account in this workspace."})
    for related, label in ((business_unit, "business_unit"), (brand, "brand")):
        if related is not None and related.workspace_id != workspace.pk:
            raise ValidationError({label: f"No such {label.replace('_', ' ')} in this workspace."})
    if not name.strip():
        raise ValidationError({"name": "A campaign needs a name."})
    if objective not in Objective.values:
        raise ValidationError({"objective": f"One of {', '.join(Objective.values)}."})
    if status not in (AdStatus.ACTIVE, AdStatus.PAUSED):
        raise ValidationError({"status": "A new campaign is ACTIVE or PAUSED."})
    if not currency:
        currency = (
            AdAccountState.objects.filter(account=account).values_list("currency", flat=True).first() or ""
        )
    currency = currency.upper()
    if currency not in CURRENCY_EXPONENTS:
        raise ValidationError({"currency": "Give the ad account's currency (ISO 4217), e.g. IDR or USD."})
    daily_budget, lifetime_budget = _check_budgets(daily_budget, lifetime_budget)
    _check_times(start_time, stop_time)
    if lifetime_budget is not None and stop_time is None:
        raise ValidationError({"stop_time": "A lifetime budget needs an end time."})
    campaign = AdCampaign.objects.create(
        workspace=workspace,
        account=account,
        business_unit=business_unit or (brand.business_unit if brand else None) or account.business_unit,
        brand=brand or account.brand,
        name=name.strip(),
        objective=objective,
        currency=currency,
        daily_budget=daily_budget,
        lifetime_budget=lifetime_budget,
        start_time=start_time,
        stop_time=stop_time,
        status=status,
        special_ad_categories=list(special_ad_categories or []),
        external_ref=new_ref("c"),
        push_state=PushState.DRAFT,
        created_by=_actor(by),
    )
    _audit(campaign, "ads.campaign_create", by=by, after=_state(campaign), request=request)
    return campaign


CAMPAIGN_EDITABLE = {
    "name",
    "objective",
    "daily_budget",
    "lifetime_budget",
    "start_time",
    "stop_time",
    "business_unit",
    "brand",
}
DRAFT_ONLY = {"objective", "start_time"}


@transaction.atomic
def campaign_update(*, campaign: AdCampaign, by=None, request=None, **changes: Any) -> AdCampaign:
    """Change a campaign. Once launched, a budget change goes out to the platform (a raise waits
    while a pause is on); the name and objective stay as launched."""
    unknown = set(changes) - CAMPAIGN_EDITABLE
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed."))
    campaign = AdCampaign.objects.select_for_update().get(workspace_id=campaign.workspace_id, pk=campaign.pk)
    launched = campaign.push_state != PushState.DRAFT
    if launched and set(changes) & (DRAFT_ONLY | {"name"}):
        raise ValidationError(
            dict.fromkeys(sorted(set(changes) & (DRAFT_ONLY | {"name"})), "Fixed once launched.")
        )
    before = _state(campaign)
    for related in ("business_unit", "brand"):
        value = changes.get(related)
        if value is not None and value.workspace_id != campaign.workspace_id:
            raise ValidationError({related: "Not in this workspace."})
    daily = changes.get("daily_budget", campaign.daily_budget)
    lifetime = changes.get("lifetime_budget", campaign.lifetime_budget)
    if "daily_budget" in changes and changes["daily_budget"] is not None and "lifetime_budget" not in changes:
        lifetime = None
    if (
        "lifetime_budget" in changes
        and changes["lifetime_budget"] is not None
        and "daily_budget" not in changes
    ):
        daily = None
    daily, lifetime = _check_budgets(daily, lifetime)
    if launched and (daily is None) != (campaign.daily_budget is None):
        raise ValidationError({"daily_budget": "A launched campaign keeps its kind of budget."})
    changes["daily_budget"], changes["lifetime_budget"] = daily, lifetime
    _check_times(changes.get("start_time", campaign.start_time), changes.get("stop_time", campaign.stop_time))
    for name, value in changes.items():
        setattr(campaign, name, value)
    if launched and (
        campaign.daily_budget != campaign.platform_daily_budget
        or campaign.lifetime_budget != campaign.platform_lifetime_budget
    ):
        _queue(campaign)
        _enqueue_push(campaign.pk, campaign.workspace_id)
    campaign.save()
    _audit(campaign, "ads.campaign_update", by=by, before=before, after=_state(campaign), request=request)
    return campaign


def _queue(obj) -> None:
    obj.push_state = PushState.QUEUED
    obj.attempts = 0
    obj.next_attempt_at = None
    obj.error = ""
    obj.held_by_pause = None


@transaction.atomic
def campaign_delete(*, campaign: AdCampaign, by=None, request=None) -> None:
    """Delete a draft; anything already on the platform is archived there instead."""
    campaign = AdCampaign.objects.select_for_update().get(workspace_id=campaign.workspace_id, pk=campaign.pk)
    if campaign.push_state != PushState.DRAFT or campaign.external_id:
        raise ValidationError({"status": "Launched campaigns are archived (status ARCHIVED), not deleted."})
    _audit(campaign, "ads.campaign_delete", by=by, before=_state(campaign), request=request)
    campaign.delete()


def _set_status(obj, status: str, *, by, request, action: str):
    if status not in SETTABLE_STATUSES:
        raise ValidationError({"status": f"One of {', '.join(SETTABLE_STATUSES)}."})
    obj = type(obj).objects.select_for_update().get(workspace_id=obj.workspace_id, pk=obj.pk)
    before = {"status": obj.status}
    obj.status = status
    if isinstance(obj, AdCampaign):
        # A person decided: the pause that stopped it no longer restores it on resume.
        obj.stopped_by_pause = None
    if obj.push_state != PushState.DRAFT:
        _queue(obj)
    obj.save()
    campaign_id = obj.pk if isinstance(obj, AdCampaign) else obj.campaign_id
    if obj.push_state == PushState.QUEUED:
        _enqueue_push(campaign_id, obj.workspace_id)
    audit_record(
        workspace=obj.workspace,
        actor=by,
        action=action,
        target=obj,
        before=before,
        after={"status": status},
        request=request,
        object_repr=str(obj),
    )
    return obj


@transaction.atomic
def campaign_set_status(*, campaign: AdCampaign, status: str, by=None, request=None) -> AdCampaign:
    """Pause, activate or archive a campaign (on the platform once launched)."""
    return _set_status(campaign, status, by=by, request=request, action="ads.campaign_status")


@transaction.atomic
def ad_set_set_status(*, ad_set: AdSet, status: str, by=None, request=None) -> AdSet:
    return _set_status(ad_set, status, by=by, request=request, action="ads.ad_set_status")


@transaction.atomic
def ad_status_set(*, ad: Ad, status: str, by=None, request=None) -> Ad:
    return _set_status(ad, status, by=by, request=request, action="ads.ad_status")


@transaction.atomic
def campaign_launch(*, campaign: AdCampaign, by=None, request=None) -> AdCampaign:
    """Record the intent to put the campaign, its ad sets and ads on the platform, and hand it to
    a worker after commit. Refused while an included variant is blocked or has errors, or while
    the business unit's approval rule waits for an approval. Each object already carries its reference, so every later attempt
    (after a crash, a rate limit or a pause) creates it at most once. Launching again resumes what
    a pause held or what failed."""
    campaign = (
        AdCampaign.objects.select_for_update(of=("self",))
        .select_related("account")
        .get(workspace_id=campaign.workspace_id, pk=campaign.pk)
    )
    if campaign.account is None:
        raise ValidationError({"account": "An imported campaign cannot be launched from here."})
    # Every included variant is checked (limits, compliance) and the unit's approval given before
    # any ad exists to go out; then each ready variant becomes one ad.
    problems = launch_problems(campaign)
    if problems:
        raise ValidationError(problems)
    variants_to_ads(campaign)
    ad_sets = list(AdSet.objects.select_for_update().filter(campaign=campaign))
    ads = list(Ad.objects.select_for_update().filter(campaign=campaign))
    errors: dict[str, str] = {}
    if not ad_sets:
        errors["ad_sets"] = "Add at least one ad set."
    with_ads = {a.ad_set_id for a in ads}
    empty = sorted(s.name for s in ad_sets if s.pk not in with_ads)
    if empty:
        errors["ads"] = f"Every ad set needs an ad; none in: {', '.join(empty)}."
    if campaign.daily_budget is None and campaign.lifetime_budget is None:
        unfunded = [s.name for s in ad_sets if s.daily_budget is None and s.lifetime_budget is None]
        if unfunded:
            errors["budget"] = (
                f"Give the campaign a budget, or each ad set one; none in: {', '.join(unfunded)}."
            )
    if not (campaign.account.options or {}).get("page_id"):
        errors["account"] = "The ad account needs the Page its ads run as (options.page_id)."
    if errors:
        raise ValidationError(errors)
    queued = 0
    now = timezone.now()
    for obj in [campaign, *ad_sets]:
        if obj.push_state in RELAUNCHABLE:
            _queue(obj)
            obj.save()
            queued += 1
    # Ads in one statement: a campaign of generated variants has thousands.
    queued += Ad.objects.filter(campaign=campaign, push_state__in=RELAUNCHABLE).update(
        push_state=PushState.QUEUED,
        attempts=0,
        next_attempt_at=None,
        error="",
        held_by_pause=None,
        updated_at=now,
    )
    if campaign.launched_at is None:
        campaign.launched_at = now
        campaign.save(update_fields=["launched_at", "updated_at"])
    if queued:
        _enqueue_push(campaign.pk, campaign.workspace_id)
    _audit(
        campaign,
        "ads.campaign_launch",
        by=by,
        after={"queued": queued, "ad_sets": len(ad_sets), "ads": len(ads)},
        request=request,
    )
    campaign.refresh_from_db()
    return campaign


# --- ad sets and ads ----------------------------------------------------------------------------


def _check_audience(countries, languages, age_min: int, age_max: int) -> tuple[list[str], list[str]]:
    countries = [str(c).strip().upper() for c in countries or [] if str(c).strip()]
    bad = [c for c in countries if len(c) != 2 or not c.isalpha()]
    if bad:
        raise ValidationError({"countries": f"Use two-letter ISO codes; not: {', '.join(bad)}."})
    if not countries:
        raise ValidationError({"countries": "Target at least one country."})
    if not (13 <= age_min <= age_max <= 65):
        raise ValidationError({"age_min": "Ages run from 13 to 65, the minimum first."})
    return countries, [str(lang).strip() for lang in languages or [] if str(lang).strip()]


AD_SET_EDITABLE = {
    "name",
    "countries",
    "languages",
    "age_min",
    "age_max",
    "interests",
    "daily_budget",
    "lifetime_budget",
    "start_time",
    "end_time",
    "billing_event",
    "optimization_goal",
    "bid_amount",
}


@transaction.atomic
def ad_set_create(
    *,
    campaign: AdCampaign,
    name: str,
    countries: list[str],
    languages: list[str] | None = None,
    age_min: int = 18,
    age_max: int = 65,
    interests: str = "",
    daily_budget: int | None = None,
    lifetime_budget: int | None = None,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    billing_event: str = "IMPRESSIONS",
    optimization_goal: str = "LINK_CLICKS",
    bid_amount: int | None = None,
    status: str = AdStatus.ACTIVE,
    by=None,
    request=None,
) -> AdSet:
    """An ad set: the audience, and the budget when the campaign does not hold one."""
    if not name.strip():
        raise ValidationError({"name": "An ad set needs a name."})
    countries, languages = _check_audience(countries, languages, age_min, age_max)
    daily_budget, lifetime_budget = _check_budgets(daily_budget, lifetime_budget)
    campaign_funded = campaign.daily_budget is not None or campaign.lifetime_budget is not None
    if campaign_funded and (daily_budget is not None or lifetime_budget is not None):
        raise ValidationError({"daily_budget": "The campaign holds the budget; leave the ad set's empty."})
    if not campaign_funded and daily_budget is None and lifetime_budget is None:
        raise ValidationError({"daily_budget": "The campaign holds no budget: give this ad set one."})
    _check_times(start_time, end_time, "end_time")
    ad_set = AdSet.objects.create(
        workspace_id=campaign.workspace_id,
        campaign=campaign,
        name=name.strip(),
        countries=countries,
        languages=languages,
        age_min=age_min,
        age_max=age_max,
        interests=interests.strip(),
        daily_budget=daily_budget,
        lifetime_budget=lifetime_budget,
        start_time=start_time,
        end_time=end_time,
        billing_event=billing_event,
        optimization_goal=optimization_goal,
        bid_amount=_check_budget(bid_amount, "bid_amount"),
        status=status if status in (AdStatus.ACTIVE, AdStatus.PAUSED) else AdStatus.ACTIVE,
        external_ref=new_ref("s"),
        push_state=PushState.DRAFT,
    )
    _audit(
        ad_set,
        "ads.ad_set_create",
        by=by,
        after={"campaign": campaign.pk, "name": ad_set.name},
        request=request,
    )
    # Added to a launched campaign, it goes out with its first ad (see ad_create).
    return ad_set


@transaction.atomic
def ad_set_update(*, ad_set: AdSet, by=None, request=None, **changes: Any) -> AdSet:
    unknown = set(changes) - AD_SET_EDITABLE
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed."))
    ad_set = (
        AdSet.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(workspace_id=ad_set.workspace_id, pk=ad_set.pk)
    )
    launched = ad_set.push_state != PushState.DRAFT
    fixed = set(changes) - {"daily_budget", "lifetime_budget"}
    if launched and fixed:
        raise ValidationError(
            dict.fromkeys(sorted(fixed), "Fixed once launched; only the budget can change.")
        )
    countries, languages = _check_audience(
        changes.get("countries", ad_set.countries),
        changes.get("languages", ad_set.languages),
        changes.get("age_min", ad_set.age_min),
        changes.get("age_max", ad_set.age_max),
    )
    if "countries" in changes:
        changes["countries"] = countries
    if "languages" in changes:
        changes["languages"] = languages
    daily, lifetime = _check_budgets(
        changes.get("daily_budget", ad_set.daily_budget),
        changes.get("lifetime_budget", ad_set.lifetime_budget),
    )
    _check_times(
        changes.get("start_time", ad_set.start_time), changes.get("end_time", ad_set.end_time), "end_time"
    )
    before = {"daily_budget": ad_set.daily_budget, "lifetime_budget": ad_set.lifetime_budget}
    for name, value in changes.items():
        setattr(ad_set, name, value)
    ad_set.daily_budget, ad_set.lifetime_budget = daily, lifetime
    if launched and (
        ad_set.daily_budget != ad_set.platform_daily_budget
        or ad_set.lifetime_budget != ad_set.platform_lifetime_budget
    ):
        _queue(ad_set)
        _enqueue_push(ad_set.campaign_id, ad_set.workspace_id)
    ad_set.save()
    _audit(
        ad_set,
        "ads.ad_set_update",
        by=by,
        before=before,
        after={"daily_budget": ad_set.daily_budget, "lifetime_budget": ad_set.lifetime_budget},
        request=request,
    )
    return ad_set


def _check_creative(creative: dict[str, Any]) -> dict[str, str]:
    if not isinstance(creative, dict):
        raise ValidationError({"creative": "An object with primary_text, headline, link..."})
    unknown = set(creative) - set(CREATIVE_FIELDS)
    if unknown:
        raise ValidationError({"creative": f"Unknown fields: {', '.join(sorted(unknown))}."})
    cleaned = {key: str(creative.get(key) or "").strip() for key in CREATIVE_FIELDS if creative.get(key)}
    errors = {}
    if not cleaned.get("primary_text"):
        errors["creative.primary_text"] = "Required."
    link = cleaned.get("link", "")
    if not link.startswith(("https://", "http://")):
        errors["creative.link"] = "Give the full address the ad leads to, starting with https://."
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def ad_create(
    *,
    ad_set: AdSet,
    name: str,
    creative: dict[str, Any],
    variant_key: str = "",
    status: str = AdStatus.ACTIVE,
    by=None,
    request=None,
) -> Ad:
    """One ad (one creative variant) in an ad set."""
    if not name.strip():
        raise ValidationError({"name": "An ad needs a name."})
    ad = Ad.objects.create(
        workspace_id=ad_set.workspace_id,
        ad_set=ad_set,
        campaign_id=ad_set.campaign_id,
        name=name.strip(),
        creative=_check_creative(creative),
        variant_key=variant_key[:200],
        status=status if status in (AdStatus.ACTIVE, AdStatus.PAUSED) else AdStatus.ACTIVE,
        external_ref=new_ref("a"),
        push_state=PushState.DRAFT,
    )
    _audit(
        ad,
        "ads.ad_create",
        by=by,
        after={"ad_set": ad_set.pk, "variant_key": ad.variant_key},
        request=request,
    )
    if ad_set.campaign.push_state != PushState.DRAFT:
        # Added to a launched campaign: it goes out like a launch, under the same rules.
        campaign_launch(campaign=ad_set.campaign, by=by, request=request)
    return ad


@transaction.atomic
def ad_update(*, ad: Ad, by=None, request=None, **changes: Any) -> Ad:
    unknown = set(changes) - {"name", "creative", "variant_key"}
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed."))
    ad = Ad.objects.select_for_update().get(workspace_id=ad.workspace_id, pk=ad.pk)
    if ad.push_state != PushState.DRAFT:
        raise ValidationError({"creative": "A launched ad keeps its creative; add a new ad instead."})
    before = {"name": ad.name, "creative": ad.creative, "variant_key": ad.variant_key}
    if "creative" in changes:
        changes["creative"] = _check_creative(changes["creative"])
    for name, value in changes.items():
        setattr(ad, name, value)
    ad.save()
    _audit(
        ad,
        "ads.ad_update",
        by=by,
        before=before,
        after={"name": ad.name, "creative": ad.creative},
        request=request,
    )
    return ad
