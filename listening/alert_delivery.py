"""Spike alerts leave the platform: an email to the topic's recipients and a signed webhook.

A delivery run claims the alert with a short lease (so a redelivered or concurrent copy of the
task leaves it alone), sends each channel that is still pending, and records each result as soon
as it is known; a channel already SENT or FAILED is never sent again. The one window left is a
crash between a send and its record: the next run repeats that send. Webhook receivers drop
the repeat by its `webhook-id`, which is the same on every attempt; an email cannot be recalled,
so its window is kept to the SMTP call itself.

Timeouts, connection errors, 5xx, 408, 425 and 429 answers (and SMTP 4xx) are transient: the
channel stays pending and the caller retries after `DeliveryOutcome.retry_in` seconds, up to
`MAX_ATTEMPTS` runs. Any other refusal is permanent and recorded as FAILED with its reason.
"""

from __future__ import annotations

import json
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection, send_mail
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cxm.audit.services import audit_record
from cxm.channels import outbound, signing
from cxm.channels.connectors.base import (
    ConnectorError,
    RateLimited,
    TransientError,
    http_call,
    http_client,
)
from listening.models import Alert, DeliveryStatus, Topic

MAX_ATTEMPTS = 8
MAX_ALERT_RECIPIENTS = 20
WEBHOOK_TIMEOUT = 10.0  # seconds
EMAIL_TIMEOUT = 30.0  # seconds per SMTP operation, unless EMAIL_TIMEOUT is set
# Longer than an SMTP exchange plus a webhook call take, so a live run is never overtaken.
LEASE = timedelta(minutes=5)
# Beat hands an alert to a new task when its next run is this late: a lost task message (Redis
# down at commit time), or a worker that died without its task being redelivered.
STALLED_AFTER = timedelta(minutes=10)
EVENT_TYPE = "listening.alert"


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


# --- settings of a topic -------------------------------------------------------------------------


@transaction.atomic
def topic_alert_delivery_set(
    *,
    topic: Topic,
    recipients: list[str] | None = None,
    email: str | None = None,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    by=None,
    request=None,
) -> Topic:
    """Change where a topic's alerts go; None leaves a setting as it is.

    A webhook URL without a secret gets a fresh `whsec_` one (topic managers see it on the topic's
    page); clearing the URL clears the secret. The secret is never written to the audit log.
    """
    before = _delivery_audit(topic)
    errors: dict[str, str] = {}
    if recipients is not None:
        cleaned: list[str] = []
        for address in (a.strip() for a in recipients):
            if not address or address.lower() in {known.lower() for known in cleaned}:
                continue
            try:
                validate_email(address)
            except ValidationError:
                errors["alert_recipients"] = f"{address} is not an email address."
                break
            cleaned.append(address)
        if len(cleaned) > MAX_ALERT_RECIPIENTS:
            errors["alert_recipients"] = f"At most {MAX_ALERT_RECIPIENTS} recipients."
        topic.alert_recipients = cleaned
    if email is not None:
        email = email.strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors["alert_email"] = f"{email} is not an email address."
        topic.alert_email = email
    if webhook_url is not None:
        webhook_url = webhook_url.strip()
        if webhook_url:
            try:
                URLValidator(schemes=["http", "https"])(webhook_url)
                outbound.target_check(webhook_url, workspace=topic.workspace)
            except ValidationError:
                errors["alert_webhook_url"] = "Enter an http:// or https:// URL."
            except outbound.UnsafeTarget as exc:
                errors["alert_webhook_url"] = str(exc)
        topic.alert_webhook_url = webhook_url
    secret_changed = False
    if webhook_secret:
        webhook_secret = webhook_secret.strip()
        try:
            signing.sign_standard(secrets=[webhook_secret], msg_id="check", timestamp=0, body=b"")
        except ValueError:
            errors["alert_webhook_secret"] = "Expected a Standard Webhooks secret: whsec_ and base64."  # noqa: S105
        if webhook_secret != topic.alert_webhook_secret:
            _keep_previous_secret(topic)
            topic.alert_webhook_secret = webhook_secret
            secret_changed = True
    if errors:
        raise ValidationError(errors)
    if not topic.alert_webhook_url:
        secret_changed = secret_changed or bool(topic.alert_webhook_secret)
        topic.alert_webhook_secret = None
        topic.alert_webhook_previous_secret = None
        topic.alert_webhook_previous_secret_expires_at = None
    elif not topic.alert_webhook_secret:
        topic.alert_webhook_secret = signing.new_standard_secret()
        secret_changed = True
    topic.save(update_fields=["alert_recipients", "alert_email", "alert_webhook_url", *_SECRET_FIELDS])
    after = _delivery_audit(topic)
    if before != after or secret_changed:
        audit_record(
            workspace=topic.workspace,
            actor=by,
            action="topic.alert_delivery",
            target=topic,
            before=before,
            after=after | {"webhook_secret_changed": secret_changed},
            request=request,
        )
    return topic


_SECRET_FIELDS = (
    "alert_webhook_secret",
    "alert_webhook_previous_secret",
    "alert_webhook_previous_secret_expires_at",
)


def _keep_previous_secret(topic: Topic) -> None:
    """The outgoing secret keeps signing beside its successor for the grace period."""
    if topic.alert_webhook_secret:
        topic.alert_webhook_previous_secret = topic.alert_webhook_secret
        topic.alert_webhook_previous_secret_expires_at = timezone.now() + timedelta(
            hours=settings.CXM_WEBHOOK_SECRET_GRACE_HOURS
        )


@transaction.atomic
def topic_alert_webhook_secret_rotate(*, topic: Topic, by=None, request=None) -> Topic:
    """A fresh signing secret; alerts carry signatures by the old and the new one for the grace
    period (CXM_WEBHOOK_SECRET_GRACE_HOURS), so the receiver can switch without missing one."""
    if not topic.alert_webhook_url:
        raise ValidationError({"alert_webhook_url": "Set a webhook URL first."})
    _keep_previous_secret(topic)
    topic.alert_webhook_secret = signing.new_standard_secret()
    topic.save(update_fields=list(_SECRET_FIELDS))
    audit_record(
        workspace=topic.workspace,
        actor=by,
        action="topic.alert_webhook_secret_rotate",
        target=topic,
        after={"previous_secret_expires_at": topic.alert_webhook_previous_secret_expires_at.isoformat()},
        request=request,
    )
    return topic


def alert_webhook_secrets(topic: Topic, *, now=None) -> list[str]:
    """The secrets an alert is signed with now: the current one, and the previous one in its grace."""
    now = now or timezone.now()
    secrets = [topic.alert_webhook_secret] if topic.alert_webhook_secret else []
    expires = topic.alert_webhook_previous_secret_expires_at
    if topic.alert_webhook_previous_secret and expires and expires > now:
        secrets.append(topic.alert_webhook_previous_secret)
    return secrets


def _delivery_audit(topic: Topic) -> dict[str, Any]:
    return {
        "recipients": topic.alert_email_recipients,
        "webhook_url": topic.alert_webhook_url,
    }


# --- raising and delivering ----------------------------------------------------------------------


def alert_delivery_plan(*, alert: Alert) -> Alert:
    """Mark the channels the alert's topic uses as pending (call when the alert is created)."""
    topic = alert.topic
    alert.email_status = DeliveryStatus.PENDING if topic.alert_email_recipients else DeliveryStatus.NONE
    alert.webhook_status = DeliveryStatus.PENDING if topic.alert_webhook_url else DeliveryStatus.NONE
    alert.delivery_retry_at = timezone.now() if alert.delivery_pending else None
    alert.save(update_fields=["email_status", "webhook_status", "delivery_retry_at"])
    if alert.delivery_pending:
        from listening.tasks import alert_deliver_run

        transaction.on_commit(
            lambda: alert_deliver_run.delay(alert_id=alert.pk, workspace_id=alert.workspace_id)
        )
    return alert


def alert_deliver(
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
        topic = alert.topic
        if alert.email_status == DeliveryStatus.PENDING:
            recipients = topic.alert_email_recipients
            if not recipients:
                _record(alert, email_status=DeliveryStatus.NONE)
            else:
                _attempt(alert, "email", lambda: _send_email(alert, recipients), retry_after)
        if alert.webhook_status == DeliveryStatus.PENDING:
            if not topic.alert_webhook_url:
                _record(alert, webhook_status=DeliveryStatus.NONE)
            else:
                _attempt(alert, "webhook", lambda: _post_webhook(alert, http, clock), retry_after)
    finally:
        retry_in = max(retry_after) if retry_after else None
        # Still pending without a retry means this run crashed: beat's sweep picks the alert up.
        next_run = timezone.now() + timedelta(seconds=retry_in or 0) if alert.delivery_pending else None
        _record(alert, delivery_lease_until=None, delivery_retry_at=next_run)
    return DeliveryOutcome(alert_id=alert_id, attempted=True, retry_in=retry_in)


def _claim(alert_id: int, workspace_id: int) -> Alert | None:
    """Take the alert for one delivery run, or None when there is nothing to do now."""
    now = timezone.now()
    # Durable: the lease must be committed before anything leaves the building.
    with transaction.atomic(durable=True):
        alert = (
            Alert.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("topic", "workspace")
            .filter(pk=alert_id, workspace_id=workspace_id)
            .first()
        )
        # None: deleted, or another run holds the row for the instant it takes to claim it.
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


def _attempt(alert: Alert, channel: str, send: Callable[[], None], retry_after: list[float]) -> None:
    status, sent_at, error = _FIELDS[channel]
    try:
        send()
    except _Permanent as exc:
        _record(alert, **{status: DeliveryStatus.FAILED, error: str(exc)[:1000]})
    except _Transient as exc:
        if alert.delivery_attempts >= MAX_ATTEMPTS:
            message = f"gave up after {alert.delivery_attempts} attempts: {exc}"
            _record(alert, **{status: DeliveryStatus.FAILED, error: message[:1000]})
        else:
            _record(alert, **{error: str(exc)[:1000]})
            retry_after.append(max(backoff_seconds(alert.delivery_attempts), exc.retry_after or 0))
    else:
        _record(alert, **{status: DeliveryStatus.SENT, sent_at: timezone.now(), error: ""})


def _record(alert: Alert, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(alert, name, value)
    Alert.objects.filter(pk=alert.pk).update(**fields)


def _give_up(alert: Alert, reason: str) -> None:
    fields: dict[str, Any] = {}
    for status, _, error in _FIELDS.values():
        if getattr(alert, status) == DeliveryStatus.PENDING:
            previous = getattr(alert, error)
            fields[status] = DeliveryStatus.FAILED
            fields[error] = (f"{reason}: {previous}" if previous else reason)[:1000]
    _record(alert, delivery_retry_at=None, **fields)


def backoff_seconds(attempt: int) -> float:
    """30 s after the first attempt, doubling to at most 15 minutes (about 45 minutes in all)."""
    return float(min(900, 30 * 2 ** max(0, attempt - 1)))


# --- the message ---------------------------------------------------------------------------------


def alert_explorer_url(alert: Alert) -> str:
    """An absolute link to the Explorer showing the alert's topic on the alert's day."""
    return f"{settings.CXM_BASE_URL}{reverse('listening:index')}?{alert.explorer_query}"


def _observed_text(alert: Alert) -> tuple[str, str]:
    if alert.kind == Alert.Kind.NEGATIVE:
        return f"{alert.observed:.0%} negative", f"{alert.baseline:.0%}"
    return f"{alert.observed:g} mentions", f"{alert.baseline:g} a day"


def alert_event(alert: Alert) -> dict[str, Any]:
    """The webhook body: the same for every attempt of one alert."""
    return {
        "type": EVENT_TYPE,
        "timestamp": alert.created_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "id": alert.pk,
            "workspace": {"id": alert.workspace_id, "name": alert.workspace.name},
            "topic": {"id": alert.topic_id, "name": alert.topic.name, "query": alert.topic.query},
            "kind": alert.kind,
            "kind_label": str(alert.get_kind_display()),
            "day": alert.day.isoformat(),
            "observed": alert.observed,
            "baseline": alert.baseline,
            "explorer_url": alert_explorer_url(alert),
        },
    }


def _send_email(alert: Alert, recipients: list[str]) -> None:
    observed, baseline = _observed_text(alert)
    subject = f"[CXM] {alert.get_kind_display()}: {alert.topic.name} on {alert.day.isoformat()}"
    body = "\n".join(
        [
            f"{alert.get_kind_display()} for the topic “{alert.topic.name}” "
            f"in {alert.workspace.name} on {alert.day.isoformat()} (UTC).",
            "",
            f"Observed: {observed}",
            f"Baseline: {baseline} (median of the previous days)",
            "",
            f"See the mentions: {alert_explorer_url(alert)}",
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


def _post_webhook(alert: Alert, http: httpx.Client | None, clock: Callable[[], float]) -> None:
    secrets = alert_webhook_secrets(alert.topic)
    if not secrets:
        raise _Permanent("no signing secret; unsigned webhooks are not sent")
    try:
        # Again at send time: the name may resolve elsewhere than when it was saved.
        outbound.target_check(alert.topic.alert_webhook_url, workspace=alert.topic.workspace)
    except outbound.UnsafeTarget as exc:
        raise _Permanent(str(exc)) from None
    body = json.dumps(alert_event(alert), ensure_ascii=False, separators=(",", ":")).encode()
    # A fresh timestamp and signature on each attempt; the same webhook-id on all of them.
    try:
        headers = signing.sign_standard(
            secrets=secrets, msg_id=alert.webhook_id, timestamp=int(clock()), body=body
        )
    except ValueError as exc:
        raise _Permanent(str(exc)) from None
    headers["Content-Type"] = "application/json"
    client = http or http_client(base_url="", timeout=WEBHOOK_TIMEOUT)
    try:
        response = http_call(client, "POST", alert.topic.alert_webhook_url, content=body, headers=headers)
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
