"""Spikes of negative comments under an ad; their delivery by email and webhook is the kernel's
(`cxm.channels.models.DeliveredAlert`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ads.models.campaigns import Ad, AdCampaign
from cxm.channels.models import DeliveredAlert
from cxm.db.fields import WorkspaceForeignKey


class AdCommentAlert(DeliveredAlert):
    """A spike of negative comments under one ad: today's count well above the ad's own recent
    daily baseline (median of the previous days). One per ad and day."""

    WEBHOOK_ID_PREFIX = "msg_cxm_ad_comment_alert_"

    ad = WorkspaceForeignKey(Ad, on_delete=models.CASCADE, related_name="comment_alerts")
    campaign = WorkspaceForeignKey(AdCampaign, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    negative = models.PositiveIntegerField()
    baseline = models.FloatField()
    # created_at and the delivery to the campaign's recipients: see DeliveredAlert.
    acknowledged = models.BooleanField(default=False)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "ad", "day"], name="ads_comment_alert_once")
        ]
        indexes = [
            models.Index(fields=["workspace", "acknowledged", "day"], name="ads_comment_alert_ws_open"),
        ]

    def __str__(self) -> str:
        return f"negative comments on ad {self.ad_id} on {self.day}"
