"""One profile per person, and the identities (handles, DIDs, addresses) that lead to it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cxm.db.fields import WorkspaceForeignKey
from cxm.tenancy.models import WorkspaceOwned


class CustomerProfile(WorkspaceOwned):
    display_name = models.CharField(max_length=255, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    # Set while this profile is merged into another: its identities live there, and lists hide it.
    # Kept (not deleted) so the merge can be undone exactly and old references still resolve.
    merged_into = WorkspaceForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_profiles"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "display_name"], name="customer_ws_name"),
            models.Index(fields=["workspace", "merged_into"], name="customer_ws_merged_into"),
        ]

    def __str__(self) -> str:
        return self.display_name or f"customer {self.pk}"


class Identity(WorkspaceOwned):
    """A person as one platform knows them. (workspace, platform, platform_id) is unique: the same
    author seen again, on any account of the workspace, leads to the same profile."""

    profile = WorkspaceForeignKey(CustomerProfile, on_delete=models.CASCADE, related_name="identities")
    platform = models.CharField(max_length=32)
    platform_id = models.CharField(max_length=255)
    handle = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=255, blank=True)
    # Exact evidence for linking profiles automatically: a lower-cased email address, a phone number
    # in E.164 ("+6281234567890"), and whether the handle was verified (by the platform or by a
    # person). See cxm.customers.evidence. db_default keeps raw inserts valid.
    email = models.CharField(max_length=254, blank=True, default="", db_default="")
    phone = models.CharField(max_length=16, blank=True, default="", db_default="")
    verified = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "platform", "platform_id"], name="identity_unique"),
        ]
        indexes = [
            models.Index(fields=["workspace", "profile"], name="identity_ws_profile"),
            models.Index(fields=["workspace", "handle"], name="identity_ws_handle"),
            models.Index(fields=["workspace", "email"], name="identity_ws_email", condition=~Q(email="")),
            models.Index(fields=["workspace", "phone"], name="identity_ws_phone", condition=~Q(phone="")),
        ]
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"{self.platform}:{self.handle or self.platform_id}"


class CustomerMerge(WorkspaceOwned):
    """One merge of `source` into `target`, with exactly the identities it moved, so it can be undone."""

    source = WorkspaceForeignKey(CustomerProfile, on_delete=models.CASCADE, related_name="+")
    target = WorkspaceForeignKey(CustomerProfile, on_delete=models.CASCADE, related_name="merges_in")
    identity_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    reason = models.CharField(max_length=120, blank=True)  # "by hand", "same email address", ...
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "target", "-created_at"], name="customer_merge_ws_target")
        ]

    def __str__(self) -> str:
        return f"merge of customer {self.source_id} into {self.target_id}"

    @property
    def reason_label(self) -> str:
        """The reason in the reader's language (stored in English, as the API gives it)."""
        return MERGE_REASON_LABELS.get(self.reason, self.reason)


MERGE_REASON_LABELS = {
    "by hand": _("by hand"),
    "same email address": _("same email address"),
    "same phone number": _("same phone number"),
    "same verified handle": _("same verified handle"),
}
