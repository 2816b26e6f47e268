"""The brand's accounts on the platforms it listens to, publishes to and answers on, and the
delivery record every alert that leaves the platform keeps."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from cxm.db.fields import WorkspaceForeignKey
from cxm.encryption import EncryptedJSONField
from cxm.tenancy.models import Brand, BusinessUnit, WorkspaceOwned


class Platform(models.TextChoices):
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    RSS = "rss", "RSS / Atom"
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook")
    DEMO = "demo", _("Demo network")
    META_ADS = "meta_ads", _("Meta ads (ad account)")
    FACEBOOK_PAGE = "facebook_page", _("Facebook Page")
    INSTAGRAM = "instagram", "Instagram"
    WHATSAPP = "whatsapp", "WhatsApp"
    TELEGRAM = "telegram", "Telegram"
    YOUTUBE = "youtube", "YouTube"
    X = "x", "X"
    WEBCHAT = "webchat", _("Website chat")


# Platforms whose new items are pulled on a schedule. A Facebook Page and an Instagram account are
# polled beside Meta's webhook, which drops deliveries now and then; WhatsApp is not, since the
# Cloud API cannot list a number's messages (the webhook is all there is); the generic webhook
# platform only receives. A Telegram bot is polled only where no webhook can reach us; with one,
# its fetch answers nothing at once.
POLLED_PLATFORMS = {
    Platform.MASTODON,
    Platform.BLUESKY,
    Platform.RSS,
    Platform.EMAIL,
    Platform.DEMO,
    Platform.FACEBOOK_PAGE,
    Platform.INSTAGRAM,
    Platform.TELEGRAM,
    Platform.YOUTUBE,
    Platform.X,
}


class AccountStatus(models.TextChoices):
    CONNECTED = "connected", _("Connected")
    NEEDS_REAUTH = "needs_reauth", _("Needs re-auth")
    RATE_LIMITED = "rate_limited", _("Rate limited")
    PAUSED = "paused", _("Paused")
    ERROR = "error", _("Error")


class DeletionStatus(models.TextChoices):
    """Where taking something an account published back off its platform stands (a post's
    take-down in publishing, our reply in care; `cxm.channels.services.deletion`)."""

    NONE = "none", _("Not asked")
    REQUESTED = "requested", _("Deletion requested")
    DELETED = "deleted", _("Deleted from the platform")
    NOT_ALLOWED = "not_allowed", _("Not allowed on the platform")
    FAILED = "failed", _("Deletion failed")


class ChannelAccount(WorkspaceOwned):
    business_unit = WorkspaceForeignKey(
        BusinessUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    brand = WorkspaceForeignKey(Brand, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    platform = models.CharField(max_length=32, choices=Platform.choices)
    handle = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255, blank=True)
    base_url = models.CharField(max_length=500, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    language = models.CharField(max_length=16, blank=True, help_text="BCP 47, e.g. id or en-GB")
    status = models.CharField(max_length=16, choices=AccountStatus.choices, default=AccountStatus.CONNECTED)
    # Non-secret settings: search terms, feed URL, mail hosts... Secrets live in `credentials`.
    options = models.JSONField(default=dict, blank=True)
    credentials = EncryptedJSONField(default=dict, blank=True)

    sync_cursor = models.JSONField(default=dict, blank=True)
    sync_interval_seconds = models.PositiveIntegerField(default=60)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    rate_limited_until = models.DateTimeField(null=True, blank=True)
    failure_count = models.PositiveIntegerField(default=0)
    error_text = models.TextField(blank=True)
    items_received = models.PositiveBigIntegerField(default=0)
    last_item_at = models.DateTimeField(null=True, blank=True)
    # What the platform last said of its call allowance, for the account tile (X's x-rate-limit-*
    # headers): {"remaining", "limit", "reset_at" (ISO), "endpoint"} of its tightest window.
    quota = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["platform", "handle"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "platform", "handle"], name="channel_account_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "status"], name="channel_ws_status"),
            models.Index(fields=["workspace", "platform"], name="channel_ws_platform"),
            models.Index(fields=["next_sync_at"], name="channel_next_sync"),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.handle}"

    def throttled_until(self, now: datetime) -> datetime | None:
        """When the platform lets the account's calls through again, if that is still ahead."""
        until = self.rate_limited_until
        return until if until is not None and until > now else None

    @property
    def reconnect_provider(self) -> str:
        """The sign-in ("Connect X", "Connect YouTube") that re-connects this account when the
        platform stops honouring its tokens; "" for platforms re-connected otherwise."""
        return self.platform if self.platform in (Platform.X, Platform.YOUTUBE) else ""

    @property
    def token_days_left(self) -> int | None:
        """Whole days until the token lapses, when its expiry is known (accounts added through
        "Connect Facebook & Instagram" keep it in `options.token_expires_at`)."""
        raw = (self.options or {}).get("token_expires_at")
        expires_at = parse_datetime(raw) if isinstance(raw, str) else None
        if expires_at is None:
            return None
        return max(0, (expires_at - timezone.now()).days)

    @property
    def quota_left(self) -> dict | None:
        """The calls left in the platform's tightest window and when it resets (aware), while
        that window lasts; None when the platform said nothing or the window is over."""
        raw = (self.quota or {}).get("reset_at")
        reset_at = parse_datetime(raw) if isinstance(raw, str) else None
        remaining = (self.quota or {}).get("remaining")
        if reset_at is None or not isinstance(remaining, int) or reset_at <= timezone.now():
            return None
        return {"remaining": remaining, "reset_at": reset_at}


class WebhookDelivery(WorkspaceOwned):
    """Delivery ids already accepted, so a replayed delivery is acknowledged but not stored twice."""

    account = WorkspaceForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="+")
    delivery_id = models.CharField(max_length=200)
    # The id is not covered by the signature, so a captured request replayed under a new id is
    # caught by its signature instead (the timestamp keeps old ones out anyway).
    signature = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    items_accepted = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "account", "delivery_id"], name="webhook_delivery_once"
            ),
            models.UniqueConstraint(
                fields=["workspace", "account", "signature"], name="webhook_signature_once"
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.delivery_id} to account {self.account_id}"


class AlertDeliveryStatus(models.TextChoices):
    """Where one delivery channel of an alert stands. PENDING becomes SENT or FAILED (a refusal,
    or transient errors past the attempt limit), or NONE when the alert's owner stopped using the
    channel; SENT, FAILED and NONE are final."""

    NONE = "none", _("Not configured")
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class DeliveredAlert(WorkspaceOwned):
    """An alert that leaves the platform by email and by webhook (`cxm.channels.alert_delivery`).

    Per channel a status, a sent-at time and the last error, so a repeated delivery task sends
    neither twice; the attempts so far, a lease and the next run's time. A concrete alert names
    its `WEBHOOK_ID_PREFIX`, which keeps its webhook ids apart from other kinds of alert.
    """

    WEBHOOK_ID_PREFIX: ClassVar[str]

    created_at = models.DateTimeField(auto_now_add=True)
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
    # Set while a worker is delivering: another run of the task leaves the alert alone until then.
    delivery_lease_until = models.DateTimeField(null=True, blank=True)
    # When the next run is due while a channel is pending; a sweep re-queues it when long overdue.
    delivery_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def delivery_pending(self) -> bool:
        return AlertDeliveryStatus.PENDING in (self.email_status, self.webhook_status)

    @property
    def webhook_id(self) -> str:
        """The Standard Webhooks message id: the same on every attempt, so receivers can dedupe."""
        return f"{self.WEBHOOK_ID_PREFIX}{self.pk}_{int(self.created_at.timestamp())}"


# The website chat's own tables belong to this app (see cxm.channels.webchat).
from cxm.channels.webchat.models import Sender, WebchatMessage, WebchatVisitor, WebchatWidget  # noqa: E402, F401
