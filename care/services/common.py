"""Small helpers every care service shares: locking a case, recording what happened, notifying."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from care.models import Case, CaseEvent, Notification
from cxm.tenancy.models import Membership
from cxm.tenancy.permissions import PERMISSIONS


def actor(by) -> Any:
    """The user to record, or None for the system (rules, workers, anonymous callers)."""
    return by if by is not None and getattr(by, "is_authenticated", False) else None


def case_lock(case: Case | int, *, workspace_id: int | None = None) -> Case:
    """The case row, locked for the rest of the transaction (re-read: the caller's copy may be stale)."""
    pk = case if isinstance(case, int) else case.pk
    if workspace_id is None and not isinstance(case, int):
        workspace_id = case.workspace_id  # the lock then goes to the workspace's own node
    rows = Case.objects.select_for_update(of=("self",)).select_related("case_type").filter(pk=pk)
    if workspace_id is not None:
        rows = rows.filter(workspace_id=workspace_id)
    found = rows.first()
    if found is None:
        raise ValidationError({"case": "No such case in this workspace."})
    return found


def case_event(*, case: Case, kind: str, by=None, **data: Any) -> CaseEvent:
    return CaseEvent.objects.create(
        workspace_id=case.workspace_id, case=case, kind=kind, actor=actor(by), data=data
    )


def notify(*, case: Case, user_id: int | None, kind: str, text: str) -> Notification | None:
    if user_id is None:
        return None
    return Notification.objects.create(
        workspace_id=case.workspace_id, case=case, user_id=user_id, kind=kind, text=text[:500]
    )


def care_workers(*, workspace_id: int):
    """Members whose role may work cases (agents and admins)."""
    return Membership.objects.filter(workspace_id=workspace_id, role__in=PERMISSIONS["care.work"])


def member_ids(*, workspace_id: int, user_ids: list[int]) -> set[int]:
    return set(
        Membership.objects.filter(workspace_id=workspace_id, user_id__in=user_ids).values_list(
            "user_id", flat=True
        )
    )
