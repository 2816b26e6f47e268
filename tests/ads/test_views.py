"""The ads pages: campaigns with spend and ROAS, a campaign's insights, comments under ads."""

from __future__ import annotations

import pytest

from ads.comments import ad_comments_pull
from ads.services import campaign_create, insights_pull
from cxm.audit.models import AuditEntry
from cxm.tenancy.models import Role
from tests.ads import test_comments
from tests.ads.stubs.graph_server import days_ago

pytestmark = pytest.mark.django_db

BITTORRENT = test_comments.BITTORRENT


def test_the_campaign_list_shows_spend_and_roas(browsing, running_ad, graph):
    graph.add_insight(running_ad.external_id, days_ago(1), spend="100", purchases=2, purchase_value="250")
    insights_pull(account_id=running_ad.campaign.account_id, workspace_id=running_ad.workspace_id)

    page = browsing.get("/ads/")

    assert page.status_code == 200
    html = page.content.decode()
    assert running_ad.campaign.name in html and "2.5000" in html


def test_a_campaign_page_draws_its_insights_over_time(browsing, running_ad, graph):
    graph.add_insight(running_ad.external_id, days_ago(2), spend="10", purchases=1, purchase_value="30")
    graph.add_insight(running_ad.external_id, days_ago(1), spend="20", purchases=1, purchase_value="30")
    insights_pull(account_id=running_ad.campaign.account_id, workspace_id=running_ad.workspace_id)

    page = browsing.get(f"/ads/campaigns/{running_ad.campaign_id}/")

    assert page.status_code == 200
    assert page.context["chart"]["days"] == [days_ago(2).isoformat(), days_ago(1).isoformat()]
    assert b'id="insights-data"' in page.content and running_ad.name.encode() in page.content


def test_the_comments_page_lists_comments_with_sentiment_and_a_hide_button(browsing, running_ad, graph):
    graph.add_comment(running_ad.effective_object_story_id, BITTORRENT)
    ad_comments_pull(ad_id=running_ad.pk)

    page = browsing.get(f"/ads/comments/?campaign={running_ad.campaign_id}")

    html = page.content.decode()
    assert BITTORRENT in html and "sentiment-negative" in html and "Hide" in html
    assert page.context["stats"]["negative"] == 1


def test_hiding_from_the_comments_page_hides_on_the_platform(browsing, running_ad, graph):
    comment = graph.add_comment(running_ad.effective_object_story_id, BITTORRENT)
    ad_comments_pull(ad_id=running_ad.pk)
    mention_id = browsing.get("/ads/comments/").context["comments"][0]["id"]

    answer = browsing.post(f"/ads/ads/{running_ad.pk}/comments/{mention_id}/hide/", HTTP_HX_REQUEST="true")

    assert answer.status_code == 200 and b"Hidden" in answer.content
    assert graph.objects[comment["id"]]["is_hidden"] is True


def test_a_hide_meta_refuses_says_so_and_records_nothing(browsing, running_ad, graph, api, marketer):
    comment = graph.add_comment(running_ad.effective_object_story_id, BITTORRENT)
    ad_comments_pull(ad_id=running_ad.pk)
    mention_id = browsing.get("/ads/comments/").context["comments"][0]["id"]

    graph.fail_next(code=100, times=2)
    answer = browsing.post(f"/ads/ads/{running_ad.pk}/comments/{mention_id}/hide/", HTTP_HX_REQUEST="true")
    assert answer.status_code == 200 and b"Not hidden:" in answer.content
    assert b'class="hidden-label"' not in answer.content
    refused = api(marketer).post(f"/api/v1/ads/comments/{mention_id}/hide/")
    assert refused.status_code == 502 and refused.json()["code"] == "platform_error"
    assert graph.objects[comment["id"]]["is_hidden"] is False


def test_an_analyst_cannot_hide_comments(client, running_ad, graph, member):
    graph.add_comment(running_ad.effective_object_story_id, BITTORRENT)
    ad_comments_pull(ad_id=running_ad.pk)
    client.force_login(member(running_ad.workspace, Role.ANALYST).user)
    mention_id = client.get("/ads/comments/").context["comments"][0]["id"]

    assert client.post(f"/ads/ads/{running_ad.pk}/comments/{mention_id}/hide/").status_code == 403


def test_another_workspaces_campaign_answers_404(
    client, workspace_b, member, make_ad_account, graph, running_ad
):
    other = make_ad_account(graph, workspace=workspace_b, handle="act_other")
    theirs = campaign_create(
        workspace=workspace_b, account=other, name="Theirs", daily_budget=100, currency="USD"
    )
    client.force_login(member(running_ad.workspace, Role.MARKETER).user)

    assert client.get(f"/ads/campaigns/{theirs.pk}/").status_code == 404
    assert client.get(f"/ads/comments/?campaign={theirs.pk}").status_code == 404
    assert client.get("/ads/insights/").status_code == 200


def test_a_marketer_sets_the_comment_guard_from_the_campaign_page(browsing, running_ad):
    campaign = running_ad.campaign
    page = browsing.get(f"/ads/campaigns/{campaign.pk}/").content.decode()
    assert 'id="comment-guard"' in page

    saved = browsing.post(
        f"/ads/campaigns/{campaign.pk}/guard/",
        {
            "enabled": "on",
            "threshold": "3",
            "window_minutes": "30",
            "keywords": "bittorrent, refund",
            "notify": "care@example.com",
            "webhook_url": "",
        },
    )
    assert saved.status_code == 302
    campaign.refresh_from_db()
    assert campaign.comment_guard["enabled"] is True and campaign.comment_guard["threshold"] == 3
    assert campaign.comment_guard["keywords"] == ["bittorrent", "refund"]
    assert campaign.comment_guard["notify"] == ["care@example.com"]
    assert AuditEntry.objects.filter(action="ads.campaign_comment_guard").count() == 1

    bad = browsing.post(
        f"/ads/campaigns/{campaign.pk}/guard/",
        {"threshold": "3", "window_minutes": "30", "notify": "not-an-address"},
    )
    assert bad.status_code == 400 and "notify" in bad.content.decode()
    campaign.refresh_from_db()
    assert campaign.comment_guard["notify"] == ["care@example.com"]


def test_an_analyst_cannot_change_the_comment_guard(client, running_ad, member):
    client.force_login(member(running_ad.workspace, Role.ANALYST).user)
    answer = client.post(
        f"/ads/campaigns/{running_ad.campaign_id}/guard/",
        {"enabled": "on", "threshold": "1", "window_minutes": "5"},
    )
    assert answer.status_code == 403
    assert (
        'id="comment-guard"' not in client.get(f"/ads/campaigns/{running_ad.campaign_id}/").content.decode()
    )
