"""Reads of workspaces, memberships, business units and brands, always scoped to a workspace."""

from __future__ import annotations

from django.db.models import QuerySet

from cxm.tenancy.models import Brand, BusinessUnit, Membership, User, Workspace


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")


def membership_resolve(*, user: User, workspace_id: int | str | None) -> Membership | None:
    """The user's membership in the asked-for workspace, or in their first one when none is asked."""
    memberships = memberships_for_user(user=user)
    if workspace_id not in (None, ""):
        try:
            return memberships.filter(workspace_id=int(workspace_id)).first()
        except (TypeError, ValueError):
            return None
    return memberships.first()


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
