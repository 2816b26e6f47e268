"""An account's health: trying its credentials now, recording what a failed call said (status,
error, when to try again), and the platform throttling the account: whoever was refused with a
rate limit (a sync, a publish, a reply, a webhook's read-back) records it on the account, which
shows it and waits, and the next call that goes through clears it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from cxm.audit.services import audit_record
from cxm.channels.connectors.base import AuthError, ConnectorError, RateLimited
from cxm.channels.models import AccountStatus, ChannelAccount
from cxm.channels.retry import RetryPolicy, retry_decision
from cxm.channels.services.accounts import account_connector

# Polling never gives up on a platform that fails for a while: it waits longer, up to 30 minutes.
SYNC_RETRY = RetryPolicy(base=5.0, cap=1800.0)


@dataclass
class CheckResult:
    ok: bool
    message: str


def account_check(*, account: ChannelAccount, by=None, request=None) -> CheckResult:
    """Try the credentials now and record what the platform said."""
    try:
        identity = account_connector(account).check()
    except AuthError as exc:
        record_failure(account, AccountStatus.NEEDS_REAUTH, str(exc), next_sync=None)
        result = CheckResult(False, f"Needs re-authorisation: {exc}")
    except RateLimited as exc:
        wait = retry_decision(exc, account.failure_count + 1, SYNC_RETRY).after
        until = timezone.now() + timedelta(seconds=wait)
        record_failure(
            account, AccountStatus.RATE_LIMITED, str(exc), next_sync=until, rate_limited_until=until
        )
        result = CheckResult(False, f"Rate limited until {until:%H:%M:%S} UTC")
    except ConnectorError as exc:
        result = CheckResult(False, f"Could not connect: {exc}")
        ChannelAccount.objects.filter(pk=account.pk).update(error_text=str(exc)[:2000])
    else:
        ChannelAccount.objects.filter(pk=account.pk).exclude(status=AccountStatus.PAUSED).update(
            status=AccountStatus.CONNECTED, error_text="", failure_count=0
        )
        result = CheckResult(True, f"Connected as {identity}")
    audit_record(
        workspace=account.workspace,
        actor=by,
        action="account.check",
        target=account,
        after={"ok": result.ok, "message": result.message[:300]},
        request=request,
    )
    account.refresh_from_db()
    return result


def record_failure(
    account: ChannelAccount,
    status: str,
    message: str,
    *,
    next_sync: datetime | None,
    rate_limited_until: datetime | None = None,
    count_failure: bool = False,
) -> None:
    updates: dict[str, Any] = {"error_text": message[:2000], "next_sync_at": next_sync}
    if account.status != AccountStatus.PAUSED:
        updates["status"] = status
    if rate_limited_until is not None:
        updates["rate_limited_until"] = rate_limited_until
    if count_failure:
        updates["failure_count"] = account.failure_count + 1
    ChannelAccount.objects.filter(pk=account.pk).update(**updates)


def account_throttle(*, account_id: int, until: datetime, reason: str) -> None:
    """The platform throttles the account until `until` (or later, if it already said so): it
    shows as rate limited and polls, publishes and replies wait until then. A paused account, or
    one that needs re-authorisation, keeps its status."""
    ChannelAccount.objects.filter(pk=account_id).exclude(
        status__in=[AccountStatus.PAUSED, AccountStatus.NEEDS_REAUTH]
    ).update(
        status=AccountStatus.RATE_LIMITED,
        error_text=reason[:2000],
        rate_limited_until=Greatest(Coalesce(F("rate_limited_until"), Value(until)), Value(until)),
        next_sync_at=Greatest(Coalesce(F("next_sync_at"), Value(until)), Value(until)),
    )


def account_throttle_lift(*, account: ChannelAccount) -> None:
    """A call of the account went through: if it showed as rate limited, it is connected again."""
    if account.status != AccountStatus.RATE_LIMITED:
        return
    ChannelAccount.objects.filter(pk=account.pk, status=AccountStatus.RATE_LIMITED).update(
        status=AccountStatus.CONNECTED, error_text="", rate_limited_until=None, failure_count=0
    )
