"""Spike alerts leave the platform: an email to the topic's recipients and a signed webhook.

The lease, the per-channel status, the retries with backoff and the sending itself are
`cxm.channels.alert_delivery`'s; this module holds a topic's delivery settings and its signing
secret, and says where a topic's alerts go and what they say.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.urls import reverse

from cxm.audit.services import audit_record
from cxm.channels import alert_delivery as delivery
from cxm.channels import outbound, signing
from cxm.channels.alert_delivery import DeliveryOutcome
from listening import tasks
from listening.models import Alert, Topic

MAX_ALERT_RECIPIENTS = 20
# Beat hands an alert to a new task when its next run is this late.
STALLED_AFTER = delivery.STALLED_AFTER
EVENT_TYPE = "listening.alert"


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
        # An unchanged address is left to the send-time check, so other edits still save.
        if webhook_url and webhook_url != topic.alert_webhook_url:
            try:
                URLValidator(schemes=["http", "https"])(webhook_url)
                outbound.target_check_on_save(webhook_url, workspace=topic.workspace)
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
            TOPIC_SECRET.keep_previous(topic)
            topic.alert_webhook_secret = webhook_secret
            secret_changed = True
    if errors:
        raise ValidationError(errors)
    if not topic.alert_webhook_url:
        secret_changed = secret_changed or bool(topic.alert_webhook_secret)
        TOPIC_SECRET.clear(topic)
    elif not topic.alert_webhook_secret:
        topic.alert_webhook_secret = signing.new_standard_secret()
        secret_changed = True
    topic.save(update_fields=["alert_recipients", "alert_email", "alert_webhook_url", *TOPIC_SECRET.fields])
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


TOPIC_SECRET = delivery.RotatingSecret("alert_webhook")


@transaction.atomic
def topic_alert_webhook_secret_rotate(*, topic: Topic, by=None, request=None) -> Topic:
    """A fresh signing secret; alerts carry signatures by the old and the new one for the grace
    period (CXM_WEBHOOK_SECRET_GRACE_HOURS), so the receiver can switch without missing one."""
    if not topic.alert_webhook_url:
        raise ValidationError({"alert_webhook_url": "Set a webhook URL first."})
    TOPIC_SECRET.rotate(topic)
    topic.save(update_fields=TOPIC_SECRET.fields)
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
    return TOPIC_SECRET.signing(topic, now=now)


def _delivery_audit(topic: Topic) -> dict[str, Any]:
    return {
        "recipients": topic.alert_email_recipients,
        "webhook_url": topic.alert_webhook_url,
    }


# --- raising and delivering ----------------------------------------------------------------------


def alert_delivery_plan(*, alert: Alert) -> Alert:
    """Mark the channels the alert's topic uses as pending (call when the alert is created)."""
    TOPIC_ALERTS.plan(
        alert,
        enqueue=lambda: tasks.alert_deliver_run.delay(alert_id=alert.pk, workspace_id=alert.workspace_id),
    )
    return alert


def alerts_delivery_overdue(*, due_before: datetime) -> list[tuple[int, int]]:
    """(alert id, workspace id) of alerts with a channel still pending whose next run was due
    before `due_before` and that no worker is delivering now."""
    return TOPIC_ALERTS.overdue(due_before=due_before)


def alert_deliver(*, alert_id: int, workspace_id: int, **options: Any) -> DeliveryOutcome:
    """Send an alert's pending email and webhook (`http`, `clock` stand in for the network and the
    time); safe to run any number of times."""
    return TOPIC_ALERTS.deliver(alert_id=alert_id, workspace_id=workspace_id, **options)


# --- the message ---------------------------------------------------------------------------------


def alert_explorer_url(alert: Alert) -> str:
    """An absolute link to the Explorer showing the alert's topic on the alert's day."""
    return f"{settings.CXM_BASE_URL}{reverse('listening:index')}?{alert.explorer_query}"


def _observed_text(alert: Alert) -> tuple[str, str]:
    if alert.kind == Alert.Kind.NEGATIVE:
        return f"{alert.observed:.0%} negative", f"{alert.baseline:.0%}"
    return f"{alert.observed:g} mentions", f"{alert.baseline:g} a day"


def _event_data(alert: Alert) -> dict[str, Any]:
    return {
        "topic": {"id": alert.topic_id, "name": alert.topic.name, "query": alert.topic.query},
        "kind": alert.kind,
        "kind_label": str(alert.get_kind_display()),
        "day": alert.day.isoformat(),
        "observed": alert.observed,
        "baseline": alert.baseline,
        "explorer_url": alert_explorer_url(alert),
    }


def _email(alert: Alert) -> tuple[str, str]:
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
    return subject, body


TOPIC_ALERTS = delivery.AlertDelivery(
    model=Alert,
    related=("topic", "workspace"),
    recipients=lambda alert: alert.topic.alert_email_recipients,
    webhook_url=lambda alert: alert.topic.alert_webhook_url,
    webhook_secrets=lambda alert: alert_webhook_secrets(alert.topic),
    email=_email,
    event_type=EVENT_TYPE,
    event_data=_event_data,
)
