"""Data-subject requests (export or erase everything held about one person) and, per workspace,
how long mentions and closed cases are kept."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cxm.encryption import EncryptedJSONField
from cxm.tenancy.models import WorkspaceOwned

DEFAULT_DUE_DAYS = 30


class PrivacyRequest(WorkspaceOwned):
    class Kind(models.TextChoices):
        EXPORT = "export", _("Export")
        ERASE = "erase", _("Erase")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    TRANSITIONS: dict[str, set[str]] = {
        Status.PENDING: {Status.RUNNING},
        # A worker that died mid-run leaves RUNNING behind; the redelivered task takes it again.
        Status.RUNNING: {Status.RUNNING, Status.DONE, Status.FAILED},
        Status.FAILED: {Status.RUNNING},
        Status.DONE: set(),
    }

    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The identity as typed, encrypted at rest, and cleared once an erasure is done: after that
    # only the mask (for people) and the keyed digest (to tell a repeated request) remain.
    identity = EncryptedJSONField(null=True, blank=True)
    identity_masked = models.CharField(max_length=64)
    identity_digest = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Records found (export) or erased (erase), per kind: {"mentions": 12, "cases": 2, ...}
    counts = models.JSONField(default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    error = models.TextField(blank=True)
    # The resolved person (profile ids, identities, names) while the request runs, encrypted, so
    # a redelivered erase still knows whom it is erasing after the identities are gone.
    subject = EncryptedJSONField(null=True, blank=True)
    # Set while a worker runs the request: a redelivered task leaves it alone until it lapses.
    lease_until = models.DateTimeField(null=True, blank=True)
    # Handlers whose erasure committed, so a run taken over after a crash does not repeat them.
    handlers_done = models.JSONField(default=list, blank=True)
    export_file = models.CharField(max_length=300, blank=True)  # relative to CXM_DATA_DIR/privacy

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="privacy_request_ws_created")]

    def __str__(self) -> str:
        return f"privacy {self.kind} request {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)

    @property
    def overdue(self) -> bool:
        end = self.completed_at or timezone.now()
        return end > self.due_at

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())


class WorkspacePrivacySettings(WorkspaceOwned):
    """Null retention keeps records forever."""

    due_days = models.PositiveIntegerField(default=DEFAULT_DUE_DAYS)
    mention_retention_days = models.PositiveIntegerField(null=True, blank=True)
    closed_case_retention_days = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="privacy_settings_once")]
        verbose_name_plural = "workspace privacy settings"

    def __str__(self) -> str:
        return f"privacy settings of workspace {self.workspace_id}"
