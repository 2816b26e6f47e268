"""Campaigns, ad sets and ads on the ad platforms, what they earn, and what the pause stopped.

Money is an integer in the currency's minor unit (see `ads.money`): budgets, spend and
conversion value alike. Every object we put on a platform carries `external_ref`, our reference,
recorded before any call; the platform's own id (`external_id`) arrives with its answer. A retry
after a crash looks the reference up on the platform before creating anything.

`status` is what we want the object to be on the platform; `platform_status` what the platform
last confirmed. `push_state` says whether a difference is waiting to go out.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cxm.channels.models import ChannelAccount
from cxm.db.fields import WorkspaceForeignKey, WorkspaceOneToOneField
from cxm.encryption import EncryptedJSONField
from cxm.tenancy.models import Brand, BusinessUnit, WorkspaceOwned

# Connected accounts (ChannelAccount.platform) that are ad accounts.
AD_PLATFORMS = ("meta_ads",)


def new_ref(prefix: str) -> str:
    # Short enough to sit in an object's name on the platform, random enough never to collide.
    return f"cxm-{prefix}-{secrets.token_hex(6)}"


class AdStatus(models.TextChoices):
    ACTIVE = "ACTIVE", _("Active")
    PAUSED = "PAUSED", _("Paused")
    ARCHIVED = "ARCHIVED", _("Archived")
    DELETED = "DELETED", _("Deleted")


class PushState(models.TextChoices):
    DRAFT = "draft", _("Draft")  # only here; nothing sent yet
    QUEUED = "queued", _("Waiting to go out")
    HELD = "held", _("Held by a pause")
    SYNCED = "synced", _("On the platform")
    FAILED = "failed", _("Failed")


class Objective(models.TextChoices):
    AWARENESS = "OUTCOME_AWARENESS", _("Awareness")
    TRAFFIC = "OUTCOME_TRAFFIC", _("Traffic")
    ENGAGEMENT = "OUTCOME_ENGAGEMENT", _("Engagement")
    LEADS = "OUTCOME_LEADS", _("Leads")
    APP_PROMOTION = "OUTCOME_APP_PROMOTION", _("App promotion")
    SALES = "OUTCOME_SALES", _("Sales")


class Origin(models.TextChoices):
    CXM = "cxm", _("Made here")
    PLATFORM = "platform", _("Read from the platform")
    IMPORT = "import", _("Imported from a performance report")


# Platforms whose performance reports come in by CSV (no connector): their campaigns, ad sets and
# ads are placeholders keyed by the report's names/ids, so insights summaries include them.
IMPORT_PLATFORMS = ("google_ads", "tiktok_ads", "linkedin_ads")


class ApprovalState(models.TextChoices):
    NONE = "", _("Not submitted")
    SUBMITTED = "submitted", _("Waiting for approval")
    APPROVED = "approved", _("Approved")


class SyncStatus(models.TextChoices):
    NEVER = "never", _("Not read yet")
    OK = "ok", _("Up to date")
    RATE_LIMITED = "rate_limited", _("Rate limited")
    NEEDS_REAUTH = "needs_reauth", _("Needs re-auth")
    ERROR = "error", _("Error")


class AdAccountState(WorkspaceOwned):
    """What the ads module knows of a connected ad account (a ChannelAccount of platform meta_ads)."""

    account = WorkspaceOneToOneField(ChannelAccount, on_delete=models.CASCADE, related_name="ads_state")
    name = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    timezone_name = models.CharField(max_length=64, blank=True)
    platform_account_status = models.IntegerField(null=True, blank=True)
    sync_status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.NEVER)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    rate_limited_until = models.DateTimeField(null=True, blank=True)
    failure_count = models.PositiveIntegerField(default=0)
    error_text = models.TextField(blank=True)
    campaigns_seen = models.PositiveIntegerField(default=0)
    ad_sets_seen = models.PositiveIntegerField(default=0)
    ads_seen = models.PositiveIntegerField(default=0)
    insights_synced_at = models.DateTimeField(null=True, blank=True)
    insights_through = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "sync_status"], name="ads_account_ws_sync")]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "account"], name="ads_account_state_once")
        ]

    def __str__(self) -> str:
        return f"ad account {self.account_id}"


class PlatformObject(WorkspaceOwned):
    """The fields every object we mirror on an ad platform shares."""

    name = models.CharField(max_length=400)
    status = models.CharField(max_length=16, choices=AdStatus.choices, default=AdStatus.PAUSED)
    platform_status = models.CharField(max_length=16, blank=True)
    effective_status = models.CharField(max_length=32, blank=True)
    external_id = models.CharField(max_length=64, blank=True)
    external_ref = models.CharField(max_length=64)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.CXM)
    push_state = models.CharField(max_length=16, choices=PushState.choices, default=PushState.DRAFT)
    held_by_pause = WorkspaceForeignKey(
        "publishing.Pause", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    platform_updated_time = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def on_platform(self) -> bool:
        return bool(self.external_id)

    def name_on_platform(self) -> str:
        """The name we give the object on the platform: it carries our reference for look-ups."""
        if self.origin == Origin.PLATFORM or not self.external_ref:
            return self.name
        return f"{self.name[:350]} [{self.external_ref}]"


class AdCampaign(PlatformObject):
    # Empty only for campaigns imported from another platform's report (`external_platform`).
    account = WorkspaceForeignKey(
        ChannelAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    external_platform = models.CharField(max_length=32, blank=True)
    business_unit = WorkspaceForeignKey(
        BusinessUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    brand = WorkspaceForeignKey(Brand, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    objective = models.CharField(max_length=32, choices=Objective.choices, default=Objective.TRAFFIC)
    currency = models.CharField(max_length=3)
    # Minor units of `currency`; a campaign holds a daily or a lifetime budget, or neither (then
    # each ad set holds its own).
    daily_budget = models.BigIntegerField(null=True, blank=True)
    lifetime_budget = models.BigIntegerField(null=True, blank=True)
    platform_daily_budget = models.BigIntegerField(null=True, blank=True)
    platform_lifetime_budget = models.BigIntegerField(null=True, blank=True)
    start_time = models.DateTimeField(null=True, blank=True)
    stop_time = models.DateTimeField(null=True, blank=True)
    special_ad_categories = models.JSONField(default=list, blank=True)
    # Set while a pause with "also stop running ads" holds this campaign PAUSED on the platform;
    # resume re-activates exactly these, unless someone changed the campaign meanwhile.
    stopped_by_pause = WorkspaceForeignKey(
        "publishing.Pause", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    push_enqueued_at = models.DateTimeField(null=True, blank=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The publishing approval workflow of the business unit, applied to launching.
    approval_state = models.CharField(max_length=16, choices=ApprovalState.choices, blank=True, default="")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # The comment guard rule: {"enabled": bool, "threshold": int, "window_minutes": int,
    # "keywords": [str], "notify": [email], "webhook_url": str}; see ads.comments.ad_comments_watch.
    # "notify" and "webhook_url" are where the campaign's negative-comment alerts go.
    comment_guard = models.JSONField(default=dict, blank=True)
    # The Standard Webhooks secret (`whsec_...`) alerts are signed with; set with a webhook URL.
    comment_alert_webhook_secret = EncryptedJSONField(null=True, blank=True)
    # After a rotation the previous secret keeps signing beside the new one until it expires,
    # so a receiver can switch secrets without dropping a delivery.
    comment_alert_webhook_previous_secret = EncryptedJSONField(null=True, blank=True)
    comment_alert_webhook_previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # The guard's pauses, per ad id: {"paused_at", "confirmed_at", "state", "error", "attempts",
    # "retry_at"} with state pending, confirmed, failed or superseded (see ad_comment_guard_confirm).
    comment_guard_pauses = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_ref"], condition=~Q(external_ref=""), name="ads_campaign_ref"
            ),
            models.UniqueConstraint(
                fields=["workspace", "account", "external_id"],
                condition=~Q(external_id=""),
                name="ads_campaign_extid",
            ),
            models.CheckConstraint(
                condition=Q(daily_budget__isnull=True) | Q(lifetime_budget__isnull=True),
                name="ads_campaign_one_budget",
            ),
            models.CheckConstraint(
                condition=(Q(daily_budget__isnull=True) | Q(daily_budget__gt=0))
                & (Q(lifetime_budget__isnull=True) | Q(lifetime_budget__gt=0)),
                name="ads_campaign_budget_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "account", "status"], name="ads_campaign_ws_acct"),
            models.Index(fields=["workspace", "business_unit"], name="ads_campaign_ws_unit"),
            models.Index(fields=["workspace", "push_state"], name="ads_campaign_ws_push"),
            models.Index(fields=["workspace", "stopped_by_pause"], name="ads_campaign_ws_stopped"),
            models.Index(
                fields=["next_attempt_at"], condition=Q(push_state="queued"), name="ads_campaign_due"
            ),
        ]


class AdSet(PlatformObject):
    campaign = WorkspaceForeignKey(AdCampaign, on_delete=models.CASCADE, related_name="ad_sets")
    countries = models.JSONField(default=list, blank=True)  # ISO 3166-1 alpha-2
    languages = models.JSONField(default=list, blank=True)  # BCP 47
    age_min = models.PositiveSmallIntegerField(default=18)
    age_max = models.PositiveSmallIntegerField(default=65)
    interests = models.TextField(blank=True)
    daily_budget = models.BigIntegerField(null=True, blank=True)
    lifetime_budget = models.BigIntegerField(null=True, blank=True)
    platform_daily_budget = models.BigIntegerField(null=True, blank=True)
    platform_lifetime_budget = models.BigIntegerField(null=True, blank=True)
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    billing_event = models.CharField(max_length=32, default="IMPRESSIONS")
    optimization_goal = models.CharField(max_length=48, default="LINK_CLICKS")
    bid_amount = models.BigIntegerField(null=True, blank=True)
    targeting_raw = models.JSONField(default=dict, blank=True)  # as read from the platform

    class Meta:
        ordering = ["campaign_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_ref"], condition=~Q(external_ref=""), name="ads_adset_ref"
            ),
            models.UniqueConstraint(
                fields=["workspace", "external_id"], condition=~Q(external_id=""), name="ads_adset_extid"
            ),
            models.CheckConstraint(condition=Q(age_min__lte=models.F("age_max")), name="ads_adset_age_range"),
        ]
        indexes = [
            models.Index(fields=["workspace", "campaign"], name="ads_adset_ws_campaign"),
            models.Index(fields=["workspace", "push_state"], name="ads_adset_ws_push"),
            models.Index(fields=["next_attempt_at"], condition=Q(push_state="queued"), name="ads_adset_due"),
        ]


class Ad(PlatformObject):
    ad_set = WorkspaceForeignKey(AdSet, on_delete=models.CASCADE, related_name="ads")
    campaign = WorkspaceForeignKey(AdCampaign, on_delete=models.CASCADE, related_name="ads")
    # {"primary_text", "headline", "description", "call_to_action", "link", "image_url"}
    creative = models.JSONField(default=dict, blank=True)
    variant_key = models.CharField(max_length=200, blank=True)
    creative_external_id = models.CharField(max_length=64, blank=True)
    effective_object_story_id = models.CharField(max_length=100, blank=True)
    # When the comment guard last paused this ad: afterwards it counts only newer comments, so
    # an ad re-activated by hand is not paused again for the same comments.
    comment_guard_paused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ad_set_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_ref"], condition=~Q(external_ref=""), name="ads_ad_ref"
            ),
            models.UniqueConstraint(
                fields=["workspace", "external_id"], condition=~Q(external_id=""), name="ads_ad_extid"
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "ad_set"], name="ads_ad_ws_adset"),
            models.Index(fields=["workspace", "campaign"], name="ads_ad_ws_campaign"),
            models.Index(fields=["workspace", "variant_key"], name="ads_ad_ws_variant"),
            models.Index(fields=["next_attempt_at"], condition=Q(push_state="queued"), name="ads_ad_due"),
        ]

    @property
    def creative_ref(self) -> str:
        return f"{self.external_ref}-cr" if self.external_ref else ""


class AdInsight(WorkspaceOwned):
    """One ad's numbers for one day (`hour` empty) or one hour of it. Money in minor units."""

    ad = WorkspaceForeignKey(Ad, on_delete=models.CASCADE, related_name="insights")
    campaign = WorkspaceForeignKey(AdCampaign, on_delete=models.CASCADE, related_name="+")
    ad_set = WorkspaceForeignKey(AdSet, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    hour = models.PositiveSmallIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    impressions = models.BigIntegerField(default=0)
    reach = models.BigIntegerField(default=0)
    clicks = models.BigIntegerField(default=0)
    spend = models.BigIntegerField(default=0)
    conversions = models.BigIntegerField(default=0)
    conversion_value = models.BigIntegerField(default=0)
    source = models.CharField(max_length=16, default="connector")  # connector, csv
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "hour"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "ad", "date", "hour"], nulls_distinct=False, name="ads_insight_once"
            ),
            models.CheckConstraint(
                condition=Q(hour__isnull=True) | Q(hour__lte=23), name="ads_insight_hour_range"
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "campaign", "date"], name="ads_insight_ws_campaign"),
            models.Index(fields=["workspace", "ad", "date"], name="ads_insight_ws_ad"),
            models.Index(fields=["workspace", "date"], name="ads_insight_ws_date"),
        ]

    def __str__(self) -> str:
        return f"ad {self.ad_id} on {self.date}" + (f" {self.hour:02d}h" if self.hour is not None else "")


class StopState(models.TextChoices):
    PENDING = "pending", _("Stopping")
    STOPPED = "stopped", _("Stopped on the platform")
    FAILED = "failed", _("Could not stop")
    SKIPPED = "skipped", _("Not running any more")
    RESTORING = "restoring", _("Restoring")
    RESTORED = "restored", _("Restored")
    LEFT_PAUSED = "left_paused", _("Left paused (changed meanwhile)")
    RESTORE_FAILED = "restore_failed", _("Could not restore")


class CampaignStop(WorkspaceOwned):
    """One campaign a pause with "also stop running ads" set to PAUSED on its platform, and what
    became of it on resume. Failures stay visible here until they succeed."""

    pause = WorkspaceForeignKey("publishing.Pause", on_delete=models.CASCADE, related_name="+")
    campaign = WorkspaceForeignKey(AdCampaign, on_delete=models.CASCADE, related_name="stops")
    state = models.CharField(max_length=16, choices=StopState.choices, default=StopState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    error = models.TextField(blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # The platform's updated_time read back right after our stop: if it differs at resume,
    # someone changed the campaign on the platform meanwhile and it stays as they left it.
    platform_updated_time = models.CharField(max_length=40, blank=True)
    restored_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "pause", "campaign"], name="ads_stop_once"),
        ]
        indexes = [
            models.Index(fields=["workspace", "pause", "state"], name="ads_stop_ws_pause"),
            models.Index(
                fields=["state", "next_attempt_at"],
                condition=Q(state__in=["pending", "restoring"]),
                name="ads_stop_due",
            ),
        ]

    def __str__(self) -> str:
        return f"stop of campaign {self.campaign_id} by pause {self.pause_id}"
