"""Workspaces (tenants), their business units and brands, users and their roles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    ANALYST = "analyst", _("Analyst")
    AGENT = "agent", _("Care agent")
    MARKETER = "marketer", _("Marketer")
    APPROVER = "approver", _("Approver")


class User(AbstractUser):
    time_zone = models.CharField(max_length=64, default="UTC")
    language = models.CharField(max_length=8, blank=True, default="")


class Workspace(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkspaceQuerySet(models.QuerySet):
    def for_workspace(self, workspace: Workspace | int):
        return self.filter(workspace=workspace)


class WorkspaceOwned(models.Model):
    """Every tenant-owned row carries its workspace; queries start from `for_workspace()`."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        abstract = True


class BusinessUnit(WorkspaceOwned):
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="business_unit_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Brand(WorkspaceOwned):
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="brands"
    )
    name = models.CharField(max_length=120)
    # Competitors are listened to (share of voice) but never published or answered for.
    is_competitor = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="brand_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(WorkspaceOwned):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workspace_id", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in workspace {self.workspace_id}"
