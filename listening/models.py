"""Mentions (partitioned by month), the keys that keep them unique, topics and roll-ups.

The mention table is created by SQL in the migrations: it is range-partitioned on `created_at`
so old months can be detached or dropped, and its search vector is a generated column. Django
sees it as an ordinary unmanaged model.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from cxm.channels.models import DeliveredAlert
from cxm.db.fields import WorkspaceForeignKey
from cxm.encryption import EncryptedJSONField
from cxm.tenancy.models import WorkspaceOwned


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")
    # The classifier abstained: too little in the text to call (see listening.enrichment.sentiment).
    UNKNOWN = "unknown", _("Unknown")


class MediaType(models.TextChoices):
    OWNED = "owned", _("Owned")
    EARNED = "earned", _("Earned")
    PAID = "paid", _("Paid")


class Mention(models.Model):
    id = models.BigAutoField(primary_key=True)
    workspace_id = models.BigIntegerField()
    created_at = models.DateTimeField()
    platform = models.CharField(max_length=32)
    external_id = models.CharField(max_length=255)
    account_id = models.BigIntegerField(null=True)
    brand_id = models.BigIntegerField(null=True)
    business_unit_id = models.BigIntegerField(null=True)
    kind = models.CharField(max_length=16)
    media_type = models.CharField(max_length=8, choices=MediaType.choices)
    author_identity_id = models.BigIntegerField(null=True)
    customer_id = models.BigIntegerField(null=True)
    author_handle = models.CharField(max_length=255)
    author_name = models.CharField(max_length=255)
    text = models.TextField()
    url = models.CharField(max_length=1000)
    in_reply_to = models.CharField(max_length=255, null=True)
    thread_id = models.CharField(max_length=255, null=True)
    language = models.CharField(max_length=8)
    language_confidence = models.FloatField()
    sentiment = models.CharField(max_length=8, choices=Sentiment.choices)
    sentiment_score = models.FloatField()
    country = models.CharField(max_length=2)
    topic_ids = ArrayField(models.IntegerField())
    tags = ArrayField(models.TextField())
    engagement = models.IntegerField()
    needs_answer = models.BooleanField()
    # Why it needs an answer or none: a listening.answering.AnswerReason code ("" before it was kept).
    answer_reason = models.CharField(max_length=24, default="")
    answered = models.BooleanField()
    answered_at = models.DateTimeField(null=True)
    ingested_at = models.DateTimeField()
    source = models.CharField(max_length=16)
    raw = models.JSONField(null=True)
    # The text with runs of Chinese, Japanese, Korean and Thai broken into tokens (NULL for other
    # texts): listening.query.segments.search_text, indexed in search_vector beside the text.
    search_text = models.TextField(null=True)
    search_vector = SearchVectorField(null=True)

    class Meta:
        managed = False
        db_table = "listening_mention"

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id}"


class Topic(WorkspaceOwned):
    """A saved listening query; new mentions are matched at ingest, history by a back-fill."""

    class BackfillStatus(models.TextChoices):
        NONE = "none"
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    name = models.CharField(max_length=120)
    query = models.TextField()
    brand = WorkspaceForeignKey(
        "tenancy.Brand", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    backfill_status = models.CharField(
        max_length=16, choices=BackfillStatus.choices, default=BackfillStatus.NONE
    )
    backfill_scanned = models.PositiveBigIntegerField(default=0)
    backfill_total = models.PositiveBigIntegerField(default=0)
    backfill_matched = models.PositiveBigIntegerField(default=0)
    # Spike alerts: a day's volume or negative share this many times its own recent baseline.
    alert_volume_factor = models.FloatField(default=3.0)
    alert_negative_factor = models.FloatField(default=2.0)
    alert_min_volume = models.PositiveIntegerField(default=20)
    # Where a raised alert goes. `alert_email` is the original single address, kept as it was
    # for API clients; delivery mails it together with `alert_recipients`.
    alert_email = models.EmailField(blank=True)
    alert_recipients = ArrayField(models.EmailField(), default=list, blank=True)
    alert_webhook_url = models.URLField(blank=True)
    # The Standard Webhooks signing secret (`whsec_<base64>`), encrypted at rest; never shown
    # by the API, only to topic managers on the topic's page.
    alert_webhook_secret = EncryptedJSONField(null=True, blank=True)
    # After a rotation the previous secret keeps signing beside the new one until it expires,
    # so a receiver can switch secrets without dropping a delivery.
    alert_webhook_previous_secret = EncryptedJSONField(null=True, blank=True)
    alert_webhook_previous_secret_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="topic_name_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def alert_email_recipients(self) -> list[str]:
        """Every address an alert of this topic is mailed to, each once."""
        addresses: list[str] = []
        for address in [*self.alert_recipients, self.alert_email]:
            if address and address.lower() not in {known.lower() for known in addresses}:
                addresses.append(address)
        return addresses


class SavedSearch(WorkspaceOwned):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    params = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DictionaryEntry(WorkspaceOwned):
    """Per-brand words that tag a mention with a brand, product or location."""

    class TagType(models.TextChoices):
        BRAND = "brand", _("Brand")
        PRODUCT = "product", _("Product")
        LOCATION = "location", _("Location")

    brand = WorkspaceForeignKey(
        "tenancy.Brand", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    tag_type = models.CharField(max_length=16, choices=TagType.choices)
    tag = models.CharField(max_length=120)
    terms = ArrayField(models.CharField(max_length=120))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "tag_type", "tag"], name="dictionary_tag_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.tag_type}:{self.tag}"


class MentionDaily(models.Model):
    """Counts per workspace, day and dimension values, kept current by the ingest pipeline so
    dashboards never scan mentions. `brand_id`/`topic_id` 0 mean "none"."""

    workspace_id = models.BigIntegerField()
    day = models.DateField()
    brand_id = models.BigIntegerField()
    topic_id = models.IntegerField()
    platform = models.CharField(max_length=32)
    language = models.CharField(max_length=8)
    sentiment = models.CharField(max_length=8)
    media_type = models.CharField(max_length=8)
    country = models.CharField(max_length=2)
    mentions = models.BigIntegerField()
    needs_answer = models.BigIntegerField()
    answered = models.BigIntegerField()
    sentiment_sum = models.FloatField()

    class Meta:
        managed = False
        db_table = "listening_mention_daily"

    def __str__(self) -> str:
        return f"{self.day} {self.mentions}"


class Alert(DeliveredAlert):
    """A spike: a topic's volume or negative share well above its own baseline on one day."""

    WEBHOOK_ID_PREFIX = "msg_cxm_alert_"

    class Kind(models.TextChoices):
        VOLUME = "volume", _("Volume spike")
        NEGATIVE = "negative", _("Negative share spike")

    topic = WorkspaceForeignKey(Topic, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    day = models.DateField()
    observed = models.FloatField()
    baseline = models.FloatField()
    # created_at and the delivery by email and webhook: see DeliveredAlert.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "topic", "kind", "day"], name="alert_once_per_day")
        ]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="alert_ws_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.topic} ({self.day})"

    @property
    def explorer_query(self) -> str:
        """Explorer parameters for this alert's topic and day (UTC days, as the roll-ups count)."""
        return urlencode(
            {
                "topic": self.topic_id,
                "since": self.day.isoformat(),
                "until": (self.day + timedelta(days=1)).isoformat(),
            }
        )
