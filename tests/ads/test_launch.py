"""Launching a campaign: every object created on the platform exactly once, never while paused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ads.models import Ad, AdCampaign, AdSet, PushState
from ads.services import (
    ad_set_update,
    campaign_launch,
    campaign_push,
    campaign_set_status,
    campaign_update,
    campaigns_enqueue_due,
)
from publishing.services import pause_activate, pause_resume

pytestmark = pytest.mark.django_db


def _push(campaign, *, later: float = 0.0):
    return campaign_push(
        campaign_id=campaign.pk,
        workspace_id=campaign.workspace_id,
        now=timezone.now() + timedelta(seconds=later),
    )


def _created(graph) -> tuple[int, int, int, int]:
    return tuple(len(graph.created(kind)) for kind in ("campaign", "adset", "adcreative", "ad"))


def test_launch_records_the_intent_before_any_call(build_campaign, graph):
    campaign = build_campaign(ad_sets=2, ads=2)
    calls_before = len(graph.calls)
    campaign = campaign_launch(campaign=campaign)
    assert len(graph.calls) == calls_before  # nothing sent from the request
    assert campaign.push_state == PushState.QUEUED and campaign.launched_at is not None
    assert set(AdSet.objects.values_list("push_state", flat=True)) == {PushState.QUEUED}
    refs = [*Ad.objects.values_list("external_ref", flat=True), campaign.external_ref]
    assert all(refs) and len(set(refs)) == len(refs)


def test_a_launch_creates_campaign_ad_sets_creatives_and_ads_once(build_campaign, graph):
    campaign = campaign_launch(campaign=build_campaign(ad_sets=2, ads=3))
    run = _push(campaign)
    assert run.outcomes["pushed"] == 1 + 2 + 6
    assert _created(graph) == (1, 2, 6, 6)
    campaign.refresh_from_db()
    on_stub = graph.objects[campaign.external_id]
    assert on_stub["name"] == f"Summer sale [{campaign.external_ref}]"
    assert on_stub["status"] == "ACTIVE" and on_stub["daily_budget"] == "5000"
    for ad in Ad.objects.select_related("ad_set"):
        assert ad.push_state == PushState.SYNCED and ad.platform_status == "ACTIVE"
        assert graph.objects[ad.external_id]["adset_id"] == ad.ad_set.external_id
        assert graph.objects[ad.external_id]["creative"] == {"id": ad.creative_external_id}
        assert (
            ad.effective_object_story_id
            == graph.objects[ad.creative_external_id]["effective_object_story_id"]
        )
    # Running it again (a duplicate task) sends nothing new.
    _push(campaign)
    campaign_launch(campaign=campaign)
    _push(campaign)
    assert _created(graph) == (1, 2, 6, 6)


def test_every_create_first_looks_up_its_reference(build_campaign, graph):
    campaign = campaign_launch(campaign=build_campaign())
    _push(campaign)
    lookups = [c for c in graph.calls if c.method == "GET" and "filtering" in c.params]
    assert [c.path for c in lookups] == [
        "act_1001/campaigns",
        "act_1001/adsets",
        "act_1001/adcreatives",
        "act_1001/ads",
    ]


def test_a_create_whose_answer_was_lost_is_found_not_made_again(build_campaign, graph):
    campaign = campaign_launch(campaign=build_campaign(ad_sets=1, ads=2))
    graph.lose_answer_next(path=r"act_1001/adsets$")
    first = _push(campaign)
    assert first.outcomes["retry"] == 1
    ad_set = AdSet.objects.get()
    assert ad_set.external_id == "" and ad_set.push_state == PushState.QUEUED and ad_set.error
    assert len(graph.created("adset")) == 1  # Meta acted before the answer was lost
    _push(campaign, later=60)
    ad_set.refresh_from_db()
    assert ad_set.external_id == graph.created("adset")[0]["id"]
    assert _created(graph) == (1, 1, 2, 2)


def test_a_lost_creative_answer_does_not_duplicate_the_creative(build_campaign, graph):
    campaign = campaign_launch(campaign=build_campaign(ad_sets=1, ads=1))
    graph.lose_answer_next(path=r"act_1001/ads$")
    _push(campaign)
    ad = Ad.objects.get()
    assert ad.creative_external_id and not ad.external_id
    _push(campaign, later=60)
    assert _created(graph) == (1, 1, 1, 1)


def test_rate_limits_back_off_and_resume(build_campaign, graph):
    graph.rate_limit_reset = 20
    campaign = campaign_launch(campaign=build_campaign(ad_sets=1, ads=2))
    graph.fail_next(code=613, path=r"act_1001/adcreatives", method="POST")
    run = _push(campaign)
    assert run.outcomes["retry"] == 1
    assert timedelta(seconds=15) < run.retry_at - timezone.now() <= timedelta(seconds=21)
    assert _push(campaign).outcomes["not-due"] == 1  # not before the platform allows
    _push(campaign, later=25)
    assert _created(graph) == (1, 1, 2, 2)
    assert not Ad.objects.exclude(push_state=PushState.SYNCED).exists()


def test_a_refused_object_fails_with_the_platforms_reason(build_campaign, graph):
    campaign = campaign_launch(campaign=build_campaign())
    graph.fail_next(code=100, path=r"act_1001/adsets$", method="POST")
    _push(campaign)
    ad_set = AdSet.objects.get()
    assert ad_set.push_state == PushState.FAILED and "Invalid parameter" in ad_set.error
    # Launching again retries what failed.
    campaign_launch(campaign=campaign)
    _push(campaign)
    assert _created(graph) == (1, 1, 1, 1)


def test_launch_needs_ad_sets_ads_and_a_page(build_campaign, synced_account):
    with pytest.raises(ValidationError) as raised:
        campaign_launch(campaign=build_campaign(ad_sets=0))
    assert "ad_sets" in raised.value.message_dict
    synced_account.options = {}
    synced_account.save()
    with pytest.raises(ValidationError) as raised:
        campaign_launch(campaign=build_campaign())
    assert "account" in raised.value.message_dict


def test_a_pause_holds_the_launch_and_nothing_is_sent(build_campaign, graph, workspace_a):
    campaign = campaign_launch(campaign=build_campaign(ad_sets=2, ads=2))
    pause = pause_activate(workspace=workspace_a, reason="crisis")
    calls_before = len(graph.calls)
    run = _push(campaign)
    assert run.outcomes["held"] == 1
    assert len(graph.calls) == calls_before
    campaign.refresh_from_db()
    assert campaign.push_state == PushState.HELD and campaign.held_by_pause == pause
    # Beat does not hand held work out again.
    assert campaigns_enqueue_due(enqueue=lambda pk: pytest.fail("held work was enqueued")) == 0
    pause_resume(workspace=workspace_a)
    assert _push(campaign).outcomes["skipped"] == 1  # held stays held until launched again
    campaign_launch(campaign=campaign)
    _push(campaign)
    assert _created(graph) == (1, 2, 4, 4)


def test_a_business_unit_pause_holds_only_that_units_campaigns(build_campaign, graph, workspace_a, unit):
    from tests.factories import BusinessUnitFactory

    other = BusinessUnitFactory(workspace=workspace_a, name="Snacks")
    held = campaign_launch(campaign=build_campaign(name="Kopi"))
    free = campaign_launch(campaign=build_campaign(name="Chips", business_unit=other))
    pause_activate(workspace=workspace_a, scope="business_unit", target_id=unit.pk)
    assert _push(held).outcomes["held"] == 1
    assert _push(free).outcomes["pushed"] == 3
    assert len(graph.created("campaign")) == 1


def test_while_paused_activating_and_raising_a_budget_wait_but_pausing_and_lowering_go_out(
    build_campaign, graph, workspace_a
):
    campaign = campaign_launch(campaign=build_campaign(daily_budget=5000))
    _push(campaign)
    campaign.refresh_from_db()
    pause_activate(workspace=workspace_a, reason="crisis")

    campaign = campaign_update(campaign=campaign, daily_budget=9000)
    assert _push(campaign).outcomes["held"] == 1
    assert graph.objects[campaign.external_id]["daily_budget"] == "5000"

    campaign = campaign_update(campaign=campaign, daily_budget=3000)
    assert _push(campaign).outcomes["pushed"] == 1
    assert graph.objects[campaign.external_id]["daily_budget"] == "3000"

    campaign = campaign_set_status(campaign=campaign, status="PAUSED")
    assert _push(campaign).outcomes["pushed"] == 1
    assert graph.status_of(campaign.external_id) == "PAUSED"

    campaign = campaign_set_status(campaign=campaign, status="ACTIVE")
    assert _push(campaign).outcomes["held"] == 1
    assert graph.status_of(campaign.external_id) == "PAUSED"


def test_an_ad_set_budget_change_goes_out(graph, synced_account):
    from ads.services import ad_create, ad_set_create, campaign_create

    campaign = campaign_create(workspace=synced_account.workspace, account=synced_account, name="Per set")
    ad_set = ad_set_create(campaign=campaign, name="S", countries=["ID"], daily_budget=4000)
    ad_create(ad_set=ad_set, name="A", creative={"primary_text": "x", "link": "https://example.com/"})
    campaign_launch(campaign=campaign)
    _push(campaign)
    ad_set.refresh_from_db()
    assert graph.objects[ad_set.external_id]["daily_budget"] == "4000"
    ad_set_update(ad_set=ad_set, daily_budget=4500)
    _push(campaign)
    assert graph.objects[ad_set.external_id]["daily_budget"] == "4500"
    assert AdCampaign.objects.get().push_state == PushState.SYNCED
