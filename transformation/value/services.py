"""Writes of the value model, the ROI cases and the operating model's RACI: each one transaction,
each audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cxm.audit.services import audit_record
from cxm.tenancy.models import Membership, Role
from cxm.transactions import created_once
from transformation import roi as roi_math
from transformation.capabilities import BY_KEY as CAPABILITIES_BY_KEY
from transformation.kpis.registry import BY_KEY as KPIS_BY_KEY
from transformation.models import DriverCategory, Raci, RaciAssignment, RoiCase, ValueDriver
from transformation.value.selectors import DEFAULT_DRIVERS, drivers, suggestion_target

# --- value drivers -----------------------------------------------------------------------------------


def _driver_clean(*, category: str, name: str, kpi: str, target: float | None) -> None:
    errors: dict[str, list[str]] = {}
    if category not in DriverCategory.values:
        errors["category"] = [_("Choose revenue, cost or risk.")]
    if not (name or "").strip():
        errors["name"] = [_("Name the value this driver stands for.")]
    if kpi not in KPIS_BY_KEY:
        errors["kpi"] = [_("Choose one of the measured KPIs.")]
    if target is None:
        errors["target"] = [_("Set the target the KPI should reach.")]
    if errors:
        raise ValidationError(errors)


def _driver_state(driver: ValueDriver) -> dict[str, Any]:
    return {
        "category": driver.category,
        "name": driver.name,
        "kpi": driver.kpi,
        "baseline": driver.baseline,
        "target": driver.target,
    }


@transaction.atomic
def driver_create(
    *,
    workspace,
    category: str,
    name: str,
    kpi: str,
    target: float | None,
    baseline: float | None = None,
    by=None,
    request=None,
) -> ValueDriver:
    """A new driver at the end of its category. Without a baseline, the measured one is shown."""
    _driver_clean(category=category, name=name, kpi=kpi, target=target)
    position = drivers(workspace=workspace).filter(category=category).count()
    driver = ValueDriver.objects.create(
        workspace=workspace,
        category=category,
        name=name.strip(),
        kpi=kpi,
        baseline=baseline,
        target=target,
        position=position,
    )
    audit_record(
        workspace=workspace,
        actor=by,
        action="transformation.driver_create",
        target=driver,
        after=_driver_state(driver),
        request=request,
        object_repr=driver.name,
    )
    return driver


@transaction.atomic
def driver_suggestion_add(*, workspace, index: int, by=None, request=None) -> ValueDriver:
    try:
        item = DEFAULT_DRIVERS[index]
    except (IndexError, TypeError):
        raise ValidationError({"suggestion": [_("No such suggestion.")]}) from None
    return driver_create(
        workspace=workspace,
        category=item["category"],
        name=str(item["name"]),
        kpi=item["kpi"],
        target=suggestion_target(item["kpi"]),
        by=by,
        request=request,
    )


@transaction.atomic
def driver_update(
    *,
    driver: ValueDriver,
    category: str,
    name: str,
    kpi: str,
    target: float | None,
    baseline: float | None,
    by=None,
    request=None,
) -> ValueDriver:
    _driver_clean(category=category, name=name, kpi=kpi, target=target)
    before = _driver_state(driver)
    driver.category, driver.name, driver.kpi = category, name.strip(), kpi
    driver.target, driver.baseline = target, baseline
    driver.save()
    audit_record(
        workspace=driver.workspace,
        actor=by,
        action="transformation.driver_update",
        target=driver,
        before=before,
        after=_driver_state(driver),
        request=request,
        object_repr=driver.name,
    )
    return driver


@transaction.atomic
def driver_delete(*, driver: ValueDriver, by=None, request=None) -> None:
    audit_record(
        workspace=driver.workspace,
        actor=by,
        action="transformation.driver_delete",
        target=driver,
        before=_driver_state(driver),
        request=request,
        object_repr=driver.name,
    )
    driver.delete()


# --- ROI cases ---------------------------------------------------------------------------------------


@transaction.atomic
def roi_case_save(*, workspace, name: str, data: dict[str, Any], by=None, request=None) -> RoiCase:
    """Save a case with the figures computed from it; raises RoiInputError on bad input."""
    if not (name or "").strip():
        raise roi_math.RoiInputError({"name": [_("Name the case.")]})
    parsed = roi_math.roi_parse(data)
    results = roi_math.roi_compute(parsed)
    case = RoiCase.objects.create(
        workspace=workspace,
        name=name.strip()[:200],
        discount_rate=parsed.discount_rate,
        inputs={"benefits": data["benefits"], "costs": data["costs"]},
        results=results,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit_record(
        workspace=workspace,
        actor=by,
        action="transformation.roi_case_save",
        target=case,
        after=results,
        request=request,
        object_repr=case.name,
    )
    return case


# --- operating model (RACI) --------------------------------------------------------------------------


def _raci_state(assignment: RaciAssignment) -> dict[str, Any]:
    return {
        "capability": assignment.capability,
        "user": assignment.user.get_username() if assignment.user_id else None,
        "role": assignment.role or None,
        "letter": assignment.letter,
    }


@transaction.atomic
def raci_assign(
    *,
    workspace,
    capability: str,
    letter: str,
    user_id: int | None = None,
    role: str = "",
    by=None,
    request=None,
) -> RaciAssignment:
    """Give a member, or everyone holding a role, a RACI letter for a capability. A capability has
    one Accountable at most: someone must answer for it, and only one can."""
    errors: dict[str, list[str]] = {}
    if capability not in CAPABILITIES_BY_KEY:
        errors["capability"] = [_("No such capability.")]
    if letter not in Raci.values:
        errors["letter"] = [_("Choose R, A, C or I.")]
    user = None
    if bool(user_id) == bool(role):
        errors["who"] = [_("Choose a member or a role.")]
    elif user_id:
        membership = (
            Membership.objects.for_workspace(workspace).filter(user_id=user_id).select_related("user").first()
        )
        if membership is None:
            errors["who"] = [_("Choose a member of this workspace.")]
        else:
            user = membership.user
    elif role not in Role.values:
        errors["who"] = [_("Choose one of the roles.")]
    if errors:
        raise ValidationError(errors)
    existing = RaciAssignment.objects.for_workspace(workspace).filter(capability=capability)
    if existing.filter(letter=letter, user=user, role=role if user is None else "").exists():
        raise ValidationError({"who": [_("Already assigned.")]})
    # The partial unique constraint keeps the one Accountable, also against an assignment made at
    # the same moment; a check before the insert could not.
    with created_once(
        "transformation_raci_one_accountable",
        {"letter": _("This capability already has someone accountable; remove them first.")},
    ):
        assignment = RaciAssignment.objects.create(
            workspace=workspace,
            capability=capability,
            letter=letter,
            user=user,
            role=role if user is None else "",
        )
    audit_record(
        workspace=workspace,
        actor=by,
        action="transformation.raci_assign",
        target=assignment,
        after=_raci_state(assignment),
        request=request,
        object_repr=f"{capability} {letter}",
    )
    return assignment


@transaction.atomic
def raci_remove(*, assignment: RaciAssignment, by=None, request=None) -> None:
    audit_record(
        workspace=assignment.workspace,
        actor=by,
        action="transformation.raci_remove",
        target=assignment,
        before=_raci_state(assignment),
        request=request,
        object_repr=f"{assignment.capability} {assignment.letter}",
    )
    assignment.delete()
