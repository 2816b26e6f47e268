"""A product feed with a URL is fetched again on a schedule: new rows replace the old ones, bad
rows are listed as on an upload, and a failed fetch keeps the last good rows and says why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ads import tasks
from ads.models import Feed
from ads.services import feed_create_from_url, feed_refresh, feeds_refresh_due
from cxm.tenancy.models import Role
from tests.channels.stubs.feed_server import FeedServer

pytestmark = pytest.mark.django_db

CSV = "text/csv; charset=utf-8"
FIRST = "id,product,price,currency\n1,Lager,4.99,USD\n2,Stout,5.99,USD\n"
SECOND = "id,product,price,currency\n1,Lager,3.99,USD\n2,Stout,bad,USD\n3,Pilsner,4.50,USD\n"


@pytest.fixture
def host(settings):
    # The feed server listens on loopback, which feed fetches refuse unless allowed.
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    with FeedServer() as server:
        server.set_document("/beers.csv", FIRST, content_type=CSV)
        yield server


@pytest.fixture
def feed(workspace_a, host):
    return feed_create_from_url(workspace=workspace_a, name="Beers", url=host.url("/beers.csv"))


def _an_hour_passes(feed: Feed, *, minutes: int = 61) -> None:
    """Move the feed's last fetch (good or failed) back in time."""
    feed.refresh_from_db()
    earlier = timezone.now() - timedelta(minutes=minutes)
    errors = [{**error, "at": earlier.isoformat()} if "at" in error else error for error in feed.errors]
    Feed.objects.filter(pk=feed.pk).update(refreshed_at=earlier, errors=errors)


def _ids(feed: Feed) -> list[str]:
    return [row["id"] for row in feed.rows]


def test_a_url_feed_is_fetched_when_created(feed, host):
    assert (feed.source, feed.row_count, feed.error_count) == ("url", 2, 0)
    assert _ids(feed) == ["1", "2"] and feed.refreshed_at is not None


def test_a_feed_whose_first_fetch_fails_is_not_created(workspace_a, host):
    with pytest.raises(ValidationError) as raised:
        feed_create_from_url(workspace=workspace_a, name="Gone", url=host.url("/missing.csv"))
    assert "could not be fetched" in str(raised.value) and "404" in str(raised.value)
    assert not Feed.objects.exists()


def test_a_feed_is_due_again_after_the_interval(feed, settings):
    settings.CXM_ADS_FEED_REFRESH_MINUTES = 60
    assert feeds_refresh_due() == []
    _an_hour_passes(feed, minutes=30)
    assert feeds_refresh_due() == []
    _an_hour_passes(feed, minutes=61)
    assert feeds_refresh_due() == [(feed.pk, feed.workspace_id)]
    settings.CXM_ADS_FEED_REFRESH_MINUTES = 120
    assert feeds_refresh_due() == []


def test_the_refresh_replaces_the_rows_and_lists_bad_rows_like_an_upload(feed, host):
    host.set_document("/beers.csv", SECOND, content_type=CSV)
    _an_hour_passes(feed)

    assert feed_refresh(feed_id=feed.pk, workspace_id=feed.workspace_id).outcome == "ok"

    feed.refresh_from_db()
    assert _ids(feed) == ["1", "3"] and feed.rows[0]["values"]["price"] == "$3.99"
    assert feed.error_count == 1
    (error,) = feed.errors
    assert (error["index"], error["line"], error["field"]) == (2, 3, "price")
    assert feed.refreshed_at > timezone.now() - timedelta(minutes=1)


def test_a_feed_not_due_is_left_alone(feed, host):
    host.set_document("/beers.csv", SECOND, content_type=CSV)
    assert feed_refresh(feed_id=feed.pk, workspace_id=feed.workspace_id).outcome == "not_due"
    feed.refresh_from_db()
    assert _ids(feed) == ["1", "2"]


def test_a_failed_fetch_keeps_the_last_good_rows_and_records_why(feed, host):
    host.fail_next(503)
    _an_hour_passes(feed)

    result = feed_refresh(feed_id=feed.pk, workspace_id=feed.workspace_id)

    assert result.outcome == "failed" and "503" in result.error
    feed.refresh_from_db()
    assert _ids(feed) == ["1", "2"] and feed.row_count == 2
    failure = feed.errors[0]
    assert (failure["index"], failure["field"]) == (0, "url")
    assert "could not be fetched" in failure["reason"] and "kept" in failure["reason"]
    # It waits an interval before trying again, as after a good fetch.
    assert feeds_refresh_due() == []


def test_a_document_that_is_no_feed_any_more_keeps_the_last_good_rows(feed, host):
    host.set_document("/beers.csv", "product,price\nLager,4.99\n", content_type=CSV)
    _an_hour_passes(feed)

    assert feed_refresh(feed_id=feed.pk, workspace_id=feed.workspace_id).outcome == "failed"

    feed.refresh_from_db()
    assert _ids(feed) == ["1", "2"]
    assert "id: required column is missing" in feed.errors[0]["reason"]


def test_the_next_good_fetch_clears_the_failure(feed, host):
    host.fail_next(500)
    _an_hour_passes(feed)
    feed_refresh(feed_id=feed.pk, workspace_id=feed.workspace_id)
    host.set_document("/beers.csv", SECOND, content_type=CSV)
    _an_hour_passes(feed)

    assert feed_refresh(feed_id=feed.pk, workspace_id=feed.workspace_id).outcome == "ok"

    feed.refresh_from_db()
    assert [e["field"] for e in feed.errors] == ["price"]


def test_the_beat_task_refreshes_the_feeds_that_are_due(feed, host, workspace_a, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.feed_refresh, "delay", lambda **kwargs: queued.append(kwargs))
    uploaded = Feed.objects.create(workspace=workspace_a, name="Uploaded", content=FIRST)
    host.set_document("/beers.csv", SECOND, content_type=CSV)
    _an_hour_passes(feed)

    assert tasks.feeds_refresh() == 1
    assert queued == [{"feed_id": feed.pk, "workspace_id": workspace_a.pk}]
    assert tasks.feed_refresh(**queued[0]) == "ok"

    feed.refresh_from_db()
    assert _ids(feed) == ["1", "3"]
    assert [request.path for request in host.requests] == ["/beers.csv", "/beers.csv"]
    uploaded.refresh_from_db()
    assert uploaded.refreshed_at is None  # an uploaded CSV has nothing to fetch


def test_the_builder_shows_where_the_feed_comes_from_and_a_failed_fetch(
    client, feed, host, build_campaign, member, workspace_a
):
    host.fail_next(503)
    _an_hour_passes(feed)
    feed_refresh(feed_id=feed.pk, workspace_id=feed.workspace_id)
    client.force_login(member(workspace_a, Role.MARKETER).user)
    campaign = build_campaign()

    page = client.get(f"/ads/campaigns/{campaign.pk}/builder/?feed={feed.pk}").content.decode()

    assert f"Fetched from {host.url('/beers.csv')} on a schedule" in page
    assert "The feed could not be fetched" in page and "503" in page


def test_the_api_creates_a_url_feed_and_refuses_two_sources(api, marketer, host):
    client = api(marketer)
    created = client.post(
        "/api/v1/ads/feeds/", {"name": "Beers", "url": host.url("/beers.csv")}, format="json"
    )
    assert created.status_code == 201, created.content
    assert (created.json()["source"], created.json()["row_count"]) == ("url", 2)

    both = client.post(
        "/api/v1/ads/feeds/",
        {"name": "Twice", "url": host.url("/beers.csv"), "content": FIRST},
        format="json",
    )
    assert both.status_code == 400 and "one of file, content and url" in both.content.decode()
    gone = client.post("/api/v1/ads/feeds/", {"name": "Gone", "url": host.url("/missing.csv")}, format="json")
    assert gone.status_code == 400 and "could not be fetched" in gone.content.decode()
    assert Feed.objects.count() == 1


def test_the_builder_takes_a_feed_url(client, marketer, synced_account, host):
    from ads.services import campaign_create

    campaign = campaign_create(
        workspace=synced_account.workspace, account=synced_account, name="Beer launch", daily_budget=5000
    )
    client.force_login(marketer.user)
    page = client.post(
        f"/ads/campaigns/{campaign.pk}/builder/feed/",
        {"name": "Beers", "url": host.url("/beers.csv")},
        follow=True,
    )
    assert page.status_code == 200
    feed = Feed.objects.get()
    assert (feed.source, feed.row_count, feed.url) == ("url", 2, host.url("/beers.csv"))
    neither = client.post(f"/ads/campaigns/{campaign.pk}/builder/feed/", {"name": "Nothing"})
    assert neither.status_code == 400 and "one of the two" in neither.content.decode()
