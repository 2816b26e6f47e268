"""One profile per person, and the identities (handles, DIDs, addresses) that lead to it."""

from __future__ import annotations

from django.db import models

from cxm.tenancy.models import WorkspaceOwned


class CustomerProfile(WorkspaceOwned):
    display_name = models.CharField(max_length=255, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "display_name"], name="customer_ws_name")]

    def __str__(self) -> str:
        return self.display_name or f"customer {self.pk}"


class Identity(WorkspaceOwned):
    """A person as one platform knows them. (workspace, platform, platform_id) is unique: the same
    author seen again, on any account of the workspace, leads to the same profile."""

    profile = models.ForeignKey(CustomerProfile, on_delete=models.CASCADE, related_name="identities")
    platform = models.CharField(max_length=32)
    platform_id = models.CharField(max_length=255)
    handle = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "platform", "platform_id"], name="identity_unique"),
        ]
        indexes = [
            models.Index(fields=["workspace", "profile"], name="identity_ws_profile"),
            models.Index(fields=["workspace", "handle"], name="identity_ws_handle"),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.handle or self.platform_id}"
