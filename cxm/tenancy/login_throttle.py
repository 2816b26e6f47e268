"""Sign-in throttling: too many failed attempts lock an account, or a client address, for a while.

Failures are rows (`LoginFailure`), counted over sliding windows: at most
`CXM_LOGIN_FAILURES_PER_ACCOUNT` per username in `CXM_LOGIN_ACCOUNT_WINDOW_MINUTES`, and
`CXM_LOGIN_FAILURES_PER_IP` per address in `CXM_LOGIN_IP_WINDOW_MINUTES`. Rows rather than cache
counters so the limits hold across processes without Redis and roll back with a test's
transaction. A locked attempt is refused before the password is checked, so a guesser learns
nothing during the lock; a success clears the account's failures (not the address's).
The web sign-in, the two-factor step and the API token endpoint all go through here.

An attempt is counted as a failure *before* its password is checked (`login_attempt_claim`),
under a transaction-scoped advisory lock per username and per address that makes the check and
the count one step; the success that follows clears it. Checking first and counting after the
(slow) password hash would let every guess sent in parallel pass the check before any was counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from cxm.audit.services import audit_record, client_ip
from cxm.tenancy.models import LoginFailure


@dataclass(frozen=True)
class Lockout:
    scope: str  # "account" or "address"
    retry_after: int  # seconds until one more attempt is allowed

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    @property
    def message(self) -> str:
        return ngettext(
            "Too many failed sign-ins; try again in %(minutes)d minute.",
            "Too many failed sign-ins; try again in %(minutes)d minutes.",
            self.minutes,
        ) % {"minutes": self.minutes}


def _limits() -> list[tuple[str, int, timedelta]]:
    return [
        (
            "account",
            settings.CXM_LOGIN_FAILURES_PER_ACCOUNT,
            timedelta(minutes=settings.CXM_LOGIN_ACCOUNT_WINDOW_MINUTES),
        ),
        (
            "address",
            settings.CXM_LOGIN_FAILURES_PER_IP,
            timedelta(minutes=settings.CXM_LOGIN_IP_WINDOW_MINUTES),
        ),
    ]


def _normalise(username: str) -> str:
    return (username or "").strip().lower()[:150]


def _failures(scope: str, *, username: str, ip: str | None) -> QuerySet[LoginFailure] | None:
    if scope == "account":
        return LoginFailure.objects.filter(username=username) if username else None
    return LoginFailure.objects.filter(ip_address=ip) if ip else None


def login_lockout(*, username: str, request) -> Lockout | None:
    """The lock in force for this username or the request's address, if any."""
    username, ip = _normalise(username), client_ip(request)
    now = timezone.now()
    longest: Lockout | None = None
    for scope, limit, window in _limits():
        failures = _failures(scope, username=username, ip=ip)
        if failures is None:
            continue
        recent = list(
            failures.filter(at__gt=now - window).order_by("-at").values_list("at", flat=True)[:limit]
        )
        if len(recent) < limit:
            continue
        # The lock lifts when the limit-th most recent failure leaves the window.
        retry_after = math.ceil((recent[limit - 1] + window - now).total_seconds())
        if retry_after > 0 and (longest is None or retry_after > longest.retry_after):
            longest = Lockout(scope=scope, retry_after=retry_after)
    return longest


def login_attempt_claim(*, username: str, request) -> Lockout | None:
    """Admit one attempt, counted as a failure until `login_success_clear`, or return the lock in
    force (and count nothing). Call it before checking the password or the code."""
    username, ip = _normalise(username), client_ip(request)
    keys = sorted({f"account:{username}" if username else "", f"address:{ip}" if ip else ""} - {""})
    with transaction.atomic():
        with connection.cursor() as cursor:
            # In a fixed order, so two attempts taking both keys never wait on each other in a circle.
            for key in keys:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"login:{key}"])
        lockout = login_lockout(username=username, request=request)
        if lockout is not None:
            return lockout
        now = timezone.now()
        LoginFailure.objects.create(username=username, ip_address=ip, at=now)
        horizon = now - max(window for _, _, window in _limits())
        LoginFailure.objects.filter(username=username, at__lt=horizon).delete()
        if ip:
            LoginFailure.objects.filter(ip_address=ip, at__lt=horizon).delete()
    return None


def login_failure_record(*, username: str, request) -> Lockout | None:
    """The claimed attempt failed: it stays counted. Returns the lock it starts, which is
    audited, or None."""
    username, ip = _normalise(username), client_ip(request)
    lockout = login_lockout(username=username, request=request)
    if lockout is not None:
        audit_record(
            workspace=None,
            actor=None,
            action="auth.login_locked",
            request=request,
            object_repr=f"{lockout.scope} {username if lockout.scope == 'account' else ip}",
            after={"scope": lockout.scope, "retry_after_seconds": lockout.retry_after},
        )
    return lockout


def login_success_clear(*, username: str) -> None:
    LoginFailure.objects.filter(username=_normalise(username)).delete()
