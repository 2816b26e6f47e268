"""The ads API: accounts, campaigns, ad sets, ads, launch, insights, and the pause's stops."""

from __future__ import annotations

import pytest

from ads.models import AdCampaign, CampaignStop, PushState
from ads.services import campaign_push, insights_pull, stops_process
from cxm.tenancy.models import Role
from tests.ads.stubs.graph_server import days_ago

pytestmark = pytest.mark.django_db

CREATIVE = {
    "primary_text": "Kopi, fresh from Aceh",
    "headline": "Kopi Nusantara",
    "call_to_action": "SHOP_NOW",
    "link": "https://shop.example.com/kopi",
}


def _build(client, account_id, **campaign):
    body = {"account": account_id, "name": "Ramadan", "currency": "IDR", "daily_budget": 150000, **campaign}
    created = client.post("/api/v1/ads/campaigns/", body, format="json")
    assert created.status_code == 201, created.json()
    campaign_id = created.json()["id"]
    ad_set = client.post(
        "/api/v1/ads/adsets/",
        {
            "campaign": campaign_id,
            "name": "Jakarta",
            "countries": ["ID"],
            "languages": ["id"],
            "age_min": 18,
            "age_max": 34,
        },
        format="json",
    )
    assert ad_set.status_code == 201, ad_set.json()
    ad = client.post(
        "/api/v1/ads/ads/",
        {
            "ad_set": ad_set.json()["id"],
            "name": "Variant A",
            "variant_key": "city=Jakarta",
            "creative": CREATIVE,
        },
        format="json",
    )
    assert ad.status_code == 201, ad.json()
    return created.json(), ad_set.json(), ad.json()


def test_ad_accounts_list_their_sync_state(api, marketer, synced_account, graph):
    response = api(marketer).get("/api/v1/ads/accounts/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["handle"] == "act_1001"
    assert row["sync"]["status"] == "ok" and row["sync"]["currency"] == "USD"
    sync = api(marketer).post(f"/api/v1/ads/accounts/{row['id']}/sync/")
    assert sync.status_code == 202


def test_a_campaign_is_built_with_budgets_in_minor_units(api, marketer, synced_account):
    campaign, ad_set, ad = _build(api(marketer), synced_account.pk)
    assert campaign["daily_budget"] == 150000 and campaign["daily_budget_display"] == "150000"
    assert campaign["push_state"] == "draft" and campaign["external_ref"].startswith("cxm-c-")
    assert ad_set["currency"] == "IDR" and ad_set["countries"] == ["ID"]
    assert ad["creative"]["headline"] == "Kopi Nusantara" and ad["campaign"] == campaign["id"]
    usd = api(marketer).post(
        "/api/v1/ads/campaigns/",
        {"account": synced_account.pk, "name": "US", "currency": "USD", "daily_budget": 2500},
        format="json",
    )
    assert usd.json()["daily_budget_display"] == "25.00"


def test_bad_input_names_the_field(api, marketer, synced_account):
    client = api(marketer)
    both = client.post(
        "/api/v1/ads/campaigns/",
        {"account": synced_account.pk, "name": "x", "daily_budget": 100, "lifetime_budget": 100},
        format="json",
    )
    assert both.status_code == 400 and "lifetime_budget" in both.json()["fields"]
    fractional = client.post(
        "/api/v1/ads/campaigns/",
        {"account": synced_account.pk, "name": "x", "daily_budget": 12.5},
        format="json",
    )
    assert fractional.status_code == 400 and "daily_budget" in fractional.json()["fields"]
    campaign, _, _ = _build(client, synced_account.pk)
    no_link = client.post(
        "/api/v1/ads/ads/",
        {"ad_set": campaign["id"], "name": "x", "creative": {"primary_text": "hi"}},
        format="json",
    )
    assert no_link.status_code == 400


def test_launch_answers_at_once_and_workers_put_it_on_the_platform(api, marketer, synced_account, graph):
    client = api(marketer)
    campaign, _, _ = _build(client, synced_account.pk)
    launched = client.post(f"/api/v1/ads/campaigns/{campaign['id']}/launch/")
    assert launched.status_code == 202 and launched.json()["push_state"] == "queued"
    campaign_push(campaign_id=campaign["id"], workspace_id=synced_account.workspace_id)
    shown = client.get(f"/api/v1/ads/campaigns/{campaign['id']}/").json()
    assert shown["push_state"] == "synced" and shown["platform_status"] == "ACTIVE"
    assert graph.objects[shown["external_id"]]["daily_budget"] == "150000"
    paused = client.post(f"/api/v1/ads/campaigns/{campaign['id']}/pause/")
    assert paused.json()["status"] == "PAUSED" and paused.json()["push_state"] == "queued"
    campaign_push(campaign_id=campaign["id"], workspace_id=synced_account.workspace_id)
    assert graph.status_of(shown["external_id"]) == "PAUSED"


def test_a_launch_during_a_pause_shows_held(api, marketer, admin, synced_account, graph):
    client = api(marketer)
    campaign, _, _ = _build(client, synced_account.pk)
    assert (
        api(admin).post("/api/v1/publishing/pause/", {"reason": "crisis"}, format="json").status_code == 201
    )
    client.post(f"/api/v1/ads/campaigns/{campaign['id']}/launch/")
    campaign_push(campaign_id=campaign["id"], workspace_id=synced_account.workspace_id)
    shown = client.get(f"/api/v1/ads/campaigns/{campaign['id']}/").json()
    assert shown["push_state"] == "held" and shown["held_by_pause"] is not None
    assert not graph.created("campaign")


def test_insights_carry_exact_metrics_and_a_summary(api, marketer, synced_account, graph):
    client = api(marketer)
    campaign, _, ad = _build(client, synced_account.pk, currency="USD", daily_budget=2500)
    client.post(f"/api/v1/ads/campaigns/{campaign['id']}/launch/")
    campaign_push(campaign_id=campaign["id"], workspace_id=synced_account.workspace_id)
    ad_id = client.get(f"/api/v1/ads/ads/{ad['id']}/").json()["external_id"]
    graph.add_insight(
        ad_id,
        days_ago(1),
        impressions=2000,
        reach=1500,
        clicks=30,
        spend="12.34",
        purchases=2,
        purchase_value="49.90",
    )
    graph.add_insight(
        ad_id,
        days_ago(0),
        impressions=1000,
        reach=900,
        clicks=15,
        spend="6.17",
        purchases=1,
        purchase_value="24.95",
    )
    workspace_id = synced_account.workspace_id
    assert insights_pull(account_id=synced_account.pk, workspace_id=workspace_id).stored == 2
    assert (
        insights_pull(account_id=synced_account.pk, workspace_id=workspace_id).stored == 2
    )  # updated in place
    rows = client.get(f"/api/v1/ads/insights/?campaign={campaign['id']}").json()["results"]
    assert len(rows) == 2
    day = next(r for r in rows if r["date"] == days_ago(1).isoformat())
    assert (day["spend"], day["spend_display"], day["conversion_value"]) == (1234, "12.34", 4990)
    assert (day["ctr"], day["cpc"], day["cpm"], day["cpa"], day["roas"]) == (
        "1.5000",
        "0.4113",
        "6.1700",
        "6.1700",
        "4.0438",
    )
    summary = client.get(f"/api/v1/ads/insights/summary/?group_by=campaign&campaign={campaign['id']}").json()
    [total] = summary["rows"]
    assert (total["impressions"], total["spend"], total["conversions"], total["conversion_value"]) == (
        3000,
        1851,
        3,
        7485,
    )
    assert (total["ctr"], total["roas"], total["spend_display"]) == ("1.5000", "4.0438", "18.51")
    by_date = client.get(
        f"/api/v1/ads/insights/summary/?group_by=date&date_from={days_ago(0).isoformat()}"
    ).json()
    assert [r["key"] for r in by_date["rows"]] == [days_ago(0).isoformat()]
    assert client.get("/api/v1/ads/insights/summary/?group_by=planet").status_code == 400


def test_pause_body_stop_running_ads_stops_them_and_the_stops_are_listed(
    api, admin, marketer, ad_account, graph
):
    from ads.services import ad_account_sync

    running = graph.add_campaign("Always on", status="ACTIVE")
    graph.add_campaign("Old", status="PAUSED")
    ad_account_sync(account_id=ad_account.pk, workspace_id=ad_account.workspace_id)
    response = api(admin).post(
        "/api/v1/publishing/pause/", {"reason": "crisis", "stop_running_ads": True}, format="json"
    )
    assert response.status_code == 201
    pause_id = response.json()["pauses"][0]["id"]
    stops_process(pause_id=pause_id, workspace_id=ad_account.workspace_id)
    assert graph.status_of(running["id"]) == "PAUSED"
    listed = api(marketer).get(f"/api/v1/ads/stops/?pause={pause_id}").json()["results"]
    assert [(s["campaign_external_id"], s["state"]) for s in listed] == [(running["id"], "stopped")]
    assert api(admin).post("/api/v1/publishing/resume/", {}, format="json").status_code == 200
    assert CampaignStop.objects.get().state == "restoring"


def test_roles_read_and_manage_ads_as_the_permission_table_says(api, member, workspace_a, synced_account):
    analyst, agent = member(workspace_a, Role.ANALYST), member(workspace_a, Role.AGENT)
    body = {"account": synced_account.pk, "name": "x", "daily_budget": 100}
    assert api(analyst).get("/api/v1/ads/campaigns/").status_code == 200
    assert api(analyst).post("/api/v1/ads/campaigns/", body, format="json").status_code == 403
    assert api(agent).get("/api/v1/ads/campaigns/").status_code == 403
    assert api(agent).get("/api/v1/ads/insights/").status_code == 403
    approver = member(workspace_a, Role.APPROVER)
    assert api(approver).post(f"/api/v1/ads/accounts/{synced_account.pk}/sync/").status_code == 403


def test_another_workspaces_campaign_answers_404(
    api, member, workspace_b, make_ad_account, graph, synced_account, marketer
):
    from ads.services import campaign_create

    foreign_account = make_ad_account(graph, workspace=workspace_b)
    foreign = campaign_create(
        workspace=workspace_b, account=foreign_account, name="Globex", currency="USD", daily_budget=100
    )
    client = api(marketer)
    for method, url in [
        ("get", f"/api/v1/ads/campaigns/{foreign.pk}/"),
        ("patch", f"/api/v1/ads/campaigns/{foreign.pk}/"),
        ("post", f"/api/v1/ads/campaigns/{foreign.pk}/launch/"),
        ("post", f"/api/v1/ads/campaigns/{foreign.pk}/pause/"),
        ("get", f"/api/v1/ads/accounts/{foreign_account.pk}/"),
    ]:
        assert getattr(client, method)(url, {"name": "taken"}, format="json").status_code == 404
    # Nor can an ad account of another workspace be used.
    stolen = client.post(
        "/api/v1/ads/campaigns/",
        {"account": foreign_account.pk, "name": "x", "daily_budget": 100},
        format="json",
    )
    assert stolen.status_code == 400
    assert AdCampaign.objects.get(pk=foreign.pk).name == "Globex"
    assert AdCampaign.objects.get(pk=foreign.pk).push_state == PushState.DRAFT
