"""Insights pulled per ad and day (or hour), in minor units, updated in place when Meta revises them."""

from __future__ import annotations

import pytest

from ads.models import Ad, AdAccountState, AdInsight
from ads.services import ad_account_sync, insights_pull
from tests.ads.stubs.graph_server import days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_ad(ad_account, graph):
    graph.currency = "IDR"
    campaign = graph.add_campaign("Always on", status="ACTIVE", daily_budget=500000)
    ad = graph.add_ad(graph.add_adset(campaign, "Jakarta"), graph.add_creative("Kopi"), "Kopi ad")
    ad_account_sync(account_id=ad_account.pk, workspace_id=ad_account.workspace_id)
    return ad


def test_daily_and_hourly_rows_are_stored_once_each(ad_account, graph, live_ad):
    graph.add_insight(
        live_ad["id"],
        days_ago(1),
        impressions=5000,
        reach=4000,
        clicks=80,
        spend="250000",
        purchases=4,
        purchase_value="1000000",
    )
    graph.add_insight(live_ad["id"], days_ago(1), hour=20, impressions=700, clicks=9, spend="31000.4")
    assert insights_pull(account_id=ad_account.pk, workspace_id=ad_account.workspace_id).stored == 1
    assert (
        insights_pull(
            account_id=ad_account.pk, workspace_id=ad_account.workspace_id, since=days_ago(1), hourly=True
        ).stored
        == 1
    )
    daily = AdInsight.objects.get(hour__isnull=True)
    assert (daily.spend, daily.conversions, daily.conversion_value, daily.currency) == (
        250000,
        4,
        1000000,
        "IDR",
    )
    assert daily.ad == Ad.objects.get(external_id=live_ad["id"]) and daily.campaign_id == daily.ad.campaign_id
    assert AdInsight.objects.get(hour=20).spend == 31000


def test_a_revised_day_is_updated_in_place(ad_account, graph, live_ad):
    graph.add_insight(live_ad["id"], days_ago(1), impressions=100, spend="1000")
    insights_pull(account_id=ad_account.pk, workspace_id=ad_account.workspace_id)
    graph.insight_rows[0]["spend"] = "1500"  # late attribution revises the day
    insights_pull(account_id=ad_account.pk, workspace_id=ad_account.workspace_id)
    assert list(AdInsight.objects.values_list("spend", flat=True)) == [1500]
    assert AdAccountState.objects.get(account=ad_account).insights_through is not None


def test_rows_of_ads_not_read_in_yet_wait_for_the_next_sync(ad_account, graph, live_ad):
    newer = graph.add_ad(graph.add_adset(graph.add_campaign("New"), "S"), graph.add_creative("C"), "New ad")
    graph.add_insight(newer["id"], days_ago(0), impressions=10, spend="10")
    result = insights_pull(account_id=ad_account.pk, workspace_id=ad_account.workspace_id)
    assert (result.rows, result.unknown_ads, result.stored) == (1, 1, 0)


def test_a_throttled_pull_keeps_what_it_read_and_says_so(ad_account, graph, live_ad):
    graph.fail_next(code=80004, path="insights")
    assert (
        insights_pull(account_id=ad_account.pk, workspace_id=ad_account.workspace_id).outcome
        == "rate_limited"
    )
    assert AdAccountState.objects.get(account=ad_account).insights_through is None
