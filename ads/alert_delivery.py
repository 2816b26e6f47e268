"""Negative-comment alerts leave the platform, as listening's spike alerts do: an email to the
campaign's recipients (`comment_guard["notify"]`) and a Standard Webhooks signed POST to its
`comment_guard["webhook_url"]`, signed with the campaign's `comment_alert_webhook_secret`.

A delivery run claims the alert with a short lease (a redelivered or concurrent copy of the task
leaves it alone), sends each channel still pending, and records each result as soon as it is
known; a channel already SENT or FAILED is never sent again. The one window left is a crash
between a send and its record: the next run repeats that send. Webhook receivers drop the repeat
by its `webhook-id`, the same on every attempt; an email cannot be recalled, so its window is
kept to the SMTP call itself.

Timeouts, connection errors, 5xx, 408, 425 and 429 answers (and SMTP 4xx) are transient: the
channel stays pending and the task retries after `DeliveryOutcome.retry_in` seconds, up to
`MAX_ATTEMPTS` runs. Any other refusal is permanent and recorded as FAILED with its reason.
"""

from __future__ import annotations

import json
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ads.models import AdCampaign, AdCommentAlert
from ads.models import AlertDeliveryStatus as Status
from cxm.channels import outbound, signing
from cxm.channels.connectors.base import (
    ConnectorError,
    RateLimited,
    TransientError,
    http_call,
    http_client,
)

MAX_ATTEMPTS = 8
WEBHOOK_TIMEOUT = 10.0  # seconds
EMAIL_TIMEOUT = 30.0  # seconds per SMTP operation, unless EMAIL_TIMEOUT is set
# Longer than an SMTP exchange plus a webhook call take, so a live run is never overtaken.
LEASE = timedelta(minutes=5)
# The comments pull hands an alert to a new task when its next run is this late (a lost task
# message, or a worker that died without its task being redelivered).
STALLED_AFTER = timedelta(minutes=10)
EVENT_TYPE = "ads.comment_alert"


class _Transient(Exception):
    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class _Permanent(Exception):
    pass


@dataclass(frozen=True)
class DeliveryOutcome:
    alert_id: int
    attempted: bool
    retry_in: float | None = None  # seconds; set while a channel failed transiently


def alert_recipients(campaign: AdCampaign) -> list[str]:
    return list((campaign.comment_guard or {}).get("notify") or [])


def alert_webhook_url(campaign: AdCampaign) -> str:
    return str((campaign.comment_guard or {}).get("webhook_url") or "")


def comment_alert_delivery_plan(*, alert: AdCommentAlert) -> AdCommentAlert:
    """Mark the channels the alert's campaign uses as pending and hand the alert to the delivery
    task once the transaction that raised it commits."""
    campaign = alert.campaign
    alert.email_status = Status.PENDING if alert_recipients(campaign) else Status.NONE
    alert.webhook_status = Status.PENDING if alert_webhook_url(campaign) else Status.NONE
    alert.delivery_retry_at = timezone.now() if alert.delivery_pending else None
    alert.save(update_fields=["email_status", "webhook_status", "delivery_retry_at"])
    if alert.delivery_pending:
        from ads.tasks import comment_alert_deliver

        alert_id, workspace_id = alert.pk, alert.workspace_id
        transaction.on_commit(
            lambda: comment_alert_deliver.delay(alert_id=alert_id, workspace_id=workspace_id)
        )
    return alert


def comment_alerts_delivery_overdue(*, due_before: datetime) -> list[tuple[int, int]]:
    """(alert id, workspace id) of alerts with a channel still pending whose next run was due
    before `due_before` and that no worker is delivering now."""
    pending = Q(email_status=Status.PENDING) | Q(webhook_status=Status.PENDING)
    idle = Q(delivery_lease_until__isnull=True) | Q(delivery_lease_until__lt=timezone.now())
    return list(
        AdCommentAlert.objects.filter(pending, idle, delivery_retry_at__lt=due_before)
        .order_by("delivery_retry_at")
        .values_list("pk", "workspace_id")[:500]
    )


def comment_alert_deliver(
    *,
    alert_id: int,
    workspace_id: int,
    http: httpx.Client | None = None,
    clock: Callable[[], float] = time.time,
) -> DeliveryOutcome:
    """Send an alert's pending email and webhook; safe to run any number of times."""
    alert = _claim(alert_id, workspace_id)
    if alert is None:
        return DeliveryOutcome(alert_id=alert_id, attempted=False)
    retry_after: list[float] = []
    try:
        campaign = alert.campaign
        if alert.email_status == Status.PENDING:
            recipients = alert_recipients(campaign)
            if not recipients:
                _record(alert, email_status=Status.NONE)
            else:
                _attempt(alert, "email", lambda: _send_email(alert, recipients), retry_after)
        if alert.webhook_status == Status.PENDING:
            if not alert_webhook_url(campaign):
                _record(alert, webhook_status=Status.NONE)
            else:
                _attempt(alert, "webhook", lambda: _post_webhook(alert, http, clock), retry_after)
    finally:
        retry_in = max(retry_after) if retry_after else None
        # Still pending without a retry means this run crashed: the sweep picks the alert up.
        next_run = timezone.now() + timedelta(seconds=retry_in or 0) if alert.delivery_pending else None
        _record(alert, delivery_lease_until=None, delivery_retry_at=next_run)
    return DeliveryOutcome(alert_id=alert_id, attempted=True, retry_in=retry_in)


def _claim(alert_id: int, workspace_id: int) -> AdCommentAlert | None:
    """Take the alert for one delivery run, or None when there is nothing to do now."""
    now = timezone.now()
    # Durable: the lease must be committed before anything leaves the building.
    with transaction.atomic(durable=True):
        alert = (
            AdCommentAlert.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("campaign", "ad", "workspace")
            .filter(pk=alert_id, workspace_id=workspace_id)
            .first()
        )
        if alert is None or not alert.delivery_pending:
            return None
        if alert.delivery_lease_until is not None and alert.delivery_lease_until > now:
            return None
        if alert.delivery_attempts >= MAX_ATTEMPTS:
            _give_up(alert, f"gave up after {alert.delivery_attempts} attempts")
            return None
        alert.delivery_attempts += 1
        alert.delivery_lease_until = now + LEASE
        alert.save(update_fields=["delivery_attempts", "delivery_lease_until"])
    return alert


_FIELDS = {
    "email": ("email_status", "emailed_at", "email_error"),
    "webhook": ("webhook_status", "webhook_delivered_at", "webhook_error"),
}


def _attempt(alert: AdCommentAlert, channel: str, send: Callable[[], None], retry_after: list[float]) -> None:
    status, sent_at, error = _FIELDS[channel]
    try:
        send()
    except _Permanent as exc:
        _record(alert, **{status: Status.FAILED, error: str(exc)[:1000]})
    except _Transient as exc:
        if alert.delivery_attempts >= MAX_ATTEMPTS:
            message = f"gave up after {alert.delivery_attempts} attempts: {exc}"
            _record(alert, **{status: Status.FAILED, error: message[:1000]})
        else:
            _record(alert, **{error: str(exc)[:1000]})
            retry_after.append(max(backoff_seconds(alert.delivery_attempts), exc.retry_after or 0))
    else:
        _record(alert, **{status: Status.SENT, sent_at: timezone.now(), error: ""})


def _record(alert: AdCommentAlert, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(alert, name, value)
    AdCommentAlert.objects.filter(pk=alert.pk).update(**fields)


def _give_up(alert: AdCommentAlert, reason: str) -> None:
    fields: dict[str, Any] = {}
    for status, _, error in _FIELDS.values():
        if getattr(alert, status) == Status.PENDING:
            previous = getattr(alert, error)
            fields[status] = Status.FAILED
            fields[error] = (f"{reason}: {previous}" if previous else reason)[:1000]
    _record(alert, delivery_retry_at=None, **fields)


def backoff_seconds(attempt: int) -> float:
    """30 s after the first attempt, doubling to at most 15 minutes (about 45 minutes in all)."""
    return float(min(900, 30 * 2 ** max(0, attempt - 1)))


# --- the message ---------------------------------------------------------------------------------


def alert_comments_url(alert: AdCommentAlert) -> str:
    """An absolute link to the ad's comments, negative first."""
    return f"{settings.CXM_BASE_URL}{reverse('ads:comments')}?ad={alert.ad_id}&sentiment=negative"


def alert_event(alert: AdCommentAlert) -> dict[str, Any]:
    """The webhook body: the same for every attempt of one alert."""
    return {
        "type": EVENT_TYPE,
        "timestamp": alert.created_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "id": alert.pk,
            "workspace": {"id": alert.workspace_id, "name": alert.workspace.name},
            "campaign": {"id": alert.campaign_id, "name": alert.campaign.name},
            "ad": {"id": alert.ad_id, "name": alert.ad.name, "external_id": alert.ad.external_id},
            "day": alert.day.isoformat(),
            "negative": alert.negative,
            "baseline": alert.baseline,
            "comments_url": alert_comments_url(alert),
        },
    }


def _send_email(alert: AdCommentAlert, recipients: list[str]) -> None:
    subject = f"[CXM] Negative comments on the ad “{alert.ad.name}” on {alert.day.isoformat()}"
    body = "\n".join(
        [
            f"Negative comments under the ad “{alert.ad.name}” of the campaign “{alert.campaign.name}” "
            f"in {alert.workspace.name} on {alert.day.isoformat()}.",
            "",
            f"Negative comments today: {alert.negative}",
            f"Baseline: {alert.baseline:g} a day (median of the previous days)",
            "",
            f"See the comments: {alert_comments_url(alert)}",
        ]
    )
    # A bounded wait (Django's default is none): a hung server must not outlive the lease.
    connection = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or EMAIL_TIMEOUT)
    try:
        send_mail(subject, body, None, recipients, fail_silently=False, connection=connection)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        message = "recipients refused: " + ", ".join(
            f"{address} ({code})" for address, (code, _) in exc.recipients.items()
        )
        if all(400 <= code < 500 for code in codes):
            raise _Transient(message) from None
        raise _Permanent(message) from None
    except smtplib.SMTPResponseException as exc:
        reason = (
            exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        )
        message = f"mail server answered {exc.smtp_code}: {reason}"
        if 400 <= exc.smtp_code < 500:
            raise _Transient(message) from None
        raise _Permanent(message) from None
    except OSError as exc:  # connection refused, timeouts, a dropped connection (SMTPException too)
        raise _Transient(f"mail server unreachable: {exc.__class__.__name__}: {exc}") from None


def _post_webhook(alert: AdCommentAlert, http: httpx.Client | None, clock: Callable[[], float]) -> None:
    secret = alert.campaign.comment_alert_webhook_secret
    if not secret:
        raise _Permanent("no signing secret; unsigned webhooks are not sent")
    try:
        # Again at send time: the name may resolve elsewhere than when it was saved.
        outbound.target_check(alert_webhook_url(alert.campaign), workspace=alert.campaign.workspace)
    except outbound.UnsafeTarget as exc:
        raise _Permanent(str(exc)) from None
    body = json.dumps(alert_event(alert), ensure_ascii=False, separators=(",", ":")).encode()
    # A fresh timestamp and signature on each attempt; the same webhook-id on all of them.
    try:
        headers = signing.sign_standard(
            secrets=[secret], msg_id=alert.webhook_id, timestamp=int(clock()), body=body
        )
    except ValueError as exc:
        raise _Permanent(str(exc)) from None
    headers["Content-Type"] = "application/json"
    client = http or http_client(base_url="", timeout=WEBHOOK_TIMEOUT)
    try:
        response = http_call(client, "POST", alert_webhook_url(alert.campaign), content=body, headers=headers)
    except RateLimited as exc:
        raise _Transient(str(exc), retry_after=exc.retry_after) from None
    except TransientError as exc:
        raise _Transient(str(exc)) from None
    except ConnectorError as exc:  # 401, 403 and the other 4xx: the receiver said no
        raise _Permanent(str(exc)) from None
    finally:
        if http is None:
            client.close()
    if not 200 <= response.status_code < 300:
        # Redirects are not followed: the receiver was configured as given, not wherever it points.
        raise _Permanent(f"webhook answered {response.status_code}, expected 2xx")
