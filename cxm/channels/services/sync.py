"""Reading accounts in: one sync fetches what is new since the saved cursor and hands it to the
sinks page by page; the scheduler enqueues the accounts that are due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from cxm.channels.connectors.base import (
    AuthError,
    ConnectorError,
    Item,
    PermanentError,
    RateLimited,
    TransientError,
)
from cxm.channels.models import AccountStatus, ChannelAccount
from cxm.channels.retry import retry_decision
from cxm.channels.services.accounts import account_connector
from cxm.channels.services.health import SYNC_RETRY, record_failure
from cxm.channels.sinks import InboundContext, deliver

MAX_PAGES_PER_SYNC = 10
FAILURES_BEFORE_ERROR = 5
SYNC_LOCK_SECONDS = 600


@dataclass
class SyncResult:
    account_id: int
    fetched: int = 0
    pages: int = 0
    outcome: str = "ok"  # ok, busy, skipped, rate_limited, needs_reauth, retrying, error


def account_sync(*, account_id: int, workspace_id: int, connector=None) -> SyncResult:
    """Fetch what is new since the saved cursor and hand it to the sinks, page by page.

    Each page's items and the cursor after it are committed together, so a crash or a rate
    limit in the middle resumes exactly where the last committed page ended.
    """
    result = SyncResult(account_id=account_id)
    lock = f"channels:sync-lock:{account_id}"
    if not cache.add(lock, "1", timeout=SYNC_LOCK_SECONDS):
        result.outcome = "busy"
        return result
    try:
        account = ChannelAccount.objects.filter(pk=account_id, workspace_id=workspace_id).first()
        if account is None or account.status in (AccountStatus.PAUSED, AccountStatus.NEEDS_REAUTH):
            result.outcome = "skipped"
            return result
        connector = connector or account_connector(account)
        cursor = dict(account.sync_cursor or {})
        try:
            for _ in range(MAX_PAGES_PER_SYNC):
                page = connector.fetch(cursor)
                _store_page(account, page.items, page.cursor)
                cursor = page.cursor
                result.fetched += len(page.items)
                result.pages += 1
                if not page.more:
                    break
        except RateLimited as exc:
            wait = retry_decision(exc, account.failure_count + 1, SYNC_RETRY).after
            until = timezone.now() + timedelta(seconds=wait)
            record_failure(
                account, AccountStatus.RATE_LIMITED, str(exc), next_sync=until, rate_limited_until=until
            )
            result.outcome = "rate_limited"
        except AuthError as exc:
            # No retry storm: polling stops until someone re-authorises the account.
            record_failure(account, AccountStatus.NEEDS_REAUTH, str(exc), next_sync=None)
            result.outcome = "needs_reauth"
        except TransientError as exc:
            account.refresh_from_db(fields=["failure_count", "status"])
            delay = retry_decision(exc, account.failure_count + 1, SYNC_RETRY).after
            failing = account.failure_count + 1 >= FAILURES_BEFORE_ERROR
            record_failure(
                account,
                AccountStatus.ERROR if failing else account.status,
                str(exc),
                next_sync=timezone.now() + timedelta(seconds=delay),
                count_failure=True,
            )
            result.outcome = "error" if failing else "retrying"
        except (PermanentError, ConnectorError) as exc:
            record_failure(
                account,
                AccountStatus.ERROR,
                str(exc),
                next_sync=timezone.now() + timedelta(seconds=account.sync_interval_seconds * 10),
            )
            result.outcome = "error"
        else:
            now = timezone.now()
            ChannelAccount.objects.filter(pk=account.pk).exclude(status=AccountStatus.PAUSED).update(
                status=AccountStatus.CONNECTED,
                error_text="",
                failure_count=0,
                rate_limited_until=None,
                last_synced_at=now,
                next_sync_at=now + timedelta(seconds=account.sync_interval_seconds),
            )
        return result
    finally:
        cache.delete(lock)


def inbound_context(account: ChannelAccount, source: str = "connector") -> InboundContext:
    return InboundContext(
        workspace_id=account.workspace_id,
        account_id=account.pk,
        platform=account.platform,
        brand_id=account.brand_id,
        business_unit_id=account.business_unit_id,
        country=account.country,
        language=account.language,
        source=source,
    )


@transaction.atomic
def _store_page(account: ChannelAccount, items: list[Item], cursor: dict[str, Any]) -> None:
    deliver(inbound_context(account), items)
    updates: dict[str, Any] = {"sync_cursor": cursor}
    if items:
        updates["items_received"] = account.items_received + len(items)
        updates["last_item_at"] = max(item.created_at for item in items)
        account.items_received += len(items)
    ChannelAccount.objects.filter(pk=account.pk).update(**updates)


def accounts_schedule_due(*, due: list[tuple[int, int]], enqueue) -> int:
    """Claim each due account by pushing its next sync time forward, then enqueue its sync, one
    task per account, so one slow account never holds up the others. The claim is conditional
    (still due, in the same UPDATE): of two schedulers that read the same due list, only one
    moves an account, and only that one enqueues it. Returns how many were claimed."""
    now = timezone.now()
    claimed = 0
    for account_id, workspace_id in due:
        won = ChannelAccount.objects.filter(pk=account_id, next_sync_at__lte=now).update(
            next_sync_at=now + timedelta(seconds=SYNC_LOCK_SECONDS)
        )
        if won:
            claimed += 1
            enqueue(account_id=account_id, workspace_id=workspace_id)
    return claimed
