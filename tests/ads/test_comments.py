"""Comments under running ads become paid mentions in listening, linked to their ad."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ads.comments import ad_comment_hide, ad_comments_guard, ad_comments_pull, ad_comments_pull_all
from ads.models import Ad
from ads.services import ad_account_sync
from care.models import Message
from cxm.audit.models import AuditEntry
from listening import selectors as listening_selectors
from listening.ingest.context import forget_workspace_context
from listening.models import Mention
from tests.factories import BrandFactory

pytestmark = pytest.mark.django_db

BITTORRENT = "just download it from BitTorrent"


@pytest.fixture(autouse=True)
def _fresh_listening_context():
    forget_workspace_context()
    yield
    forget_workspace_context()


@pytest.fixture
def running_ad(ad_account, graph):
    campaign = graph.add_campaign("Always on", status="ACTIVE", daily_budget=200000)
    ad_set = graph.add_adset(campaign, "Jakarta 18-34")
    creative = graph.add_creative("Kopi creative", message="Kopi, fresh")
    remote = graph.add_ad(ad_set, creative, "Kopi ad")
    assert ad_account_sync(account_id=ad_account.pk, workspace_id=ad_account.workspace_id).outcome == "ok"
    ad = Ad.objects.select_related("campaign").get(external_id=remote["id"])
    brand = BrandFactory(workspace=ad.workspace, name="Kopi Nusantara")
    ad.campaign.brand = brand
    ad.campaign.save(update_fields=["brand"])
    return ad


def _comments_of(ad):
    return Mention.objects.filter(workspace_id=ad.workspace_id, raw__ad_id=ad.pk).order_by("created_at")


def test_pulled_comments_become_paid_mentions_linked_to_the_ad(running_ad, graph):
    graph.add_comment(running_ad.effective_object_story_id, BITTORRENT, author="Budi")
    graph.add_comment(running_ad.effective_object_story_id, "Love this coffee, great taste!", author="Sari")

    run = ad_comments_pull(ad_id=running_ad.pk)

    assert (run.pulled, run.accepted) == (2, 2)
    torrent, happy = _comments_of(running_ad)
    assert (torrent.media_type, torrent.kind, torrent.sentiment) == ("paid", "comment", "negative")
    assert happy.sentiment == "positive"
    assert torrent.raw["ad_id"] == running_ad.pk and torrent.raw["campaign_id"] == running_ad.campaign_id
    assert torrent.brand_id == running_ad.campaign.brand_id
    assert torrent.needs_answer and torrent.language == "en"


def test_pulling_again_adds_nothing_and_new_comments_follow_on(running_ad, graph, connector):
    post = running_ad.effective_object_story_id
    for n in range(5):
        graph.add_comment(post, f"Comment number {n} about the kopi")
    assert ad_comments_pull(ad_id=running_ad.pk, connector=connector).accepted == 5  # pages of 3

    again = ad_comments_pull(ad_id=running_ad.pk, connector=connector)
    assert again.accepted == 0 and again.pulled == 2  # only the last page is read again
    graph.add_comment(post, "One more about the kopi")
    assert ad_comments_pull_all().accepted == 1
    assert _comments_of(running_ad).count() == 6


def test_a_negative_comment_on_an_ad_opens_a_case(running_ad, graph):
    comment = graph.add_comment(running_ad.effective_object_story_id, BITTORRENT, author="Budi")

    ad_comments_pull(ad_id=running_ad.pk)

    message = Message.objects.get(workspace_id=running_ad.workspace_id, external_id=comment["id"])
    assert message.case_id is not None


def test_a_moderator_hides_a_comment_on_the_platform_too(running_ad, graph, marketer):
    comment = graph.add_comment(running_ad.effective_object_story_id, BITTORRENT)
    ad_comments_pull(ad_id=running_ad.pk)
    mention = _comments_of(running_ad).get()

    assert ad_comment_hide(
        workspace=running_ad.workspace, ad=running_ad, mention_id=mention.pk, by=marketer.user
    )

    assert graph.objects[comment["id"]]["is_hidden"] is True
    rows = listening_selectors.ad_comments(workspace_id=running_ad.workspace_id, ad_ids=[running_ad.pk])
    assert rows[0]["hidden"] is True
    assert not ad_comment_hide(workspace=running_ad.workspace, ad=running_ad, mention_id=mention.pk)


def test_ad_comment_stats_count_volume_negative_share_and_unanswered(running_ad, graph):
    graph.add_comment(running_ad.effective_object_story_id, BITTORRENT)
    graph.add_comment(running_ad.effective_object_story_id, "Love this coffee, great taste!")
    ad_comments_pull(ad_id=running_ad.pk)

    stats = listening_selectors.ad_comment_stats(workspace_id=running_ad.workspace_id, ad_ids=[running_ad.pk])

    assert stats[running_ad.pk] == {"comments": 2, "negative": 1, "negative_share": 0.5, "unanswered": 2}


def test_the_mentions_api_returns_the_ad_and_facets_paid_media(running_ad, graph, api, member):
    graph.add_comment(running_ad.effective_object_story_id, BITTORRENT)
    ad_comments_pull(ad_id=running_ad.pk)
    client = api(member(running_ad.workspace))

    body = client.get("/api/v1/mentions/?media_type=paid").json()

    assert [(m["media_type"], m["ad"]) for m in body["results"]] == [("paid", running_ad.pk)]
    assert {"value": "paid", "count": 1} in body["facets"]["media_type"]


def test_the_guard_pauses_an_ad_past_its_negative_threshold(running_ad, graph):
    post = running_ad.effective_object_story_id
    graph.add_comment(post, BITTORRENT)
    graph.add_comment(post, "Is this a scam? I want a refund")
    ad_comments_pull(ad_id=running_ad.pk)
    window = timedelta(hours=1)

    assert not ad_comments_guard(ad=running_ad, threshold=3, window=window)
    assert ad_comments_guard(ad=running_ad, threshold=2, window=window, keywords=["scam"])

    running_ad.refresh_from_db()
    assert running_ad.status == "PAUSED"
    assert AuditEntry.objects.filter(action="ads.ad_status", object_id=str(running_ad.pk)).exists()
