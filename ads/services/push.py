"""Sending our campaigns, ad sets, creatives and ads to the platform, each exactly once.

An object whose `push_state` is `queued` differs from the platform: it is not there yet, or its
status or budget changed here. `object_push` claims it with `SELECT ... FOR UPDATE SKIP LOCKED`
(two workers never push the same object), and, inside the same transaction, takes the pause
permit: a call that would create, activate or raise a budget while a pause covers the object is
not sent, the object is marked `held`. Otherwise it calls out and records the answer before the
transaction commits.

Meta has no idempotency keys, so creating is made exactly-once by our reference: it is recorded
before any call and carried in the object's name on the platform; every create first looks the
reference up and adopts an object it finds. A worker killed after Meta acted but before our
commit leaves the object queued with its reference, and the next attempt finds what was created.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ads.models import Ad, AdCampaign, AdSet, AdStatus, PushState
from ads.services.platform import ConnectorFactory, ads_connector, permit_scope
from cxm.channels.connectors.base import ConnectorError, RateLimited, TransientError
from cxm.channels.connectors.meta_ads import MetaAdsConnector
from cxm.channels.retry import EXHAUSTED, RetryPolicy, retry_decision
from publishing.services import publish_permit

MAX_ATTEMPTS = 10
# Rate limits are waited out however often they come; transient failures give up after MAX_ATTEMPTS.
PUSH_RETRY = RetryPolicy(base=10.0, cap=300.0, max_attempts=MAX_ATTEMPTS, rate_limits_give_up=False)
REENQUEUE_AFTER = timedelta(minutes=2)
CREATIVE_READ_FIELDS = "id,effective_object_story_id"


@dataclass
class Plan:
    """What one push of an object sends: create it, and/or change these fields."""

    create: bool = False
    update: dict = field(default_factory=dict)

    def gated(self, obj) -> bool:
        """Whether the pause forbids this call: it creates, activates or raises a budget."""
        if self.create:
            return True
        if self.update.get("status") == AdStatus.ACTIVE:
            return True
        for name in ("daily_budget", "lifetime_budget"):
            if name in self.update:
                before = getattr(obj, f"platform_{name}")
                if before is None or self.update[name] > before:
                    return True
        return False


def _plan(obj) -> Plan:
    if not obj.external_id:
        return Plan(create=True)
    update: dict = {}
    if obj.status != obj.platform_status:
        update["status"] = obj.status
    for name in ("daily_budget", "lifetime_budget"):
        if hasattr(obj, name):
            wanted = getattr(obj, name)
            if wanted is not None and wanted != getattr(obj, f"platform_{name}"):
                update[name] = wanted
    if isinstance(obj, Ad) and not obj.creative_external_id:
        return Plan(create=True)
    return Plan(update=update)


def _campaign_of(obj) -> AdCampaign:
    return obj if isinstance(obj, AdCampaign) else obj.campaign


def object_push(
    *,
    model: type,
    object_id: int,
    connector_factory: ConnectorFactory | None = None,
    now: datetime | None = None,
) -> str:
    """Push one object if it waits to go out. Safe to run any number of times from any number of
    workers; answers what happened: pushed, held, retry, failed, waiting, not-due or skipped."""
    now = now or timezone.now()
    related = {AdCampaign: ("account",), AdSet: ("campaign__account",), Ad: ("campaign__account", "ad_set")}[
        model
    ]
    with transaction.atomic():
        obj = (
            model.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related(*related)
            .filter(pk=object_id, push_state=PushState.QUEUED)
            .first()
        )
        if obj is None:
            return "skipped"  # done, held, failed, or another worker has it right now
        if obj.next_attempt_at and obj.next_attempt_at > now:
            return "not-due"
        if isinstance(obj, AdSet) and not obj.campaign.external_id:
            return "waiting"  # its campaign is not on the platform yet
        if isinstance(obj, Ad) and not obj.ad_set.external_id:
            return "waiting"
        plan = _plan(obj)
        if not plan.create and not plan.update:
            _done(obj, now)
            return "pushed"
        campaign = _campaign_of(obj)
        account = campaign.account
        with publish_permit(
            **permit_scope(
                workspace_id=obj.workspace_id, account=account, business_unit_id=campaign.business_unit_id
            )
        ) as pause:
            if pause is not None and plan.gated(obj):
                obj.push_state = PushState.HELD
                obj.held_by_pause = pause
                obj.error = ""
                obj.save(update_fields=["push_state", "held_by_pause", "error", "updated_at"])
                return "held"
            connector = (connector_factory or ads_connector)(account)
            return _send(obj, plan, connector, now)


def _send(obj, plan: Plan, connector: MetaAdsConnector, now: datetime) -> str:
    obj.attempts += 1
    try:
        if plan.create:
            _create(obj, connector)
            plan = _plan(obj)  # an adopted object may still differ in status or budget
        if plan.update:
            connector.update(obj.external_id, plan.update)
            _confirmed(obj, plan.update)
    except ConnectorError as exc:
        decision = retry_decision(exc, obj.attempts, PUSH_RETRY)
        if decision.reason == EXHAUSTED:
            return _fail(obj, f"Gave up after {obj.attempts} attempts: {exc}")
        if not decision.retry:  # refused, or the account needs re-authorisation
            return _fail(obj, str(exc))
        obj.next_attempt_at = now + timedelta(seconds=decision.after)
        obj.error = str(exc)[:2000]
        obj.save()
        return "retry"
    _done(obj, now)
    return "pushed"


def _create(obj, connector: MetaAdsConnector) -> None:
    """Create the object on the platform, or adopt the one an earlier attempt created."""
    if isinstance(obj, AdCampaign):
        found = connector.find_by_ref("campaigns", obj.external_ref)
        if found is None:
            obj.external_id = connector.create_campaign(
                name=obj.name_on_platform(),
                objective=obj.objective,
                status=obj.status,
                daily_budget=obj.daily_budget,
                lifetime_budget=obj.lifetime_budget,
                start_time=_iso(obj.start_time),
                stop_time=_iso(obj.stop_time),
                special_ad_categories=list(obj.special_ad_categories or []),
            )
            _confirmed(
                obj,
                {
                    "status": obj.status,
                    "daily_budget": obj.daily_budget,
                    "lifetime_budget": obj.lifetime_budget,
                },
            )
        else:
            obj.external_id = str(found["id"])
            obj.platform_status = str(found.get("status") or "")
        return
    if isinstance(obj, AdSet):
        found = connector.find_by_ref("adsets", obj.external_ref)
        if found is None:
            obj.external_id = connector.create_adset(
                name=obj.name_on_platform(),
                campaign_id=obj.campaign.external_id,
                status=obj.status,
                targeting=adset_targeting(obj),
                billing_event=obj.billing_event,
                optimization_goal=obj.optimization_goal,
                daily_budget=obj.daily_budget,
                lifetime_budget=obj.lifetime_budget,
                bid_amount=obj.bid_amount,
                start_time=_iso(obj.start_time),
                end_time=_iso(obj.end_time),
            )
            _confirmed(
                obj,
                {
                    "status": obj.status,
                    "daily_budget": obj.daily_budget,
                    "lifetime_budget": obj.lifetime_budget,
                },
            )
        else:
            obj.external_id = str(found["id"])
            obj.platform_status = str(found.get("status") or "")
        return
    # An ad: its creative first (a creative is a create of its own, with its own reference).
    if not obj.creative_external_id:
        found = connector.find_by_ref("adcreatives", obj.creative_ref)
        if found is None:
            creative = obj.creative or {}
            spec = connector.link_story_spec(
                primary_text=str(creative.get("primary_text") or ""),
                link=str(creative.get("link") or ""),
                headline=str(creative.get("headline") or ""),
                description=str(creative.get("description") or ""),
                call_to_action=str(creative.get("call_to_action") or ""),
                image_url=str(creative.get("image_url") or ""),
            )
            obj.creative_external_id = connector.create_creative(
                name=f"{obj.name[:300]} [{obj.creative_ref}]", object_story_spec=spec
            )
        else:
            obj.creative_external_id = str(found["id"])
        # Progress survives a failure of the ad's own create below.
        obj.save(update_fields=["creative_external_id", "updated_at"])
    if not obj.external_id:
        found = connector.find_by_ref("ads", obj.external_ref)
        if found is None:
            obj.external_id = connector.create_ad(
                name=obj.name_on_platform(),
                adset_id=obj.ad_set.external_id,
                creative_id=obj.creative_external_id,
                status=obj.status,
            )
            obj.platform_status = obj.status
        else:
            obj.external_id = str(found["id"])
            obj.platform_status = str(found.get("status") or "")
    if not obj.effective_object_story_id:
        try:
            creative = connector.get(obj.creative_external_id, fields=CREATIVE_READ_FIELDS)
            obj.effective_object_story_id = str(creative.get("effective_object_story_id") or "")
        except (RateLimited, TransientError):
            pass  # the next account sync reads it; the ad itself is created


def _confirmed(obj, values: dict) -> None:
    if "status" in values:
        obj.platform_status = values["status"]
    for name in ("daily_budget", "lifetime_budget"):
        if name in values and hasattr(obj, f"platform_{name}"):
            setattr(obj, f"platform_{name}", values[name])


def _done(obj, now: datetime) -> None:
    obj.push_state = PushState.SYNCED
    obj.held_by_pause = None
    obj.error = ""
    obj.attempts = 0
    obj.next_attempt_at = None
    obj.pushed_at = now
    obj.save()


def _fail(obj, reason: str) -> str:
    obj.push_state = PushState.FAILED
    obj.error = reason[:2000]
    obj.save()
    return "failed"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def adset_targeting(ad_set: AdSet) -> dict:
    """Meta's targeting spec of an ad set's audience. Interests are free text here and Meta wants
    interest ids, so they stay in our record (and in reports) and are not sent."""
    targeting: dict = {
        "geo_locations": {"countries": [c.upper() for c in ad_set.countries or []]},
        "age_min": ad_set.age_min,
        "age_max": ad_set.age_max,
    }
    locales = [int(value) for value in ad_set.languages or [] if str(value).isdigit()]
    if locales:
        targeting["locales"] = locales
    return targeting


# --- a whole campaign -----------------------------------------------------------------------------


@dataclass
class PushRun:
    outcomes: Counter = field(default_factory=Counter)
    retry_at: datetime | None = None


def campaign_push(
    *,
    campaign_id: int,
    workspace_id: int,
    connector_factory: ConnectorFactory | None = None,
    now: datetime | None = None,
) -> PushRun:
    """Push every waiting change of one campaign of the workspace, parents before children: the
    campaign, its ad sets, then its ads (each with its creative). Stops at the first rate limit.
    Another workspace's campaign is not pushed."""
    run = PushRun()
    now = now or timezone.now()
    if not AdCampaign.objects.filter(pk=campaign_id, workspace_id=workspace_id).exists():
        return run
    steps: list[tuple[type, int]] = [(AdCampaign, campaign_id)]
    steps += [
        (AdSet, pk)
        for pk in AdSet.objects.filter(
            workspace_id=workspace_id, campaign_id=campaign_id, push_state=PushState.QUEUED
        ).values_list("pk", flat=True)
    ]
    steps += [
        (Ad, pk)
        for pk in Ad.objects.filter(
            workspace_id=workspace_id, campaign_id=campaign_id, push_state=PushState.QUEUED
        )
        .order_by("ad_set_id", "pk")
        .values_list("pk", flat=True)
    ]
    for model, pk in steps:
        outcome = object_push(model=model, object_id=pk, connector_factory=connector_factory, now=now)
        run.outcomes[outcome] += 1
        if outcome == "retry":
            # The account is throttled or the platform is failing: everything after would be too.
            run.retry_at = (
                model.objects.filter(pk=pk, workspace_id=workspace_id)
                .values_list("next_attempt_at", flat=True)
                .first()
            )
            break
        if model is AdCampaign and _campaign_waiting(campaign_id, workspace_id):
            break  # held, failed or busy elsewhere: its ad sets cannot be created yet
    AdCampaign.objects.filter(pk=campaign_id, workspace_id=workspace_id).update(push_enqueued_at=None)
    return run


def _campaign_waiting(campaign_id: int, workspace_id: int) -> bool:
    return AdCampaign.objects.filter(pk=campaign_id, workspace_id=workspace_id, external_id="").exists()


def campaigns_enqueue_due(
    *,
    enqueue: Callable[..., None],
    now: datetime | None = None,
    stale_after: timedelta = REENQUEUE_AFTER,
    limit: int = 2000,
) -> int:
    """Hand every campaign with a change due to go out to the workers, once per `stale_after`:
    `enqueue(campaign_id=..., workspace_id=...)`."""
    now = now or timezone.now()
    due = Q(push_state=PushState.QUEUED) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    ids = set(AdCampaign.objects.filter(due).values_list("pk", flat=True)[:limit])
    ids |= set(
        AdSet.objects.filter(due)
        .exclude(campaign__external_id="")
        .values_list("campaign_id", flat=True)[:limit]
    )
    ids |= set(
        Ad.objects.filter(due).exclude(ad_set__external_id="").values_list("campaign_id", flat=True)[:limit]
    )
    if not ids:
        return 0
    with transaction.atomic():
        claimed = list(
            AdCampaign.objects.filter(pk__in=ids)
            .filter(Q(push_enqueued_at__isnull=True) | Q(push_enqueued_at__lt=now - stale_after))
            .select_for_update(skip_locked=True)
            .values_list("pk", "workspace_id")
        )
        AdCampaign.objects.filter(pk__in=[pk for pk, _ in claimed]).update(push_enqueued_at=now)
        transaction.on_commit(
            lambda: [
                enqueue(campaign_id=pk, workspace_id=workspace_id) for pk, workspace_id in sorted(claimed)
            ]
        )
    return len(claimed)
