"""Workspaces (tenants), their business units and brands, users and their roles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cxm.db.fields import WorkspaceForeignKey
from cxm.encryption import EncryptedJSONField
from cxm.tenancy.signals import user_access_ended


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    ANALYST = "analyst", _("Analyst")
    AGENT = "agent", _("Care agent")
    MARKETER = "marketer", _("Marketer")
    APPROVER = "approver", _("Approver")
    # Executives: read dashboards and reports, answer maturity assessments, change nothing else.
    LEADER = "leader", _("Leader")


class User(AbstractUser):
    time_zone = models.CharField(max_length=64, default="UTC")
    language = models.CharField(max_length=8, blank=True, default="")
    # Where an API call without X-Workspace acts, for someone in several workspaces; only ever
    # one they belong to (cxm.tenancy.services.user_default_workspace_set).
    default_workspace = models.ForeignKey(
        "Workspace", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def save(self, *args, **kwargs):
        # API tokens end with the password that stood behind them and with the account itself,
        # whichever path changed them: the password form, an invitation, the admin, a command.
        password_changed = self._password is not None
        super().save(*args, **kwargs)
        if password_changed or not self.is_active:
            user_access_ended.send(
                sender=type(self),
                user=self,
                reason="password_changed" if password_changed else "deactivated",
            )


class Workspace(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Admins without two-factor authentication are sent to enrol before they can use the workspace.
    require_two_factor_for_admins = models.BooleanField(default=False)
    # Outbound webhooks to private, loopback or link-local addresses are refused unless an admin
    # allows them here (an on-premises receiver, say); see cxm.channels.outbound.
    allow_private_webhook_targets = models.BooleanField(default=False)
    # Four eyes: nobody approves their own post or campaign. A small team may let its admins
    # approve their own work; off unless an admin turns it on (audited with the other settings).
    allow_admin_self_approval = models.BooleanField(default=False)

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

    # Saving and reloading a row name its workspace as well as its id, so each statement goes to
    # the one node holding the workspace once tables are distributed by it (docs/scale-out.md).
    # The workspace is used only when already loaded: reading a deferred one would cost a query.

    def _do_update(self, base_qs, *args, **kwargs):
        if "workspace_id" in self.__dict__:
            base_qs = base_qs.filter(workspace_id=self.workspace_id)
        return super()._do_update(base_qs, *args, **kwargs)

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        if from_queryset is None and self.__dict__.get("workspace_id") is not None:
            from_queryset = type(self)._base_manager.filter(workspace_id=self.workspace_id)
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)


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
    business_unit = WorkspaceForeignKey(
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


class TwoFactorDevice(models.Model):
    """A user's TOTP authenticator. It protects sign-in only once confirmed with a first code."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    # The base32 TOTP secret, encrypted at rest.
    secret = EncryptedJSONField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last 30-second step a code was accepted for: a code works once, even inside its window.
    last_used_step = models.BigIntegerField(default=0)
    # SHA-256 digests of the unused one-time recovery codes; the codes are shown once.
    recovery_code_hashes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"two-factor device of {self.user}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class LoginFailure(models.Model):
    """One failed sign-in, counted per username and per client address to throttle guessing."""

    username = models.CharField(max_length=150)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["username", "at"], name="login_failure_user_at"),
            models.Index(fields=["ip_address", "at"], name="login_failure_ip_at"),
        ]

    def __str__(self) -> str:
        return f"failed sign-in for {self.username} from {self.ip_address} at {self.at}"


class Invitation(WorkspaceOwned):
    """An admin's invitation to join a workspace with a role, sent as a link to an e-mail address.

    Nothing about the address's owner is looked up when it is made: whether the address already
    has an account matters only when the link is opened (a newcomer sets a password, an existing
    user signs in and accepts). The link's key is random and stored only as its SHA-256.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")

    email = models.EmailField()
    name = models.CharField(max_length=150, blank=True)
    # One of Role's values, checked by the service (no choices here, so a new role needs no
    # migration of invitations).
    role = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Found by the accepting link's key alone (its own index); unique within the workspace.
    key_hash = models.CharField(max_length=64, db_index=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open invitation per address and workspace; re-sending renews that one.
            models.UniqueConstraint(
                Lower("email"),
                "workspace",
                condition=models.Q(status="pending"),
                name="invitation_pending_unique",
            ),
            models.UniqueConstraint(fields=["workspace", "key_hash"], name="invitation_key_once"),
        ]

    def __str__(self) -> str:
        return f"invitation of {self.email} ({self.role}) to workspace {self.workspace_id}"

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role in Role.values else self.role

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.PENDING and self.expires_at > timezone.now()
