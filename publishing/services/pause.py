"""The global pause: scopes, scheduled windows, and the lock that makes "paused" mean paused.

Every publish (and every ad call) happens inside a transaction that holds the workspace's pause
lock in shared mode, re-reads the pauses, and only then calls out. Activating a pause takes the
same lock exclusively before it commits, so it waits for the calls already in flight to finish
and every call that starts after it reads the committed pause. When `pause_activate` returns, no
further call can leave.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from cxm.audit.services import audit_record
from cxm.channels.models import ChannelAccount
from cxm.stoppers import stoppers_restore, stoppers_stop
from cxm.tenancy.models import BusinessUnit, Workspace
from publishing.models import Pause, PauseScope

# First key of the two-key advisory lock; the second is the workspace id.
PAUSE_LOCK_NAMESPACE = 0x50415553  # "PAUS"


def _lock(workspace_id: int, *, exclusive: bool) -> None:
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [PAUSE_LOCK_NAMESPACE, workspace_id])


def _active(at: datetime) -> Q:
    return Q(resumed_at__isnull=True, starts_at__lte=at) & (Q(ends_at__isnull=True) | Q(ends_at__gt=at))


def pause_covering(
    *, workspace_id: int, account_id: int | None = None, business_unit_id: int | None = None, at=None
) -> Pause | None:
    """The active pause that stops a call for this account / business unit, if any."""
    scope = Q(scope=PauseScope.GLOBAL)
    if business_unit_id:
        scope |= Q(scope=PauseScope.BUSINESS_UNIT, business_unit_id=business_unit_id)
    if account_id:
        scope |= Q(scope=PauseScope.ACCOUNT, account_id=account_id)
    return (
        Pause.objects.filter(_active(at or timezone.now()), scope, workspace_id=workspace_id)
        .order_by("starts_at")
        .first()
    )


@contextmanager
def publish_permit(*, workspace_id: int, account_id: int | None = None, business_unit_id: int | None = None):
    """Yield the pause that forbids this call, or None when it may go out now.

    Must be entered inside the transaction that claims the work, and the call made before that
    transaction ends: the shared lock is what a pause waits for.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("publish_permit needs the claiming transaction (transaction.atomic)")
    _lock(workspace_id, exclusive=False)
    yield pause_covering(workspace_id=workspace_id, account_id=account_id, business_unit_id=business_unit_id)


def _state(pause: Pause) -> dict:
    return {
        "scope": pause.scope,
        "business_unit": pause.business_unit_id,
        "account": pause.account_id,
        "reason": pause.reason,
        "starts_at": pause.starts_at.isoformat(),
        "ends_at": pause.ends_at.isoformat() if pause.ends_at else None,
        "resumed_at": pause.resumed_at.isoformat() if pause.resumed_at else None,
    }


def _scope_target(workspace: Workspace, scope: str, target_id) -> dict:
    if scope == PauseScope.GLOBAL:
        return {}
    if scope == PauseScope.BUSINESS_UNIT:
        unit = BusinessUnit.objects.filter(workspace=workspace, pk=_int(target_id)).first()
        if unit is None:
            raise ValidationError({"id": "No such business unit in this workspace."})
        return {"business_unit": unit}
    if scope == PauseScope.ACCOUNT:
        account = ChannelAccount.objects.filter(workspace=workspace, pk=_int(target_id)).first()
        if account is None:
            raise ValidationError({"id": "No such account in this workspace."})
        return {"account": account}
    raise ValidationError({"scope": f"Choose one of: {', '.join(PauseScope.values)}."})


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def pause_activate(
    *,
    workspace: Workspace,
    scope: str = PauseScope.GLOBAL,
    target_id=None,
    reason: str = "",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    stop_running_ads: bool = False,
    by=None,
    request=None,
) -> Pause:
    """Pause now (or schedule a window). Returns once nothing in scope can be published.

    With `stop_running_ads`, the registered stoppers (`cxm.stoppers`) stop what already runs in
    scope too: ads sets every campaign that runs on its ad platform to PAUSED there once the pause
    starts (it records the stops with the pause, in its transaction, and sends them from workers
    after commit); resume restores exactly those."""
    now = timezone.now()
    starts_at = starts_at or now
    if ends_at is not None and ends_at <= starts_at:
        raise ValidationError({"ends_at": "The end must be after the start."})
    if ends_at is not None and ends_at <= now:
        raise ValidationError({"ends_at": "This window is already over."})
    fields = _scope_target(workspace, scope, target_id)
    with transaction.atomic():
        if starts_at <= now:
            # Wait for every publish already past its pause check to finish; new ones queue behind.
            _lock(workspace.pk, exclusive=True)
        pause = Pause.objects.create(
            workspace=workspace,
            scope=scope,
            reason=reason.strip()[:500],
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=by if getattr(by, "is_authenticated", False) else None,
            **fields,
        )
        audit_record(
            workspace=workspace,
            actor=by,
            action="publishing.pause" if starts_at <= now else "publishing.pause_scheduled",
            target=pause,
            after=_state(pause),
            request=request,
            object_repr=f"pause of {pause.target_label}",
        )
        if stop_running_ads:
            stoppers_stop(pause=pause, by=by, request=request)
    return pause


def pause_resume(
    *,
    workspace: Workspace,
    pause: Pause | None = None,
    scope: str | None = None,
    target_id=None,
    by=None,
    request=None,
) -> list[Pause]:
    """Lift one pause, the pauses of one scope, or (with neither) every pause now in force or
    still to come. Held posts stay held until someone decides about them."""
    now = timezone.now()
    pauses = Pause.objects.filter(workspace=workspace, resumed_at__isnull=True).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    if pause is not None:
        pauses = pauses.filter(pk=pause.pk)
    elif scope:
        fields = _scope_target(workspace, scope, target_id)
        pauses = pauses.filter(scope=scope, **{f"{key}_id": value.pk for key, value in fields.items()})
    lifted = []
    with transaction.atomic():
        for item in pauses.select_for_update():
            before = _state(item)
            item.resumed_at = now
            item.resumed_by = by if getattr(by, "is_authenticated", False) else None
            item.save(update_fields=["resumed_at", "resumed_by"])
            audit_record(
                workspace=workspace,
                actor=by,
                action="publishing.resume",
                target=item,
                before=before,
                after=_state(item),
                request=request,
                object_repr=f"pause of {item.target_label}",
            )
            lifted.append(item)
        if lifted:
            # What these pauses stopped beyond posts (ads: campaigns on their platforms) runs
            # again, from workers after commit, unless someone changed it meanwhile.
            stoppers_restore(pauses=lifted)
    return lifted
