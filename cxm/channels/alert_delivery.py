"""Alerts leave the platform: an email to their recipients and a Standard Webhooks signed POST.

Listening's spike alerts and ads' negative-comment alerts go out the same way; each app keeps its
alert model (a `DeliveredAlert`, which holds the per-channel status, sent-at time and error, the
attempts, the lease and the next run's time) and its message, and declares an `AlertDelivery`:
where a claimed alert goes now and what it says.

A delivery run claims the alert with a short lease (so a redelivered or concurrent copy of the
task leaves it alone), sends each channel that is still pending, and records each result as soon
as it is known; a channel already SENT or FAILED is never sent again. The one window left is a
crash between a send and its record: the next run repeats that send. Webhook receivers drop
the repeat by its `webhook-id`, which is the same on every attempt; an email cannot be recalled,
so its window is kept to the SMTP call itself.

Timeouts, connection errors, 5xx, 408, 425 and 429 answers (and SMTP 4xx) are transient: the
channel stays pending and the caller retries after `DeliveryOutcome.retry_in` seconds (30 s after
the first run, doubling up to 15 minutes, or longer when a 429 asks so; `cxm.channels.retry`), up
to `MAX_ATTEMPTS` runs. Any other refusal is permanent and recorded as FAILED with its reason.

A webhook signing secret being replaced keeps signing beside its successor for
`CXM_WEBHOOK_SECRET_GRACE_HOURS` (`RotatingSecret`), so a receiver can switch secrets without
dropping a delivery.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cxm.channels import outbound, signing
from cxm.channels.connectors.base import (
    ConnectorError,
    PermanentError,
    http_call,
    http_client,
)
from cxm.channels.models import AlertDeliveryStatus, DeliveredAlert
from cxm.channels.retry import EXHAUSTED, RetryPolicy, retry_decision
from cxm.channels.site_mail import site_mail_send

MAX_ATTEMPTS = 8
# No jitter: one alert's runs are few and far apart, and their times are shown as they are.
RETRY = RetryPolicy(base=30.0, cap=900.0, max_attempts=MAX_ATTEMPTS, jitter=False)
WEBHOOK_TIMEOUT = 10.0  # seconds
# Longer than an SMTP exchange plus a webhook call take, so a live run is never overtaken.
LEASE = timedelta(minutes=5)
# A sweep hands an alert to a new task when its next run is this late: a lost task message (Redis
# down at commit time), or a worker that died without its task being redelivered.
STALLED_AFTER = timedelta(minutes=10)

_FIELDS = {
    "email": ("email_status", "emailed_at", "email_error"),
    "webhook": ("webhook_status", "webhook_delivered_at", "webhook_error"),
}


@dataclass(frozen=True)
class DeliveryOutcome:
    alert_id: int
    attempted: bool
    retry_in: float | None = None  # seconds; set while a channel failed transiently


@dataclass(frozen=True)
class AlertDelivery:
    """How one kind of alert goes out: its model, the related rows a run selects with it, and,
    read from the claimed alert when a channel is sent, where it goes and what it says."""

    model: type[DeliveredAlert]
    related: tuple[str, ...]
    recipients: Callable[[Any], list[str]]
    webhook_url: Callable[[Any], str]
    webhook_secrets: Callable[[Any], list[str]]  # every secret that signs now (`RotatingSecret`)
    email: Callable[[Any], tuple[str, str]]  # subject and body
    event_type: str
    event_data: Callable[[Any], dict[str, Any]]  # the webhook's `data` past its id and workspace

    def event(self, alert: Any) -> dict[str, Any]:
        """The webhook body: the same for every attempt of one alert."""
        return {
            "type": self.event_type,
            "timestamp": alert.created_at.isoformat().replace("+00:00", "Z"),
            "data": {
                "id": alert.pk,
                "workspace": {"id": alert.workspace_id, "name": alert.workspace.name},
                **self.event_data(alert),
            },
        }

    def plan(self, alert: DeliveredAlert, *, enqueue: Callable[[], Any]) -> None:
        """Mark the channels the alert's owner uses as pending (call when the alert is created),
        and `enqueue` its delivery task once the transaction that raised it commits."""
        pending, none = AlertDeliveryStatus.PENDING, AlertDeliveryStatus.NONE
        alert.email_status = pending if self.recipients(alert) else none
        alert.webhook_status = pending if self.webhook_url(alert) else none
        alert.delivery_retry_at = timezone.now() if alert.delivery_pending else None
        alert.save(update_fields=["email_status", "webhook_status", "delivery_retry_at"])
        if alert.delivery_pending:
            transaction.on_commit(enqueue)

    def overdue(self, *, due_before: datetime) -> list[tuple[int, int]]:
        """(alert id, workspace id) of alerts, in every workspace, with a channel still pending
        whose next delivery run was due before `due_before` and that no worker is delivering now."""
        status = AlertDeliveryStatus.PENDING
        pending = Q(email_status=status) | Q(webhook_status=status)
        idle = Q(delivery_lease_until__isnull=True) | Q(delivery_lease_until__lt=timezone.now())
        return list(
            self.model._default_manager.filter(pending, idle, delivery_retry_at__lt=due_before)
            .order_by("delivery_retry_at")
            .values_list("pk", "workspace_id")[:500]
        )

    def deliver(
        self,
        *,
        alert_id: int,
        workspace_id: int,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> DeliveryOutcome:
        """Send an alert's pending email and webhook; safe to run any number of times."""
        alert = self._claim(alert_id, workspace_id)
        if alert is None:
            return DeliveryOutcome(alert_id=alert_id, attempted=False)
        retry_after: list[float] = []
        try:
            if alert.email_status == AlertDeliveryStatus.PENDING:
                recipients = self.recipients(alert)
                if not recipients:
                    _record(alert, email_status=AlertDeliveryStatus.NONE)
                else:
                    _attempt(
                        alert, "email", lambda: site_mail_send(*self.email(alert), recipients), retry_after
                    )
            if alert.webhook_status == AlertDeliveryStatus.PENDING:
                if not self.webhook_url(alert):
                    _record(alert, webhook_status=AlertDeliveryStatus.NONE)
                else:
                    _attempt(alert, "webhook", lambda: self._post_webhook(alert, http, clock), retry_after)
        finally:
            retry_in = max(retry_after) if retry_after else None
            # Still pending without a retry means this run crashed: the sweep picks the alert up.
            next_run = timezone.now() + timedelta(seconds=retry_in or 0) if alert.delivery_pending else None
            _record(alert, delivery_lease_until=None, delivery_retry_at=next_run)
        return DeliveryOutcome(alert_id=alert_id, attempted=True, retry_in=retry_in)

    def _claim(self, alert_id: int, workspace_id: int) -> Any:
        """Take the alert for one delivery run, or None when there is nothing to do now."""
        now = timezone.now()
        # Durable: the lease must be committed before anything leaves the building.
        with transaction.atomic(durable=True):
            alert = (
                self.model._default_manager.select_for_update(skip_locked=True, of=("self",))
                .select_related(*self.related)
                .filter(pk=alert_id, workspace_id=workspace_id)
                .first()
            )
            # None: deleted, or another run holds the row for the instant it takes to claim it.
            if alert is None or not alert.delivery_pending:
                return None
            if alert.delivery_lease_until is not None and alert.delivery_lease_until > now:
                return None
            if RETRY.exhausted(alert.delivery_attempts):
                _give_up(alert, f"gave up after {alert.delivery_attempts} attempts")
                return None
            alert.delivery_attempts += 1
            alert.delivery_lease_until = now + LEASE
            alert.save(update_fields=["delivery_attempts", "delivery_lease_until"])
        return alert

    def _post_webhook(self, alert: Any, http: httpx.Client | None, clock: Callable[[], float]) -> None:
        secrets = self.webhook_secrets(alert)
        if not secrets:
            raise PermanentError("no signing secret; unsigned webhooks are not sent")
        url = self.webhook_url(alert)
        try:
            # Again at send time: the name may resolve elsewhere than when it was saved.
            outbound.target_check(url, workspace=alert.workspace)
        except outbound.UnsafeTarget as exc:
            raise PermanentError(str(exc)) from None
        body = json.dumps(self.event(alert), ensure_ascii=False, separators=(",", ":")).encode()
        # A fresh timestamp and signature on each attempt; the same webhook-id on all of them.
        try:
            headers = signing.sign_standard(
                secrets=secrets, msg_id=alert.webhook_id, timestamp=int(clock()), body=body
            )
        except ValueError as exc:
            raise PermanentError(str(exc)) from None
        headers["Content-Type"] = "application/json"
        client = http or http_client(base_url="", timeout=WEBHOOK_TIMEOUT)
        # A 429 or 5xx raises RateLimited or TransientError; 401, 403 and the other 4xx, an
        # AuthError or PermanentError: the receiver said no.
        try:
            response = http_call(client, "POST", url, content=body, headers=headers)
        finally:
            if http is None:
                client.close()
        if not 200 <= response.status_code < 300:
            # Redirects are not followed: the receiver was configured as given, not wherever it points.
            raise PermanentError(f"webhook answered {response.status_code}, expected 2xx")


# --- recording -----------------------------------------------------------------------------------


def _attempt(alert: DeliveredAlert, channel: str, send: Callable[[], None], retry_after: list[float]) -> None:
    status, sent_at, error = _FIELDS[channel]
    try:
        send()
    except ConnectorError as exc:
        decision = retry_decision(exc, alert.delivery_attempts, RETRY)
        if decision.retry:
            _record(alert, **{error: str(exc)[:1000]})
            retry_after.append(decision.after)
        else:
            message = str(exc)
            if decision.reason == EXHAUSTED:
                message = f"gave up after {alert.delivery_attempts} attempts: {exc}"
            _record(alert, **{status: AlertDeliveryStatus.FAILED, error: message[:1000]})
    else:
        _record(alert, **{status: AlertDeliveryStatus.SENT, sent_at: timezone.now(), error: ""})


def _record(alert: DeliveredAlert, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(alert, name, value)
    type(alert)._default_manager.filter(pk=alert.pk).update(**fields)


def _give_up(alert: DeliveredAlert, reason: str) -> None:
    fields: dict[str, Any] = {}
    for status, _, error in _FIELDS.values():
        if getattr(alert, status) == AlertDeliveryStatus.PENDING:
            previous = getattr(alert, error)
            fields[status] = AlertDeliveryStatus.FAILED
            fields[error] = (f"{reason}: {previous}" if previous else reason)[:1000]
    _record(alert, delivery_retry_at=None, **fields)


# --- rotating the signing secret -----------------------------------------------------------------


@dataclass(frozen=True)
class RotatingSecret:
    """Where an owner (a topic, a campaign) keeps its webhook signing secret, the previous one and
    when that one stops signing: the fields `<prefix>_secret`, `<prefix>_previous_secret` and
    `<prefix>_previous_secret_expires_at`. A secret being replaced keeps signing beside its
    successor for CXM_WEBHOOK_SECRET_GRACE_HOURS, so a receiver can switch secrets without
    dropping a delivery. Nothing here saves the owner."""

    prefix: str

    @property
    def current(self) -> str:
        return f"{self.prefix}_secret"

    @property
    def previous(self) -> str:
        return f"{self.prefix}_previous_secret"

    @property
    def previous_expires_at(self) -> str:
        return f"{self.prefix}_previous_secret_expires_at"

    @property
    def fields(self) -> list[str]:
        return [self.current, self.previous, self.previous_expires_at]

    def signing(self, owner: Any, *, now: datetime | None = None) -> list[str]:
        """The secrets a delivery is signed with now: the current one, and the previous one in its
        grace period."""
        now = now or timezone.now()
        current, previous = getattr(owner, self.current), getattr(owner, self.previous)
        expires = getattr(owner, self.previous_expires_at)
        secrets = [current] if current else []
        if previous and expires and expires > now:
            secrets.append(previous)
        return secrets

    def keep_previous(self, owner: Any) -> None:
        """The current secret, about to be replaced, keeps signing for the grace period."""
        if getattr(owner, self.current):
            setattr(owner, self.previous, getattr(owner, self.current))
            expires = timezone.now() + timedelta(hours=settings.CXM_WEBHOOK_SECRET_GRACE_HOURS)
            setattr(owner, self.previous_expires_at, expires)

    def rotate(self, owner: Any) -> None:
        """A fresh `whsec_` secret; the one it replaces keeps signing for the grace period."""
        self.keep_previous(owner)
        setattr(owner, self.current, signing.new_standard_secret())

    def clear(self, owner: Any) -> None:
        for name in self.fields:
            setattr(owner, name, None)
