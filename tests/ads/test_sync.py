"""Reading an ad account in: campaigns, ad sets, ads and creatives made anywhere."""

from __future__ import annotations

import pytest

from ads.models import Ad, AdAccountState, AdCampaign, AdSet, Origin, PushState, SyncStatus
from ads.services import ad_account_sync
from ads.services.accounts import accounts_due_for_sync

pytestmark = pytest.mark.django_db


def _seed(graph):
    running = graph.add_campaign("Always on", status="ACTIVE", daily_budget=200000)
    stopped = graph.add_campaign("Last year", status="PAUSED")
    ad_set = graph.add_adset(running, "Jakarta 18-34", countries=("ID",))
    old_set = graph.add_adset(stopped, "UK", countries=("GB",), daily_budget=1000, status="PAUSED")
    creative = graph.add_creative("Kopi creative", message="Kopi, fresh", link="https://shop.example.com/")
    ad = graph.add_ad(ad_set, creative, "Kopi ad")
    graph.add_ad(old_set, graph.add_creative("Old"), "Old ad", status="PAUSED")
    return running, stopped, ad, creative


def test_sync_reads_ads_made_outside_the_platform(ad_account, graph):
    graph.currency = "IDR"
    running, stopped, ad, creative = _seed(graph)
    result = ad_account_sync(account_id=ad_account.pk, workspace_id=ad_account.workspace_id)
    assert (result.outcome, result.campaigns, result.ad_sets, result.ads) == ("ok", 2, 2, 2)
    state = AdAccountState.objects.get(account=ad_account)
    assert (state.currency, state.sync_status, state.campaigns_seen) == ("IDR", SyncStatus.OK, 2)
    campaign = AdCampaign.objects.get(external_id=running["id"])
    assert campaign.origin == Origin.PLATFORM and campaign.push_state == PushState.SYNCED
    assert (campaign.status, campaign.platform_status, campaign.daily_budget, campaign.currency) == (
        "ACTIVE",
        "ACTIVE",
        200000,
        "IDR",
    )
    assert campaign.business_unit_id == ad_account.business_unit_id
    ad_set = AdSet.objects.get(campaign=campaign)
    assert ad_set.countries == ["ID"]
    mirrored = Ad.objects.get(external_id=ad["id"])
    assert mirrored.creative == {"primary_text": "Kopi, fresh", "link": "https://shop.example.com/"}
    assert mirrored.effective_object_story_id == creative["effective_object_story_id"]
    assert AdCampaign.objects.get(external_id=stopped["id"]).status == "PAUSED"


def test_syncing_again_updates_in_place_and_follows_the_platform(ad_account, graph):
    running, *_ = _seed(graph)
    ad_account_sync(account_id=ad_account.pk, workspace_id=ad_account.workspace_id)
    graph.objects[running["id"]]["status"] = "PAUSED"  # paused in Ads Manager
    ad_account_sync(account_id=ad_account.pk, workspace_id=ad_account.workspace_id)
    assert AdCampaign.objects.count() == 2 and AdSet.objects.count() == 2 and Ad.objects.count() == 2
    assert AdCampaign.objects.get(external_id=running["id"]).status == "PAUSED"


def test_an_object_we_created_but_never_recorded_is_adopted_by_its_reference(build_campaign, graph):
    campaign = build_campaign()
    # A worker created it on the platform, then died before recording the id.
    made = graph.add_campaign(f"Summer sale [{campaign.external_ref}]", status="ACTIVE", daily_budget=5000)
    ad_account_sync(account_id=campaign.account_id, workspace_id=campaign.workspace_id)
    campaign.refresh_from_db()
    assert campaign.external_id == made["id"]
    assert AdCampaign.objects.count() == 1


def test_a_throttled_sync_records_when_to_try_again(ad_account, graph):
    graph.rate_limit_reset = 30
    graph.fail_next(code=17)
    assert (
        ad_account_sync(account_id=ad_account.pk, workspace_id=ad_account.workspace_id).outcome
        == "rate_limited"
    )
    state = AdAccountState.objects.get(account=ad_account)
    assert state.sync_status == SyncStatus.RATE_LIMITED and "User request limit" in state.error_text
    assert state.rate_limited_until is not None


def test_a_revoked_token_stops_syncing_until_reauthorised(ad_account, graph):
    graph.token = "rotated"
    assert (
        ad_account_sync(account_id=ad_account.pk, workspace_id=ad_account.workspace_id).outcome
        == "needs_reauth"
    )
    assert ad_account.pk not in accounts_due_for_sync()


def test_a_just_connected_account_is_due_at_once_and_not_after_its_sync(ad_account):
    assert ad_account.pk in accounts_due_for_sync()
    ad_account_sync(account_id=ad_account.pk, workspace_id=ad_account.workspace_id)
    assert ad_account.pk not in accounts_due_for_sync()


def test_connecting_over_the_accounts_api_takes_the_channel_shape(api, admin, graph):
    response = api(admin).post(
        "/api/v1/accounts/",
        {
            "platform": "meta_ads",
            "handle": "act_1001",
            "base_url": graph.base_url,
            "credentials": {"access_token": "stub-graph-token"},
            "options": {"page_id": graph.page_id},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["id"] in accounts_due_for_sync()
    refused = api(admin).post(
        "/api/v1/accounts/", {"platform": "meta_ads", "handle": "shop", "credentials": {}}, format="json"
    )
    assert refused.status_code == 400
    assert set(refused.json()["fields"]) >= {"handle", "credentials"}
