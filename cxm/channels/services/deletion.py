"""Taking something an account published back off its platform: a post (the connector's `delete`)
or one of its own comments or replies (`comment_delete`), in one call through the account's
connector, and what came of it.

Publishing's take-down and care's "delete our reply" share this. Each keeps its own record of the
request (a row whose fields `DeletionFields` names) and claims it (`SELECT ... FOR UPDATE SKIP
LOCKED`) around `deletion_attempt`, which asks the platform (`platform_delete`) and writes the
result onto the row, so the platform is asked once per attempt and never again once it said yes.
What an attempt comes to:

- `deleted`: the platform confirmed it, or answered that the object is not there (`Gone`: HTTP
  404, Graph's code 100 with subcode 33). Someone removed it already, or an earlier attempt whose
  answer was lost did: either way it is gone, which is what was asked.
- `not_allowed`: the platform lets no account delete this (Instagram media).
- `retry`: a rate limit (the account is marked throttled until the platform's time, as every call
  does) or a transient failure; try again after `retry_in` seconds. An account already throttled
  is not called at all (`called` is False: no attempt spent).
- `failed`: refused for good, the account needs re-authorisation, or transient failures past the
  policy's attempts; `reason` says which, in the platform's words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone, translation

from cxm.channels.connectors import deleter
from cxm.channels.connectors.base import ConnectorError, Gone, NotSupported, RateLimited
from cxm.channels.models import AccountStatus, ChannelAccount, DeletionStatus
from cxm.channels.retry import EXHAUSTED, RetryPolicy, retry_decision
from cxm.channels.services.accounts import account_connector
from cxm.channels.services.health import account_throttle, account_throttle_lift

RETRY = "retry"
# What a caller answers without asking the platform: its record is not due yet, or not (any
# more) its to delete (done, or another worker holds it).
NOT_DUE = "not-due"
SKIPPED = "skipped"
FINAL = (DeletionStatus.DELETED, DeletionStatus.NOT_ALLOWED, DeletionStatus.FAILED)
MAX_ATTEMPTS = 8
# A rate limit delays a deletion however often it comes; only other failures use up attempts.
DELETE_RETRY = RetryPolicy(base=10.0, cap=300.0, max_attempts=MAX_ATTEMPTS, rate_limits_give_up=False)


@dataclass(frozen=True)
class DeletionResult:
    outcome: str  # DeletionStatus.DELETED, NOT_ALLOWED or FAILED; RETRY; a caller's NOT_DUE, SKIPPED
    reason: str = ""
    retry_in: float | None = None
    called: bool = True  # whether the platform was asked (an attempt spent)
    already_gone: bool = False  # the platform said it was not there

    @property
    def final(self) -> bool:
        return self.outcome in FINAL


def platform_delete(
    *,
    account: ChannelAccount,
    external_id: str,
    what: str = "post",
    attempts: int,
    connector_factory: Callable[[ChannelAccount], object] | None = None,
    now: datetime | None = None,
    policy: RetryPolicy = DELETE_RETRY,
) -> DeletionResult:
    """Delete `external_id` (a "post" or a "comment") as `account`; `attempts` counts this one."""
    now = now or timezone.now()
    if account.status == AccountStatus.NEEDS_REAUTH:
        return DeletionResult(
            DeletionStatus.FAILED,
            "The account needs re-authorisation; reconnect it and try again.",
            called=False,
        )
    until = account.throttled_until(now)
    if until is not None:
        # The platform throttles the account: wait for it without calling or spending an attempt.
        return DeletionResult(
            RETRY, "The account is rate limited.", retry_in=(until - now).total_seconds(), called=False
        )
    connector = (connector_factory or account_connector)(account)
    delete = deleter(connector, what)
    if delete is None:
        return DeletionResult(DeletionStatus.NOT_ALLOWED, not_allowed_reason(account, what), called=False)
    try:
        delete(str(external_id))
    except Gone as exc:
        account_throttle_lift(account=account)
        return DeletionResult(DeletionStatus.DELETED, str(exc), already_gone=True)
    except NotSupported as exc:
        return DeletionResult(DeletionStatus.NOT_ALLOWED, str(exc))
    except ConnectorError as exc:
        if isinstance(exc, RateLimited) and exc.account_wide:
            account_throttle(
                account_id=account.pk, until=now + timedelta(seconds=exc.retry_after), reason=str(exc)
            )
        decision = retry_decision(exc, attempts, policy)
        if not decision.retry:
            reason = str(exc)
            if decision.reason == EXHAUSTED:
                reason = f"Gave up after {attempts} attempts: {exc}"
            return DeletionResult(DeletionStatus.FAILED, reason[:2000])
        return DeletionResult(RETRY, str(exc)[:2000], retry_in=decision.after)
    account_throttle_lift(account=account)
    return DeletionResult(DeletionStatus.DELETED)


@dataclass(frozen=True)
class DeletionFields:
    """Where a row keeps its deletion: the names of its status (a DeletionStatus), error, attempts,
    when the next attempt is due, and when the platform confirmed."""

    status: str
    error: str
    attempts: str
    due_at: str
    done_at: str


EARLY_TOLERANCE = timedelta(seconds=5)


def deletion_attempt(
    row: Any,
    *,
    fields: DeletionFields,
    account: ChannelAccount | None,
    external_id: str,
    what: str,
    connector_factory: Callable[[ChannelAccount], object] | None = None,
    now: datetime | None = None,
) -> DeletionResult:
    """One attempt on a requested row the caller has claimed (locked, in its transaction): unless
    it is not due yet, ask the platform and save what came of it onto the row."""
    now = now or timezone.now()
    due = getattr(row, fields.due_at)
    if due is not None and due > now + EARLY_TOLERANCE:
        return DeletionResult(NOT_DUE, retry_in=(due - now).total_seconds(), called=False)
    if account is None:
        result = DeletionResult(DeletionStatus.FAILED, "The channel account was removed.", called=False)
    else:
        result = platform_delete(
            account=account,
            external_id=external_id,
            what=what,
            attempts=getattr(row, fields.attempts) + 1,
            connector_factory=connector_factory,
            now=now,
        )
    setattr(row, fields.attempts, getattr(row, fields.attempts) + int(result.called))
    setattr(row, fields.error, "" if result.outcome == DeletionStatus.DELETED else result.reason)
    if result.final:
        setattr(row, fields.status, result.outcome)
        setattr(row, fields.done_at, timezone.now() if result.outcome == DeletionStatus.DELETED else None)
    else:
        setattr(row, fields.due_at, now + timedelta(seconds=result.retry_in or 0))
    row.save(update_fields=[fields.status, fields.error, fields.attempts, fields.due_at, fields.done_at])
    return result


def not_allowed_reason(account: ChannelAccount, what: str) -> str:
    """Why the account cannot delete a `what` there, in English like the platforms' own reasons
    that are stored beside it (the pages say "Not allowed on <platform>" in the reader's language)."""
    thing = "posts" if what == "post" else "comments"
    with translation.override("en"):
        platform = str(account.get_platform_display())
    return f"{platform} does not let an account delete its {thing} through its API."
