"""Each ads task acts only inside the workspace it is given: handed another workspace's object id,
it finds nothing and leaves that object, and its platform, untouched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ads import tasks
from ads.models import AdAccountState, AdCampaign, AdInsight, CampaignStop, Feed, PushState, StopState
from ads.services import ad_account_sync, campaign_launch, feed_create_from_url
from publishing.services import pause_activate
from tests.ads.stubs.graph_server import days_ago
from tests.channels.stubs.feed_server import FeedServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def their_account(make_ad_account, graph, workspace_b):
    """Workspace B's ad account, on the platform the tests watch."""
    return make_ad_account(graph, workspace=workspace_b)


def _writes(graph) -> list:
    return [call for call in graph.calls if call.is_write]


def test_a_push_for_workspace_a_leaves_workspace_bs_campaign_unsent(
    workspace_a, their_account, build_campaign, graph
):
    ad_account_sync(account_id=their_account.pk, workspace_id=their_account.workspace_id)
    theirs = campaign_launch(campaign=build_campaign(account=their_account))

    assert tasks.campaign_push(campaign_id=theirs.pk, workspace_id=workspace_a.pk) == {}
    assert AdCampaign.objects.get(pk=theirs.pk).push_state == PushState.QUEUED
    assert not graph.created("campaign") and not _writes(graph)
    # The same task for its own workspace sends it.
    tasks.campaign_push(campaign_id=theirs.pk, workspace_id=theirs.workspace_id)
    assert len(graph.created("campaign")) == 1


def test_stops_for_workspace_a_leave_workspace_bs_running_ads_running(
    workspace_a, workspace_b, their_account, graph
):
    running = graph.add_campaign("Always on", status="ACTIVE", daily_budget=1000)
    ad_account_sync(account_id=their_account.pk, workspace_id=workspace_b.pk)
    pause = pause_activate(workspace=workspace_b, reason="Their crisis", stop_running_ads=True)

    assert tasks.stops_process(pause_id=pause.pk, workspace_id=workspace_a.pk) == {}
    assert graph.status_of(running["id"]) == "ACTIVE" and not _writes(graph)
    assert CampaignStop.objects.get(pause=pause).state == StopState.PENDING
    tasks.stops_process(pause_id=pause.pk, workspace_id=workspace_b.pk)
    assert graph.status_of(running["id"]) == "PAUSED"


def test_an_account_sync_for_workspace_a_does_not_read_workspace_bs_account(
    workspace_a, their_account, graph
):
    graph.add_campaign("Always on", status="ACTIVE")

    assert tasks.account_sync(account_id=their_account.pk, workspace_id=workspace_a.pk) == "skipped"
    assert not graph.calls
    assert not AdAccountState.objects.filter(account=their_account).exists()
    assert not AdCampaign.objects.exists()
    assert tasks.account_sync(account_id=their_account.pk, workspace_id=their_account.workspace_id) == "ok"
    assert AdCampaign.objects.filter(workspace=their_account.workspace).count() == 1


def test_an_insights_pull_for_workspace_a_stores_nothing_of_workspace_bs_account(
    workspace_a, their_account, graph
):
    campaign = graph.add_campaign("Always on", status="ACTIVE", daily_budget=500000)
    ad = graph.add_ad(graph.add_adset(campaign, "Jakarta"), graph.add_creative("Kopi"), "Kopi ad")
    ad_account_sync(account_id=their_account.pk, workspace_id=their_account.workspace_id)
    graph.add_insight(ad["id"], days_ago(1), impressions=5000, clicks=80, spend="250000")
    calls_before = len(graph.calls)

    assert tasks.insights_pull(account_id=their_account.pk, workspace_id=workspace_a.pk) == "skipped"
    assert len(graph.calls) == calls_before and not AdInsight.objects.exists()
    assert tasks.insights_pull(account_id=their_account.pk, workspace_id=their_account.workspace_id) == "ok"
    assert AdInsight.objects.filter(workspace=their_account.workspace).count() == 1


def test_a_feed_refresh_for_workspace_a_does_not_fetch_workspace_bs_feed(settings, workspace_a, workspace_b):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the feed server listens on loopback
    with FeedServer() as host:
        host.set_document(
            "/beers.csv", "id,product,price,currency\n1,Lager,4.99,USD\n", content_type="text/csv"
        )
        feed = feed_create_from_url(workspace=workspace_b, name="Beers", url=host.url("/beers.csv"))
        Feed.objects.filter(pk=feed.pk).update(refreshed_at=timezone.now() - timedelta(days=1))
        host.set_document(
            "/beers.csv",
            "id,product,price,currency\n1,Lager,3.99,USD\n2,Stout,5.99,USD\n",
            content_type="text/csv",
        )
        fetched = len(host.requests)

        assert tasks.feed_refresh(feed_id=feed.pk, workspace_id=workspace_a.pk) == "skipped"
        assert len(host.requests) == fetched
        assert Feed.objects.get(pk=feed.pk).row_count == 1
        assert tasks.feed_refresh(feed_id=feed.pk, workspace_id=workspace_b.pk) == "ok"
        assert Feed.objects.get(pk=feed.pk).row_count == 2
