"""YouTube's daily quota as the connector counts it: Google's units per call, per Google project,
the reserve polling never touches, the reset at midnight Pacific Time, Google's own quotaExceeded,
and what the account's tile says."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

import pytest

from cxm.channels.connectors.base import Outgoing, RateLimited
from cxm.channels.connectors.youtube import QuotaExceeded
from cxm.channels.connectors.youtube_quota import PACIFIC, QuotaUsedUp, YouTubeQuota
from cxm.channels.models import AccountStatus
from cxm.channels.services.sync import account_sync
from cxm.tenancy.models import Role
from tests.channels.youtube_helpers import ANA, NOON, OAT, Clock, connect, youtube_account


def project() -> str:
    return f"{uuid.uuid4().hex}.apps.googleusercontent.com"


def test_each_call_spends_googles_units(youtube, clock):
    top = youtube.add_comment("vid1", "Vegan?", at=NOON, author=ANA)
    youtube.add_video("Oat latte coffee", at=NOON - timedelta(hours=1), channel=("UCx", "Reviews"))
    connector = connect(youtube, clock, topics=[OAT])
    used = lambda: connector.quota.state().used  # noqa: E731

    connector.check()
    assert used() == 1  # channels.list
    cursor = connector.fetch({}).cursor
    assert used() == 2  # commentThreads.list
    clock.advance(hours=1)
    connector.fetch(cursor)
    assert used() == 2 + 1 + 100  # and search.list
    connector.reply(Outgoing(text="Yes!", idempotency_key="k", reply_to=top))
    assert used() == 103 + 1 + 1 + 50  # the comment, the replies under it, comments.insert
    connector.set_moderation_status(top, "published")
    assert used() == 155 + 50


def test_the_count_is_per_google_project(clock):
    shared = project()
    YouTubeQuota(shared, clock=clock).spend(40)
    assert YouTubeQuota(shared, clock=clock).state().used == 40
    assert YouTubeQuota(project(), clock=clock).state().used == 0


def test_polling_never_eats_the_reserve_replies_and_moderation_may(clock):
    quota = YouTubeQuota(project(), budget=1_000, reserve=100, clock=clock)
    quota.spend(900)
    with pytest.raises(QuotaUsedUp, match="100 units stay for replies"):
        quota.spend(1)
    quota.spend(50, reserved=True)
    quota.spend(50, reserved=True)
    with pytest.raises(QuotaUsedUp):
        quota.spend(1, reserved=True)
    assert quota.state().used == 1_000 and quota.state().left == 0


def test_an_account_whose_polling_share_is_spent_waits_for_the_reset_but_still_answers(
    youtube, clock, settings
):
    settings.CXM_YOUTUBE_DAILY_UNITS = 1_000
    settings.CXM_YOUTUBE_RESERVE_UNITS = 100
    top = youtube.add_comment("vid1", "Vegan?", at=NOON, author=ANA)
    connector = connect(youtube, clock)
    connector.quota.spend(900)

    with pytest.raises(RateLimited) as waiting:
        connector.fetch({})
    assert waiting.value.retry_after == pytest.approx(12 * 3600)
    assert youtube.calls("GET", "commentThreads") == []
    connector.reply(Outgoing(text="Yes, vegan!", idempotency_key="k", reply_to=top))
    assert len(youtube.replies(top)) == 1


def test_concurrent_workers_never_spend_past_the_budget(clock):
    quota_id = project()
    spent = []

    def worker():
        quota = YouTubeQuota(quota_id, budget=10, reserve=0, clock=clock)
        for _ in range(5):
            try:
                quota.spend(1)
            except QuotaUsedUp:
                continue
            spent.append(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(spent) == 10
    assert YouTubeQuota(quota_id, budget=10, reserve=0, clock=clock).state().used == 10


def test_the_count_starts_again_at_midnight_pacific_time():
    clock = Clock(datetime(2026, 11, 20, 23, 58, tzinfo=PACIFIC))
    quota = YouTubeQuota(project(), clock=clock)
    quota.spend(500)
    assert quota.seconds_until_reset() == 120

    clock.advance(minutes=3)

    assert quota.state().used == 0
    assert quota.seconds_until_reset() == 24 * 3600 - 60


def test_the_day_the_clocks_change_has_25_hours():
    clock = Clock(datetime(2026, 11, 1, 0, 0, tzinfo=PACIFIC))
    assert YouTubeQuota(project(), clock=clock).seconds_until_reset() == 25 * 3600


def test_googles_quota_exceeded_waits_for_the_reset_and_stops_every_worker_of_the_project(youtube, clock):
    youtube.quota_exceeded = True
    first = connect(youtube, clock)
    with pytest.raises(QuotaExceeded, match="exceeded your quota") as caught:
        first.fetch({})
    assert caught.value.retry_after == pytest.approx(12 * 3600)
    assert first.quota.state().left == 0
    calls = len(youtube.requests)

    with pytest.raises(QuotaUsedUp):
        connect(youtube, clock, account_id=2).check()
    assert len(youtube.requests) == calls  # nothing more was sent to Google


# --- through the sync and on the page --------------------------------------------------------------


@pytest.fixture
def account(db, workspace_a, youtube):
    return youtube_account(workspace_a, youtube)


def test_a_revoked_refresh_token_stops_polling_until_someone_reconnects(account, youtube):
    youtube.revoked = True
    assert account_sync(account_id=account.pk, workspace_id=account.workspace_id).outcome == "needs_reauth"
    account.refresh_from_db()
    assert account.status == AccountStatus.NEEDS_REAUTH and "invalid_grant" in account.error_text
    assert account.next_sync_at is None


def test_quota_exceeded_marks_the_account_rate_limited_until_the_reset(account, youtube):
    youtube.quota_exceeded = True
    assert account_sync(account_id=account.pk, workspace_id=account.workspace_id).outcome == "rate_limited"
    account.refresh_from_db()
    assert account.status == AccountStatus.RATE_LIMITED and account.rate_limited_until is not None


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("en", "YouTube quota: 8,450 of 10,000 units left today"),
        ("id", "Kuota YouTube: 8.450 dari 10.000 unit tersisa hari ini"),
    ],
)
def test_the_account_tile_shows_the_units_left_today(
    client, member, workspace_a, account, youtube, language, says
):
    YouTubeQuota(youtube.client_id).spend(1_550, reserved=True)
    admin = member(workspace_a, Role.ADMIN)
    client.force_login(admin.user)

    client.cookies["django_language"] = language
    page = client.get("/admin/accounts/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert says in page
