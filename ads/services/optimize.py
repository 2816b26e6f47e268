"""Budget proposals for a campaign's ad sets (`ads.optimizer`), stored for a marketer to review,
and applied through the ordinary budget change, so the pause permit holds raises while paused.

Product default: at most 10 % change per step, read as 10 % of the campaign's total budget moved
between its ad sets (basis "campaign"; see the optimizer's docstring for why not 10 % of each ad
set's own budget); the total is unchanged; no ad set below `min_spend`, by default a fifth of an
even share.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ads import optimizer
from ads.models import AdCampaign, AdInsight, AdSet, OptimizerProposal, ProposalStatus
from ads.money import exponent
from ads.services.campaigns import ad_set_update
from cxm.audit.services import audit_record

WINDOW_DAYS = 14
DEFAULT_MAX_CHANGE = Fraction(1, 10)


def _posterior(posterior: optimizer.Posterior) -> dict:
    return {
        "model": posterior.model,
        "alpha": posterior.alpha,
        "beta": posterior.beta,
        "value_shape": posterior.value_shape,
        "value_scale": posterior.value_scale,
        "mean": posterior.mean,
        "low": posterior.low,
        "high": posterior.high,
    }


@transaction.atomic
def proposal_create(
    *,
    campaign: AdCampaign,
    objective: str = "value",
    since: date | None = None,
    min_spend: int | None = None,
    max_change: Fraction = DEFAULT_MAX_CHANGE,
    basis: str = "campaign",
    seed: int | None = None,
    by=None,
    request=None,
) -> OptimizerProposal:
    """Propose a new split of the campaign's ad set daily budgets from what each ad set earned
    (spend, conversions, value) since `since` (default: the last 14 days)."""
    if campaign.daily_budget is not None or campaign.lifetime_budget is not None:
        raise ValidationError(
            {"campaign": "The campaign holds the budget; the optimiser splits ad set daily budgets."}
        )
    ad_sets = list(AdSet.objects.filter(campaign=campaign, daily_budget__isnull=False).order_by("pk"))
    if len(ad_sets) < 2:
        raise ValidationError({"campaign": "The optimiser needs at least two ad sets with daily budgets."})
    since = since or timezone.now().date() - timedelta(days=WINDOW_DAYS)
    totals = {
        row["ad_set_id"]: row
        for row in AdInsight.objects.filter(campaign=campaign, date__gte=since, currency=campaign.currency)
        .values("ad_set_id")
        .annotate(spend=Sum("spend"), conversions=Sum("conversions"), value=Sum("conversion_value"))
    }
    stats = [
        optimizer.AdSetStats(
            id=str(ad_set.pk),
            budget=ad_set.daily_budget,
            spend=int(totals.get(ad_set.pk, {}).get("spend") or 0),
            conversions=int(totals.get(ad_set.pk, {}).get("conversions") or 0),
            value=int(totals.get(ad_set.pk, {}).get("value") or 0),
        )
        for ad_set in ad_sets
    ]
    total = sum(s.budget for s in stats)
    if min_spend is None:
        min_spend = total // (len(stats) * 5)
    try:
        proposal = optimizer.propose_budgets(
            stats,
            objective=objective,
            min_spend=min_spend,
            max_change=max_change,
            basis=basis,
            seed=seed,
            exponent=exponent(campaign.currency),
        )
    except optimizer.OptimizerError as error:
        raise ValidationError({"optimizer": str(error)}) from error
    names = {str(ad_set.pk): ad_set.name for ad_set in ad_sets}
    stored = OptimizerProposal.objects.create(
        workspace_id=campaign.workspace_id,
        campaign=campaign,
        objective=objective,
        basis=basis,
        max_change=str(Fraction(max_change)),
        total=proposal.total,
        moves=[
            {
                "ad_set": int(move.id),
                "name": names[move.id],
                "current": move.current,
                "proposed": move.proposed,
                "change": move.change,
                "target": move.target,
                "probability_best": move.probability_best,
                "posterior": _posterior(move.posterior),
                "limited_by": list(move.limited_by),
                "explanation": move.explanation,
            }
            for move in proposal.moves
        ],
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit_record(
        workspace=campaign.workspace,
        actor=by,
        action="ads.proposal_create",
        target=stored,
        after={"campaign": campaign.pk, "budgets": proposal.budgets()},
        request=request,
        object_repr=f"budget proposal for {campaign.name}",
    )
    return stored


@transaction.atomic
def proposal_apply(*, proposal: OptimizerProposal, by=None, request=None) -> OptimizerProposal:
    """Set each ad set's daily budget as proposed. The changes go to the platform like any budget
    change: lowered budgets go out during a pause, raised ones are held until it ends."""
    proposal = (
        OptimizerProposal.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(workspace_id=proposal.workspace_id, pk=proposal.pk)
    )
    if proposal.status != ProposalStatus.PROPOSED:
        raise ValidationError({"status": f"This proposal was {proposal.status} already."})
    ad_sets = {s.pk: s for s in AdSet.objects.select_for_update().filter(campaign_id=proposal.campaign_id)}
    stale = [
        m["name"]
        for m in proposal.moves
        if getattr(ad_sets.get(m["ad_set"]), "daily_budget", None) != m["current"]
    ]
    if stale:
        raise ValidationError(
            {"moves": f"Budgets changed since the proposal ({', '.join(stale)}); make a new one."}
        )
    for move in proposal.moves:
        if move["proposed"] != move["current"]:
            ad_set_update(
                ad_set=ad_sets[move["ad_set"]], daily_budget=move["proposed"], by=by, request=request
            )
    proposal.status = ProposalStatus.APPLIED
    proposal.applied_by = by if getattr(by, "is_authenticated", False) else None
    proposal.applied_at = timezone.now()
    proposal.save(update_fields=["status", "applied_by", "applied_at"])
    audit_record(
        workspace=proposal.campaign.workspace,
        actor=by,
        action="ads.proposal_apply",
        target=proposal,
        before={str(m["ad_set"]): m["current"] for m in proposal.moves},
        after={str(m["ad_set"]): m["proposed"] for m in proposal.moves},
        request=request,
        object_repr=f"budget proposal for {proposal.campaign.name}",
    )
    return proposal


@transaction.atomic
def proposal_discard(*, proposal: OptimizerProposal, by=None, request=None) -> OptimizerProposal:
    proposal = (
        OptimizerProposal.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(workspace_id=proposal.workspace_id, pk=proposal.pk)
    )
    if proposal.status != ProposalStatus.PROPOSED:
        raise ValidationError({"status": f"This proposal was {proposal.status} already."})
    proposal.status = ProposalStatus.DISCARDED
    proposal.save(update_fields=["status"])
    audit_record(
        workspace=proposal.campaign.workspace,
        actor=by,
        action="ads.proposal_discard",
        target=proposal,
        request=request,
        object_repr=f"budget proposal for {proposal.campaign.name}",
    )
    return proposal
