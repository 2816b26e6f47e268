"""Reads of workspaces, memberships, business units and brands, always scoped to a workspace."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from cxm.tenancy.models import Brand, BusinessUnit, Invitation, Membership, User, Workspace


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")


def membership_resolve(*, user: User, workspace_id: int | str | None) -> Membership | None:
    """The user's membership in the asked-for workspace; when none is asked, see membership_default."""
    memberships = memberships_for_user(user=user)
    if workspace_id not in (None, ""):
        try:
            return memberships.filter(workspace_id=int(workspace_id)).first()
        except (TypeError, ValueError, OverflowError):
            return None
    return membership_default(user=user)


def membership_default(*, user: User) -> Membership | None:
    """Where a request that names no workspace acts: the user's default workspace, else their only
    one. None for someone in several workspaces who chose no default: never one picked by order."""
    memberships = memberships_for_user(user=user)
    default_id = getattr(user, "default_workspace_id", None)
    if default_id is not None:
        membership = memberships.filter(workspace_id=default_id).first()
        if membership is not None:
            return membership
    first_two = list(memberships[:2])
    return first_two[0] if len(first_two) == 1 else None


def membership_first_joined(*, user: User) -> Membership | None:
    """The pages' starting point for someone in several workspaces without a default: the
    switcher in the header shows it and changes it."""
    return memberships_for_user(user=user).order_by("created_at", "id").first()


def invitations_pending(*, workspace: Workspace) -> QuerySet[Invitation]:
    return (
        Invitation.objects.for_workspace(workspace)
        .filter(status=Invitation.Status.PENDING)
        .select_related("invited_by")
        .order_by("-created_at", "-id")
    )


def invitation_for_key(*, key_hash: str) -> Invitation | None:
    """The still-usable invitation a link's key opens (pending and not expired), or None."""
    return (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(key_hash=key_hash, status=Invitation.Status.PENDING, expires_at__gt=timezone.now())
        .first()
    )


def user_has_account(*, email: str) -> bool:
    """Whether an active account holds this address (asked only by whoever holds the link)."""
    return User.objects.filter(email__iexact=email, is_active=True).exists()


def workspaces_all() -> QuerySet[Workspace]:
    """Every workspace of the platform, for its owner (a superuser)."""
    return Workspace.objects.order_by("name")


def workspace_members(*, workspace: Workspace) -> QuerySet[Membership]:
    return Membership.objects.for_workspace(workspace).select_related("user").order_by("user__username")


def business_units(*, workspace: Workspace) -> QuerySet[BusinessUnit]:
    return BusinessUnit.objects.for_workspace(workspace).order_by("name")


def brands(*, workspace: Workspace, business_unit: BusinessUnit | None = None) -> QuerySet[Brand]:
    result = Brand.objects.for_workspace(workspace).select_related("business_unit").order_by("name")
    if business_unit is not None:
        result = result.filter(business_unit=business_unit)
    return result


def admin_count(*, workspace: Workspace) -> int:
    return Membership.objects.for_workspace(workspace).filter(role="admin").count()
