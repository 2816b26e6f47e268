"""Negative-comment alerts leave the platform, as listening's spike alerts do: an email to the
campaign's recipients (`comment_guard["notify"]`) and a Standard Webhooks signed POST to its
`comment_guard["webhook_url"]`, signed with the campaign's `comment_alert_webhook_secret` (and,
for the grace period after a rotation, with the previous secret too).

The lease, the per-channel status, the retries with backoff and the sending itself are
`cxm.channels.alert_delivery`'s; this module says where a campaign's alerts go and what they say.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from ads import tasks
from ads.models import AdCampaign, AdCommentAlert
from cxm.audit.services import audit_record
from cxm.channels import alert_delivery as delivery
from cxm.channels.alert_delivery import DeliveryOutcome

# The comments pull hands an alert to a new task when its next run is this late.
STALLED_AFTER = delivery.STALLED_AFTER
EVENT_TYPE = "ads.comment_alert"


def alert_recipients(campaign: AdCampaign) -> list[str]:
    return list((campaign.comment_guard or {}).get("notify") or [])


def alert_webhook_url(campaign: AdCampaign) -> str:
    return str((campaign.comment_guard or {}).get("webhook_url") or "")


# --- the signing secret --------------------------------------------------------------------------

COMMENT_ALERT_SECRET = delivery.RotatingSecret("comment_alert_webhook")


@transaction.atomic
def campaign_comment_alert_secret_rotate(*, campaign: AdCampaign, by=None, request=None) -> AdCampaign:
    """Give the campaign's alert webhook a new signing secret. Until the old one expires (see
    `RotatingSecret`) each alert is signed with both, whichever one the receiver checks against.
    Neither secret is written to the audit log."""
    campaign = AdCampaign.objects.select_for_update().get(pk=campaign.pk, workspace_id=campaign.workspace_id)
    if not alert_webhook_url(campaign):
        raise ValidationError({"comment_guard": ["webhook_url: Set a webhook URL first."]})
    COMMENT_ALERT_SECRET.rotate(campaign)
    campaign.save(update_fields=[*COMMENT_ALERT_SECRET.fields, "updated_at"])
    expires: datetime | None = campaign.comment_alert_webhook_previous_secret_expires_at
    audit_record(
        workspace=campaign.workspace,
        actor=by,
        action="ads.comment_alert_webhook_secret_rotate",
        target=campaign,
        after={"previous_secret_expires_at": expires.isoformat() if expires else None},
        request=request,
        object_repr=str(campaign),
    )
    return campaign


# --- raising and delivering ----------------------------------------------------------------------


def comment_alert_delivery_plan(*, alert: AdCommentAlert) -> AdCommentAlert:
    """Mark the channels the alert's campaign uses as pending and hand the alert to the delivery
    task once the transaction that raised it commits."""
    alert_id, workspace_id = alert.pk, alert.workspace_id
    COMMENT_ALERTS.plan(
        alert, enqueue=lambda: tasks.comment_alert_deliver.delay(alert_id=alert_id, workspace_id=workspace_id)
    )
    return alert


def comment_alerts_delivery_overdue(*, due_before: datetime) -> list[tuple[int, int]]:
    """(alert id, workspace id) of alerts with a channel still pending whose next run was due
    before `due_before` and that no worker is delivering now."""
    return COMMENT_ALERTS.overdue(due_before=due_before)


def comment_alert_deliver(*, alert_id: int, workspace_id: int, **options: Any) -> DeliveryOutcome:
    """Email and POST whatever of a negative-comment alert is still pending; safe to repeat.
    `http` and `clock` (see `AlertDelivery.deliver`) stand in for the network and the time."""
    return COMMENT_ALERTS.deliver(alert_id=alert_id, workspace_id=workspace_id, **options)


# --- the message ---------------------------------------------------------------------------------


def alert_comments_url(alert: AdCommentAlert) -> str:
    """An absolute link to the ad's comments, negative first."""
    return f"{settings.CXM_BASE_URL}{reverse('ads:comments')}?ad={alert.ad_id}&sentiment=negative"


def _event_data(alert: AdCommentAlert) -> dict[str, Any]:
    return {
        "campaign": {"id": alert.campaign_id, "name": alert.campaign.name},
        "ad": {"id": alert.ad_id, "name": alert.ad.name, "external_id": alert.ad.external_id},
        "day": alert.day.isoformat(),
        "negative": alert.negative,
        "baseline": alert.baseline,
        "comments_url": alert_comments_url(alert),
    }


def _email(alert: AdCommentAlert) -> tuple[str, str]:
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
    return subject, body


COMMENT_ALERTS = delivery.AlertDelivery(
    model=AdCommentAlert,
    related=("campaign", "ad", "workspace"),
    recipients=lambda alert: alert_recipients(alert.campaign),
    webhook_url=lambda alert: alert_webhook_url(alert.campaign),
    webhook_secrets=lambda alert: COMMENT_ALERT_SECRET.signing(alert.campaign),
    email=_email,
    event_type=EVENT_TYPE,
    event_data=_event_data,
)
