"""Posts, the accounts each goes to, who must approve them, and the pauses that stop them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cxm.channels.models import ChannelAccount, DeletionStatus
from cxm.db.fields import WorkspaceForeignKey, WorkspaceOneToOneField
from cxm.tenancy.models import BusinessUnit, Role, WorkspaceOwned


class Campaign(WorkspaceOwned):
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="campaign_unique_name")]

    def __str__(self) -> str:
        return self.name


class PostStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHING = "publishing", _("Publishing")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


# A post in one of these can still be edited, rescheduled or cancelled.
OPEN_STATUSES = (PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.APPROVED, PostStatus.SCHEDULED)


class Post(WorkspaceOwned):
    text = models.TextField()
    # Per-platform or per-language versions of the text: {"bluesky": "...", "lang:id": "..."}.
    # A target uses its platform's variant, else its account language's, else `text`.
    variants = models.JSONField(default=dict, blank=True)
    # The posts that follow `text` in a thread, each published as a reply to the one before it
    # (platforms with threads only: see `publishing.limits.THREAD_PLATFORMS`).
    thread = ArrayField(models.TextField(), default=list, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True, help_text=_("Stored in UTC"))
    status = models.CharField(max_length=16, choices=PostStatus.choices, default=PostStatus.DRAFT)
    campaign = WorkspaceForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="posts"
    )
    tags = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "scheduled_at"], name="post_ws_scheduled"),
            models.Index(fields=["workspace", "status"], name="post_ws_status"),
        ]

    def __str__(self) -> str:
        return self.text[:60] or f"post {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_held(self) -> bool:
        """A target held by a pause makes the whole post wait for a decision, so the post shows
        as held whatever its own status says (it stays "scheduled" underneath)."""
        return any(target.status == TargetStatus.HELD for target in self.targets.all())

    def text_for(self, *, platform: str, language: str = "") -> str:
        if self.variants.get(platform):
            return self.variants[platform]
        base_language = (language or "").split("-")[0].lower()
        if base_language and self.variants.get(f"lang:{base_language}"):
            return self.variants[f"lang:{base_language}"]
        return self.text


class TargetStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held by a pause")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class PostTarget(WorkspaceOwned):
    """The post on one account: what is due when, and what the platform answered.

    `idempotency_key` never changes, so every retry of the same publish, by any worker, carries
    the same key and the platform (or our check before a retry) recognises it.

    Once published, the post can be taken down from the platform again (`takedown_*`, see
    `publishing/services/takedown.py`): none -> requested -> deleted, not allowed or failed
    (failed -> requested to try again). The target stays, with what the platform had said.
    """

    post = WorkspaceForeignKey(Post, on_delete=models.CASCADE, related_name="targets")
    account = WorkspaceForeignKey(ChannelAccount, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=TargetStatus.choices, default=TargetStatus.PENDING)
    due_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, editable=False)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    held_by_pause = WorkspaceForeignKey(
        "Pause", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    external_id = models.CharField(max_length=255, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    error = models.TextField(blank=True)
    # What an unfinished attempt left on the platform (an Instagram container), for the next one.
    platform_state = models.JSONField(default=dict, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    likes = models.PositiveIntegerField(null=True, blank=True)
    reposts = models.PositiveIntegerField(null=True, blank=True)
    replies = models.PositiveIntegerField(null=True, blank=True)
    reach = models.PositiveIntegerField(null=True, blank=True)
    metrics_at = models.DateTimeField(null=True, blank=True)
    takedown_status = models.CharField(
        max_length=16, choices=DeletionStatus.choices, default=DeletionStatus.NONE
    )
    takedown_error = models.TextField(blank=True)
    takedown_attempts = models.PositiveIntegerField(default=0)
    takedown_next_attempt_at = models.DateTimeField(null=True, blank=True)
    takedown_requested_at = models.DateTimeField(null=True, blank=True)
    # Who asked for the take-down (the last to ask, after a failure), and when the platform confirmed.
    taken_down_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    taken_down_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["account__platform", "account__handle"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "post", "account"], name="post_target_once")
        ]
        indexes = [
            # The dispatcher's scan: only due rows are in it, so it stays small however many
            # posts were published before.
            models.Index(fields=["due_at"], name="post_target_due", condition=Q(status="scheduled")),
            models.Index(fields=["workspace", "status"], name="post_target_ws_status"),
            models.Index(fields=["workspace", "account", "published_at"], name="post_target_ws_acct"),
            # Take-downs still to do: the sweep for lost tasks reads only these few rows.
            models.Index(
                fields=["workspace", "takedown_next_attempt_at"],
                name="post_target_ws_takedown",
                condition=Q(takedown_status="requested"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} -> {self.account_id} ({self.status})"


class ApprovalRule(WorkspaceOwned):
    """Posts to this business unit's accounts need an approval from one of these roles or people."""

    business_unit = WorkspaceOneToOneField(
        BusinessUnit, on_delete=models.CASCADE, related_name="approval_rule"
    )
    roles = ArrayField(models.CharField(max_length=16, choices=Role.choices), default=list, blank=True)
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ApprovalRuleApprover", blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "business_unit"], name="approval_rule_once"),
        ]

    def __str__(self) -> str:
        return f"approval for {self.business_unit}"


class ApprovalRuleApprover(WorkspaceOwned):
    """One person a rule names (`ApprovalRule.approvers`); the pair carries the rule's workspace so
    it lives beside the rule."""

    rule = WorkspaceForeignKey(
        ApprovalRule, on_delete=models.CASCADE, db_column="approvalrule_id", related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "publishing_approvalrule_approvers"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "rule", "user"], name="approval_rule_approver_once"),
        ]


class PostComment(WorkspaceOwned):
    class Kind(models.TextChoices):
        COMMENT = "comment", _("Comment")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        APPROVED = "approved", _("Approved")

    post = WorkspaceForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.COMMENT)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]


class MediaAttachment(WorkspaceOwned):
    post = WorkspaceForeignKey(Post, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to="publishing/%Y/%m/")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    description = models.CharField(max_length=1500, blank=True)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class PauseScope(models.TextChoices):
    GLOBAL = "global", _("Everything")
    BUSINESS_UNIT = "business_unit", _("Business unit")
    ACCOUNT = "account", _("Account")


class Pause(WorkspaceOwned):
    """Nothing in scope is published or advertised between `starts_at` and `ends_at` (open-ended
    when empty) unless it was lifted (`resumed_at`)."""

    scope = models.CharField(max_length=16, choices=PauseScope.choices, default=PauseScope.GLOBAL)
    business_unit = WorkspaceForeignKey(
        BusinessUnit, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    account = WorkspaceForeignKey(
        ChannelAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resumed_at = models.DateTimeField(null=True, blank=True)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["workspace", "resumed_at", "starts_at"], name="pause_ws_active")]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="global", business_unit__isnull=True, account__isnull=True)
                | Q(scope="business_unit", business_unit__isnull=False, account__isnull=True)
                | Q(scope="account", account__isnull=False, business_unit__isnull=True),
                name="pause_scope_matches_target",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="pause_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"pause {self.get_scope_display()}"

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return (
            self.resumed_at is None and self.starts_at <= at and (self.ends_at is None or self.ends_at > at)
        )

    @property
    def target_label(self) -> str:
        if self.scope == PauseScope.BUSINESS_UNIT:
            return str(self.business_unit)
        if self.scope == PauseScope.ACCOUNT:
            return str(self.account)
        return str(_("all publishing"))
