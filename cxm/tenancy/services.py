"""Every write to workspaces, memberships, business units and brands; sensitive ones are audited."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cxm.api.services import api_tokens_revoke_all
from cxm.audit.services import audit_record
from cxm.demo_seeders import demo_seed
from cxm.tenancy.models import Brand, BusinessUnit, Membership, Role, User, Workspace
from cxm.tenancy.selectors import admin_count, memberships_for_user
from cxm.transactions import created_once


@transaction.atomic
def workspace_create(
    *, name: str, owner: User | None = None, slug: str = "", by: User | None = None, request=None
) -> Workspace:
    """A new workspace; `owner` (when given) becomes its first admin."""
    base = slugify(slug or name)[:50] or "workspace"
    candidate, n = base, 1
    while Workspace.objects.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    workspace = Workspace.objects.create(name=name, slug=candidate)
    audit_record(
        workspace=workspace,
        actor=by,
        action="workspace.create",
        target=workspace,
        after={"name": name, "slug": candidate, "admin": owner.get_username() if owner else None},
        request=request,
    )
    if owner is not None:
        _membership_create(workspace=workspace, user=owner, role=Role.ADMIN)
    return workspace


def _membership_create(*, workspace: Workspace, user: User, role: str) -> Membership:
    """Joining a workspace never moves where the user's API calls land: someone who had one
    workspace and no default keeps that one as their default; a first workspace becomes it."""
    if user.default_workspace_id is None:
        current = list(memberships_for_user(user=user).values_list("workspace_id", flat=True)[:2])
        if len(current) <= 1:
            user.default_workspace_id = current[0] if current else workspace.pk
            User.objects.filter(pk=user.pk).update(default_workspace_id=user.default_workspace_id)
    return Membership.objects.create(workspace=workspace, user=user, role=role)


@transaction.atomic
def membership_add(
    *, workspace: Workspace, user: User, role: str, by: User | None, request=None
) -> Membership:
    """Make `user` a member. Only for someone who agreed (an accepted invitation) or for the
    platform's own set-up: admins invite people (cxm.tenancy.invitations), they never add them."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    if Membership.objects.filter(workspace=workspace, user=user).exists():
        raise ValidationError({"user": "This user is already a member of the workspace."})
    membership = _membership_create(workspace=workspace, user=user, role=role)
    audit_record(
        workspace=workspace,
        actor=by,
        action="member.add",
        target=membership,
        object_repr=user.get_username(),
        after={"role": role},
        request=request,
    )
    return membership


def _refuse_last_admin(membership: Membership) -> None:
    if membership.role == Role.ADMIN and admin_count(workspace=membership.workspace) <= 1:
        raise ValidationError({"role": "A workspace keeps at least one admin."})


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, by: User | None, request=None) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    # The workspace row too: it queues role changes and removals in one workspace, so two admins
    # demoting each other at once cannot both pass the last-admin check.
    membership = (
        Membership.objects.select_for_update(of=("self", "workspace"))
        .select_related("user", "workspace")
        .get(pk=membership.pk)
    )
    if membership.role == role:
        return membership
    if role != Role.ADMIN:
        _refuse_last_admin(membership)
    before = {"role": membership.role}
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        workspace=membership.workspace,
        actor=by,
        action="member.role_change",
        target=membership,
        object_repr=membership.user.get_username(),
        before=before,
        after={"role": role},
        request=request,
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User | None, request=None) -> None:
    """Remove a member. Every API token of theirs ends too: a token names no workspace, and
    the simplest rule that cannot leave one working where access ended is to end them all."""
    # The workspace row too: it queues role changes and removals in one workspace, so two admins
    # demoting each other at once cannot both pass the last-admin check.
    membership = (
        Membership.objects.select_for_update(of=("self", "workspace"))
        .select_related("user", "workspace")
        .get(pk=membership.pk)
    )
    _refuse_last_admin(membership)
    audit_record(
        workspace=membership.workspace,
        actor=by,
        action="member.remove",
        target=membership,
        object_repr=membership.user.get_username(),
        before={"role": membership.role},
        request=request,
    )
    user = membership.user
    membership.delete()
    if user.default_workspace_id == membership.workspace_id:
        User.objects.filter(pk=user.pk).update(default_workspace=None)
    api_tokens_revoke_all(
        user=user, reason="membership_removed", workspace=membership.workspace, by=by, request=request
    )


@transaction.atomic
def user_default_workspace_set(*, user: User, workspace_id: int | None, request=None) -> User:
    """Choose where the user's requests act when they name no workspace: one they belong to."""
    if (
        workspace_id is not None
        and not memberships_for_user(user=user).filter(workspace_id=workspace_id).exists()
    ):
        raise ValidationError({"default_workspace": _("No such workspace among yours.")})
    return _user_preference_set(
        user=user, field="default_workspace_id", value=workspace_id, request=request
    )


def user_time_zone_set(*, user: User, time_zone: str, request=None) -> User:
    """The zone a person reads and types times in (a post's schedule among them)."""
    if time_zone not in available_timezones():
        raise ValidationError({"time_zone": _("Unknown time zone.")})
    return _user_preference_set(user=user, field="time_zone", value=time_zone, request=request)


def _user_preference_set(*, user: User, field: str, value, request=None) -> User:
    """Store one of a person's own preferences; a change is audited as `user.<preference>`."""
    name = field.removesuffix("_id")
    before = {name: getattr(user, field)}
    setattr(user, field, value)
    User.objects.filter(pk=user.pk).update(**{field: value})
    if before[name] != value:
        audit_record(
            workspace=None,
            actor=user,
            action=f"user.{name}",
            target=user,
            before=before,
            after={name: value},
            request=request,
        )
    return user


def _check_business_unit(workspace: Workspace, business_unit: BusinessUnit | None) -> None:
    if business_unit is not None and business_unit.workspace_id != workspace.pk:
        raise ValidationError({"business_unit": "No such business unit in this workspace."})


@transaction.atomic
def business_unit_create(
    *, workspace: Workspace, name: str, by: User | None = None, request=None
) -> BusinessUnit:
    taken = {"name": "A business unit with this name already exists."}
    if BusinessUnit.objects.filter(workspace=workspace, name=name).exists():
        raise ValidationError(taken)
    with created_once("business_unit_name_unique", taken):  # the same name saved at the same moment
        unit = BusinessUnit.objects.create(workspace=workspace, name=name)
    audit_record(
        workspace=workspace,
        actor=by,
        action="business_unit.create",
        target=unit,
        after={"name": name},
        request=request,
    )
    return unit


@transaction.atomic
def business_unit_update(
    *, unit: BusinessUnit, name: str, by: User | None = None, request=None
) -> BusinessUnit:
    if BusinessUnit.objects.filter(workspace_id=unit.workspace_id, name=name).exclude(pk=unit.pk).exists():
        raise ValidationError({"name": "A business unit with this name already exists."})
    before = {"name": unit.name}
    unit.name = name
    unit.save(update_fields=["name"])
    audit_record(
        workspace=unit.workspace,
        actor=by,
        action="business_unit.update",
        target=unit,
        before=before,
        after={"name": name},
        request=request,
    )
    return unit


@transaction.atomic
def business_unit_delete(*, unit: BusinessUnit, by: User | None = None, request=None) -> None:
    if unit.brands.exists():
        raise ValidationError({"business_unit": "Move or delete this business unit's brands first."})
    audit_record(
        workspace=unit.workspace,
        actor=by,
        action="business_unit.delete",
        target=unit,
        before={"name": unit.name},
        request=request,
    )
    unit.delete()


@transaction.atomic
def brand_create(
    *,
    workspace: Workspace,
    name: str,
    business_unit: BusinessUnit | None = None,
    is_competitor: bool = False,
    by: User | None = None,
    request=None,
) -> Brand:
    _check_business_unit(workspace, business_unit)
    taken = {"name": "A brand with this name already exists."}
    if Brand.objects.filter(workspace=workspace, name=name).exists():
        raise ValidationError(taken)
    with created_once("brand_name_unique", taken):  # the same name saved at the same moment
        brand = Brand.objects.create(
            workspace=workspace, name=name, business_unit=business_unit, is_competitor=is_competitor
        )
    audit_record(
        workspace=workspace,
        actor=by,
        action="brand.create",
        target=brand,
        after=_brand_state(brand),
        request=request,
    )
    return brand


def _brand_state(brand: Brand) -> dict:
    return {"name": brand.name, "business_unit": brand.business_unit_id, "is_competitor": brand.is_competitor}


@transaction.atomic
def brand_update(*, brand: Brand, by: User | None = None, request=None, **changes) -> Brand:
    allowed = {"name", "business_unit", "is_competitor"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    if "business_unit" in changes:
        _check_business_unit(brand.workspace, changes["business_unit"])
    if "name" in changes and (
        Brand.objects.filter(workspace_id=brand.workspace_id, name=changes["name"])
        .exclude(pk=brand.pk)
        .exists()
    ):
        raise ValidationError({"name": "A brand with this name already exists."})
    before = _brand_state(brand)
    for field, value in changes.items():
        setattr(brand, field, value)
    brand.save()
    audit_record(
        workspace=brand.workspace,
        actor=by,
        action="brand.update",
        target=brand,
        before=before,
        after=_brand_state(brand),
        request=request,
    )
    return brand


@transaction.atomic
def brand_delete(*, brand: Brand, by: User | None = None, request=None) -> None:
    audit_record(
        workspace=brand.workspace,
        actor=by,
        action="brand.delete",
        target=brand,
        before=_brand_state(brand),
        request=request,
    )
    brand.delete()


SECURITY_SETTINGS = (
    "require_two_factor_for_admins",
    "allow_private_webhook_targets",
    "allow_admin_self_approval",
)


@transaction.atomic
def workspace_security_update(
    *, workspace: Workspace, by: User | None = None, request=None, **changes: bool
) -> Workspace:
    """Change the workspace's security settings (two-factor for admins, private webhook targets,
    admins approving their own posts and campaigns); a change is audited with before and after."""
    unknown = set(changes) - set(SECURITY_SETTINGS)
    if unknown:
        raise ValueError(f"not a security setting: {', '.join(sorted(unknown))}")
    before = {name: getattr(workspace, name) for name in SECURITY_SETTINGS}
    for name, value in changes.items():
        setattr(workspace, name, bool(value))
    after = {name: getattr(workspace, name) for name in SECURITY_SETTINGS}
    if before != after:
        workspace.save(update_fields=list(SECURITY_SETTINGS))
        audit_record(
            workspace=workspace,
            actor=by,
            action="workspace.security",
            target=workspace,
            before=before,
            after=after,
            request=request,
        )
    return workspace


@dataclass
class BootstrapResult:
    created: bool
    generated_password: str = ""


@transaction.atomic
def platform_bootstrap() -> BootstrapResult:
    """Seed once: a lock and the presence of any user make a second start a no-op."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('cxm.platform_bootstrap'))")
    if User.objects.exists():
        return BootstrapResult(created=False)
    password = os.environ.get("CXM_ADMIN_PASSWORD", "")
    generated = "" if password else secrets.token_urlsafe(12)
    admin = User.objects.create_superuser("admin", "admin@example.com", password or generated)
    workspace = workspace_create(name="Demo", owner=admin, slug="demo")
    unit = business_unit_create(workspace=workspace, name="Consumer", by=None)
    brand_create(workspace=workspace, name="Kopi Nusantara", business_unit=unit, by=None)
    brand_create(workspace=workspace, name="Teh Segar", business_unit=unit, by=None)
    brand_create(workspace=workspace, name="Rival Coffee", business_unit=None, is_competitor=True, by=None)
    if settings.CXM_DEMO:
        demo_seed(workspace=workspace)
    return BootstrapResult(created=True, generated_password=generated)
