"""Spikes of negative comments under an ad, and their delivery by email and webhook."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ads.models.campaigns import Ad, AdCampaign
from cxm.tenancy.models import WorkspaceOwned


class AlertDeliveryStatus(models.TextChoices):
    """Where one delivery channel of an alert stands: PENDING becomes SENT or FAILED, or NONE
    when the campaign stopped using the channel; SENT, FAILED and NONE are final."""

    NONE = "none", _("Not configured")
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class AdCommentAlert(WorkspaceOwned):
    """A spike of negative comments under one ad: today's count well above the ad's own recent
    daily baseline (median of the previous days). One per ad and day."""

    ad = models.ForeignKey(Ad, on_delete=models.CASCADE, related_name="comment_alerts")
    campaign = models.ForeignKey(AdCampaign, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    negative = models.PositiveIntegerField()
    baseline = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged = models.BooleanField(default=False)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # Delivery to the campaign's recipients by email and webhook, per channel, so a repeated
    # delivery task sends neither twice (see ads.alert_delivery).
    email_status = models.CharField(
        max_length=8, choices=AlertDeliveryStatus.choices, default=AlertDeliveryStatus.NONE
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(blank=True)
    webhook_status = models.CharField(
        max_length=8, choices=AlertDeliveryStatus.choices, default=AlertDeliveryStatus.NONE
    )
    webhook_delivered_at = models.DateTimeField(null=True, blank=True)
    webhook_error = models.TextField(blank=True)
    delivery_attempts = models.PositiveIntegerField(default=0)
    delivery_lease_until = models.DateTimeField(null=True, blank=True)
    delivery_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["ad", "day"], name="ads_comment_alert_once")]
        indexes = [
            models.Index(fields=["workspace", "acknowledged", "day"], name="ads_comment_alert_ws_open"),
        ]

    def __str__(self) -> str:
        return f"negative comments on ad {self.ad_id} on {self.day}"

    @property
    def delivery_pending(self) -> bool:
        return AlertDeliveryStatus.PENDING in (self.email_status, self.webhook_status)

    @property
    def webhook_id(self) -> str:
        """The Standard Webhooks message id: the same on every attempt, so receivers can dedupe."""
        return f"msg_cxm_ad_comment_alert_{self.pk}_{int(self.created_at.timestamp())}"
