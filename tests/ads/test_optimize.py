"""The budget optimiser: a proposal within guardrails from what each ad set earned, applied to the
platform by a marketer, with raises held while a pause is on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ads.models import Ad, AdInsight, AdSet, OptimizerProposal, ProposalStatus, PushState
from ads.services import (
    ad_create,
    ad_set_create,
    campaign_create,
    campaign_launch,
    campaign_push,
    proposal_apply,
    proposal_create,
)
from cxm.audit.models import AuditEntry
from publishing.services import pause_activate

pytestmark = pytest.mark.django_db

BUDGET = 10000


@pytest.fixture
def launched(synced_account, graph):
    campaign = campaign_create(workspace=synced_account.workspace, account=synced_account, name="Kopi ABO")
    for name in ("winner", "loser", "middle"):
        ad_set = ad_set_create(campaign=campaign, name=name, countries=["ID"], daily_budget=BUDGET)
        ad_create(
            ad_set=ad_set,
            name=f"{name} ad",
            creative={"primary_text": "Kopi", "link": "https://shop.example.com/kopi"},
        )
    campaign_launch(campaign=campaign)
    campaign_push(campaign_id=campaign.pk, workspace_id=campaign.workspace_id)
    assert not AdSet.objects.exclude(push_state=PushState.SYNCED).exists()
    earned = {"winner": (9000, 60, 90000), "loser": (9000, 2, 2000), "middle": (9000, 20, 25000)}
    today = timezone.now().date()
    for ad in Ad.objects.select_related("ad_set"):
        spend, conversions, value = earned[ad.ad_set.name]
        for day in range(7):
            AdInsight.objects.create(
                workspace=ad.workspace,
                ad=ad,
                campaign=campaign,
                ad_set=ad.ad_set,
                date=today - timedelta(days=day + 1),
                currency=campaign.currency,
                spend=spend,
                conversions=conversions,
                conversion_value=value,
            )
    return campaign


def _budgets(proposal):
    return {move["name"]: move for move in proposal.moves}


def test_proposal_moves_budget_toward_the_winner_within_the_guardrails(launched, marketer):
    proposal = proposal_create(campaign=launched, by=marketer.user, seed=1)
    moves = _budgets(proposal)
    total = 3 * BUDGET
    assert sum(m["proposed"] for m in moves.values()) == total == proposal.total
    assert moves["winner"]["proposed"] > BUDGET > moves["loser"]["proposed"]
    # at most 10 % of the campaign budget moved in one step, no ad set under the minimum
    assert sum(max(0, m["change"]) for m in moves.values()) <= total // 10
    assert all(m["proposed"] >= total // 15 for m in moves.values())
    assert all(m["explanation"] and m["posterior"]["alpha"] > 0 for m in moves.values())
    assert AuditEntry.objects.filter(action="ads.proposal_create").exists()


def test_a_campaign_holding_the_budget_has_nothing_to_split(build_campaign):
    with pytest.raises(ValidationError):
        proposal_create(campaign=build_campaign(ad_sets=2))


def test_applying_updates_the_budgets_on_the_platform_and_is_audited(launched, marketer, graph):
    proposal = proposal_create(campaign=launched, seed=1)
    proposal_apply(proposal=proposal, by=marketer.user)
    campaign_push(campaign_id=launched.pk, workspace_id=launched.workspace_id)
    for move in proposal.moves:
        ad_set = AdSet.objects.get(pk=move["ad_set"])
        assert ad_set.daily_budget == ad_set.platform_daily_budget == move["proposed"]
        assert int(graph.objects[ad_set.external_id]["daily_budget"]) == move["proposed"]
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPLIED and proposal.applied_by == marketer.user
    assert AuditEntry.objects.filter(action="ads.proposal_apply", actor=marketer.user).exists()
    with pytest.raises(ValidationError):
        proposal_apply(proposal=proposal, by=marketer.user)


def test_raises_are_held_while_paused_and_cuts_go_out(launched, marketer, graph, workspace_a):
    proposal = proposal_create(campaign=launched, seed=1)
    moves = _budgets(proposal)
    pause_activate(workspace=workspace_a, reason="crisis")
    proposal_apply(proposal=proposal, by=marketer.user)
    campaign_push(campaign_id=launched.pk, workspace_id=launched.workspace_id)
    winner = AdSet.objects.get(pk=moves["winner"]["ad_set"])
    loser = AdSet.objects.get(pk=moves["loser"]["ad_set"])
    assert winner.push_state == PushState.HELD
    assert int(graph.objects[winner.external_id]["daily_budget"]) == BUDGET
    assert loser.push_state == PushState.SYNCED
    assert int(graph.objects[loser.external_id]["daily_budget"]) == moves["loser"]["proposed"]


def test_a_stale_proposal_is_refused(launched, marketer):
    proposal = proposal_create(campaign=launched, seed=1)
    AdSet.objects.filter(campaign=launched).update(daily_budget=12345)
    with pytest.raises(ValidationError):
        proposal_apply(proposal=proposal, by=marketer.user)
    assert OptimizerProposal.objects.get(pk=proposal.pk).status == ProposalStatus.PROPOSED
