"""Polling an account: pages and cursor stored together, rate limits, auth failures and retries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from cxm.channels.connectors.base import AuthError, Author, FetchPage, Item, RateLimited, TransientError
from cxm.channels.models import AccountStatus, ChannelAccount
from cxm.channels.selectors import accounts_due_for_sync
from cxm.channels.services.sync import account_sync, accounts_schedule_due


def _item(n: int) -> Item:
    return Item(
        platform="mastodon",
        external_id=str(n),
        author=Author("1", "@ana@example.social"),
        text=f"item {n}",
        created_at=datetime(2026, 11, 20, 10, n % 60, tzinfo=UTC),
    )


class ScriptedConnector:
    """A connector whose platform holds items 1..total, served `page_size` at a time after the cursor;
    `faults` maps a call number to the exception that call raises."""

    def __init__(self, total: int, page_size: int = 3, faults: dict[int, Exception] | None = None):
        self.total, self.page_size, self.faults = total, page_size, faults or {}
        self.calls = 0

    def fetch(self, cursor):
        self.calls += 1
        if self.calls in self.faults:
            raise self.faults[self.calls]
        after = cursor.get("after", 0)
        upto = min(self.total, after + self.page_size)
        return FetchPage(
            items=[_item(n) for n in range(after + 1, upto + 1)],
            cursor={"after": upto},
            more=upto < self.total,
        )


@pytest.fixture
def account(workspace_a):
    return ChannelAccount.objects.create(
        workspace=workspace_a,
        platform="mastodon",
        handle="@brand@example.social",
        base_url="https://example.social",
        credentials={"access_token": "t"},
        next_sync_at=timezone.now(),
    )


def test_pages_are_stored_with_their_cursor_until_nothing_is_left(db, sink, account):
    result = account_sync(
        account_id=account.pk, workspace_id=account.workspace_id, connector=ScriptedConnector(total=8)
    )
    account.refresh_from_db()
    assert sink.external_ids == [str(n) for n in range(1, 9)]
    assert (result.pages, result.fetched, result.outcome) == (3, 8, "ok")
    assert account.sync_cursor == {"after": 8}
    assert account.items_received == 8
    assert account.status == AccountStatus.CONNECTED


def test_a_rate_limit_mid_sync_resumes_from_the_saved_cursor_with_nothing_twice(db, sink, account):
    limited = ScriptedConnector(total=9, faults={2: RateLimited("slow down", retry_after=30)})
    assert account_sync(
        account_id=account.pk, workspace_id=account.workspace_id, connector=limited
    ).outcome == ("rate_limited")
    account.refresh_from_db()
    assert account.status == AccountStatus.RATE_LIMITED
    assert account.sync_cursor == {"after": 3}
    assert 25 <= (account.next_sync_at - timezone.now()).total_seconds() <= 31
    assert account.pk not in [pk for pk, _ in accounts_due_for_sync()]

    account_sync(
        account_id=account.pk, workspace_id=account.workspace_id, connector=ScriptedConnector(total=9)
    )
    account.refresh_from_db()
    assert sink.external_ids == [str(n) for n in range(1, 10)]
    assert account.status == AccountStatus.CONNECTED


def test_an_auth_failure_marks_the_account_and_stops_polling(db, sink, account):
    failing = ScriptedConnector(
        total=3, faults={1: AuthError("not authorised (401): The access token is invalid")}
    )
    account_sync(account_id=account.pk, workspace_id=account.workspace_id, connector=failing)
    account.refresh_from_db()
    assert account.status == AccountStatus.NEEDS_REAUTH
    assert "access token is invalid" in account.error_text
    assert account.next_sync_at is None
    assert account.pk not in [pk for pk, _ in accounts_due_for_sync()]
    # a poll of a needs-re-auth account does not call the platform again
    again = ScriptedConnector(total=3)
    assert (
        account_sync(account_id=account.pk, workspace_id=account.workspace_id, connector=again).outcome
        == "skipped"
    )
    assert again.calls == 0


def test_transient_failures_back_off_and_then_surface_as_an_error(db, sink, account):
    for attempt in range(1, 6):
        connector = ScriptedConnector(total=1, faults={1: TransientError("platform error 502: bad gateway")})
        outcome = account_sync(
            account_id=account.pk, workspace_id=account.workspace_id, connector=connector
        ).outcome
        account.refresh_from_db()
        assert account.failure_count == attempt
        assert account.next_sync_at > timezone.now()
        assert outcome == ("error" if attempt == 5 else "retrying")
    assert account.status == AccountStatus.ERROR
    assert account.error_text == "platform error 502: bad gateway"
    # and a later success clears it
    account_sync(
        account_id=account.pk, workspace_id=account.workspace_id, connector=ScriptedConnector(total=1)
    )
    account.refresh_from_db()
    assert (account.status, account.failure_count, account.error_text) == (AccountStatus.CONNECTED, 0, "")


def test_when_storing_fails_the_cursor_does_not_move(db, sink, account):
    sink.fail_with = RuntimeError("database full")
    with pytest.raises(RuntimeError):
        account_sync(
            account_id=account.pk, workspace_id=account.workspace_id, connector=ScriptedConnector(total=3)
        )
    account.refresh_from_db()
    assert account.sync_cursor == {}
    assert account.items_received == 0


def test_a_paused_account_is_not_polled(db, sink, account):
    ChannelAccount.objects.filter(pk=account.pk).update(status=AccountStatus.PAUSED)
    assert account.pk not in [pk for pk, _ in accounts_due_for_sync()]
    connector = ScriptedConnector(total=3)
    assert account_sync(
        account_id=account.pk, workspace_id=account.workspace_id, connector=connector
    ).outcome == ("skipped")
    assert connector.calls == 0


def test_each_due_account_gets_its_own_task_and_is_not_enqueued_twice(db, workspace_a):
    accounts = [
        ChannelAccount.objects.create(
            workspace=workspace_a, platform="demo", handle=f"demo-{n}", next_sync_at=timezone.now()
        )
        for n in range(3)
    ]
    enqueued = []
    accounts_schedule_due(due=accounts_due_for_sync(), enqueue=lambda **kw: enqueued.append(kw))
    assert sorted(e["account_id"] for e in enqueued) == sorted(a.pk for a in accounts)
    assert all(e["workspace_id"] == workspace_a.pk for e in enqueued)
    assert accounts_due_for_sync() == []


def test_facebook_pages_and_instagram_accounts_are_polled_and_whatsapp_numbers_are_not(db, workspace_a):
    due = {
        platform: ChannelAccount.objects.create(
            workspace=workspace_a, platform=platform, handle="5550001", next_sync_at=timezone.now()
        ).pk
        for platform in ("facebook_page", "instagram", "whatsapp", "meta_ads")
    }
    polled = {pk for pk, _ in accounts_due_for_sync()}
    assert polled == {due["facebook_page"], due["instagram"]}


def test_a_sync_for_the_wrong_workspace_does_nothing(db, sink, account, workspace_b):
    connector = ScriptedConnector(total=3)
    assert (
        account_sync(account_id=account.pk, workspace_id=workspace_b.pk, connector=connector).outcome
        == "skipped"
    )
    assert connector.calls == 0
