""" "Refresh insights now": the button hands the pull to the workers, which read the day's numbers
from the platform, and the page shows when insights were last read."""

from __future__ import annotations

import time

import pytest

from ads.models import AdAccountState, AdCampaign, AdInsight
from cxm.audit.models import AuditEntry
from cxm.tenancy.models import Role
from tests.ads import test_insights
from tests.ads.stubs.graph_server import days_ago

live_ad = test_insights.live_ad  # the fixture of the insights tests


def _wait_for_insights(timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while not AdInsight.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    return AdInsight.objects.count()


@pytest.mark.worker
def test_refresh_insights_now_pulls_them_through_a_worker(
    celery_worker_process, client, marketer, ad_account, graph, live_ad
):
    graph.add_insight(live_ad["id"], days_ago(1), impressions=900, clicks=30, spend="120000")
    client.force_login(marketer.user)
    assert "Refresh insights now" in client.get("/ads/insights/").content.decode()

    answer = client.post("/ads/insights/refresh/", follow=True)

    assert "Refreshing insights of 1 ad accounts" in answer.content.decode()
    assert _wait_for_insights() == 1
    assert AdInsight.objects.get().spend == 120000
    state = AdAccountState.objects.get(account=ad_account)
    assert state.insights_synced_at is not None
    assert AuditEntry.objects.filter(action="ads.insights_refresh", actor=marketer.user).exists()
    assert "Not yet" not in client.get("/ads/insights/").content.decode()


@pytest.mark.django_db
def test_refresh_from_a_campaign_page_hands_out_only_its_account(
    client, marketer, ad_account, live_ad, django_capture_on_commit_callbacks
):
    campaign = AdCampaign.objects.get(account=ad_account)
    client.force_login(marketer.user)
    with django_capture_on_commit_callbacks() as callbacks:
        answer = client.post("/ads/insights/refresh/", {"campaign": campaign.pk})

    assert answer.status_code == 302 and answer["Location"] == f"/ads/campaigns/{campaign.pk}/"
    assert len(callbacks) == 1
    entry = AuditEntry.objects.get(action="ads.insights_refresh")
    assert entry.after == {"accounts": [ad_account.pk]}


@pytest.mark.django_db
def test_an_analyst_sees_no_refresh_button_and_cannot_refresh(
    client, member, workspace_a, ad_account, live_ad
):
    client.force_login(member(workspace_a, Role.ANALYST).user)

    assert "Refresh insights now" not in client.get("/ads/insights/").content.decode()
    assert client.post("/ads/insights/refresh/").status_code == 403
