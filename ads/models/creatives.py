"""Creative variants: product feeds, templates, the variants generated from them, and the
compliance waivers an approver grants one variant."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ads.models.campaigns import Ad, AdCampaign, AdSet
from cxm.db.fields import WorkspaceForeignKey
from cxm.tenancy.models import WorkspaceOwned


class FeedSource(models.TextChoices):
    CSV = "csv", _("CSV upload")
    URL = "url", _("Feed URL")


class Feed(WorkspaceOwned):
    """A product feed. `content` is the CSV as uploaded (re-read exactly on generation: prices are
    Money, not floats); `rows` its good rows for preview, values as text; `errors` the bad ones."""

    name = models.CharField(max_length=200)
    source = models.CharField(max_length=8, choices=FeedSource.choices, default=FeedSource.CSV)
    url = models.URLField(max_length=1000, blank=True)
    default_currency = models.CharField(max_length=3, blank=True)
    content = models.TextField(blank=True)
    columns = models.JSONField(default=list, blank=True)
    rows = models.JSONField(default=list, blank=True)  # [{"index", "id", "values": {column: text}}]
    errors = models.JSONField(default=list, blank=True)  # [{"index", "line", "field", "reason"}]
    row_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "created_at"], name="ads_feed_ws_created")]

    def __str__(self) -> str:
        return self.name


class CreativeTemplate(WorkspaceOwned):
    """The fields of `ads.variants.Template`, stored, plus what compliance needs: the country whose
    rule pack applies, the ad's categories (alcohol, financial...) and the business unit's own rules."""

    name = models.CharField(max_length=200)
    primary_text = models.TextField(blank=True)
    headline = models.TextField(blank=True)
    description = models.TextField(blank=True)
    call_to_action = models.CharField(max_length=200, blank=True)
    link = models.TextField(blank=True)
    image = models.TextField(blank=True)
    translations = models.JSONField(default=dict, blank=True)
    format_images = models.JSONField(default=dict, blank=True)
    image_width = models.PositiveIntegerField(null=True, blank=True)
    image_height = models.PositiveIntegerField(null=True, blank=True)
    formats = models.JSONField(default=list, blank=True)
    platform = models.CharField(max_length=16, default="meta")
    country = models.CharField(max_length=2, blank=True)
    categories = models.JSONField(default=list, blank=True)
    extra_rules = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["workspace", "name"], name="ads_template_ws_name")]

    def __str__(self) -> str:
        return self.name


class VariantStatus(models.TextChoices):
    DRAFT = "draft", _("Has errors")
    BLOCKED = "blocked", _("Blocked by a compliance rule")
    READY = "ready", _("Ready")
    LAUNCHED = "launched", _("Launched")


class Variant(WorkspaceOwned):
    """One rendered ad of a template: a feed row for a segment, in a language and a format.
    `issues` are platform-limit findings, `violations` compliance findings (waived ones kept,
    marked); `status` follows from both (see ads.services.variants._status)."""

    template = WorkspaceForeignKey(CreativeTemplate, on_delete=models.CASCADE, related_name="variants")
    campaign = WorkspaceForeignKey(
        AdCampaign, on_delete=models.CASCADE, null=True, blank=True, related_name="variants"
    )
    ad_set = WorkspaceForeignKey(AdSet, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    feed = WorkspaceForeignKey(Feed, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    key = models.CharField(max_length=40)
    content_hash = models.CharField(max_length=40)
    row_id = models.CharField(max_length=200, blank=True)
    segment = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=16, blank=True)
    format = models.CharField(max_length=32)
    fields = models.JSONField(default=dict)
    image_width = models.PositiveIntegerField(null=True, blank=True)
    image_height = models.PositiveIntegerField(null=True, blank=True)
    issues = models.JSONField(default=list, blank=True)
    violations = models.JSONField(default=list, blank=True)
    has_errors = models.BooleanField(default=False)
    excluded = models.BooleanField(default=False)
    edited = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=VariantStatus.choices, default=VariantStatus.DRAFT)
    ad = WorkspaceForeignKey(Ad, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "template", "campaign", "key"],
                nulls_distinct=False,
                name="ads_variant_once",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "template", "status"], name="ads_variant_ws_template"),
            models.Index(fields=["workspace", "campaign", "status"], name="ads_variant_ws_campaign"),
        ]

    def __str__(self) -> str:
        return f"variant {self.key}"


class ComplianceWaiver(WorkspaceOwned):
    """An approver let one variant break one rule; the violation stays shown, marked waived."""

    variant = WorkspaceForeignKey(Variant, on_delete=models.CASCADE, related_name="waivers")
    rule_id = models.CharField(max_length=64)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "variant", "rule_id"], name="ads_waiver_once")
        ]
        indexes = [models.Index(fields=["workspace", "variant"], name="ads_waiver_ws_variant")]

    def __str__(self) -> str:
        return f"waiver of {self.rule_id} for variant {self.variant_id}"
