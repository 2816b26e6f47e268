"""SLA clocks on cases: set the due times from the priority's policy, and sweep for breaches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from care import sla
from care.models import ACTIVE_STATUSES, Case, RuleEvent, SlaPolicy
from care.services import rules
from care.services.common import case_event, notify

SCAN_BATCH = 500


def policy_for(*, workspace_id: int, priority: str) -> SlaPolicy | None:
    return SlaPolicy.objects.filter(workspace_id=workspace_id, priority=priority).first()


def _due(policy: SlaPolicy, start: datetime, minutes: int) -> datetime:
    return sla.add_business_minutes(
        start,
        minutes,
        schedule=sla.parse_schedule(policy.schedule),
        tz=ZoneInfo(policy.time_zone),
        holidays=policy.holidays or (),
    )


def _warn(policy: SlaPolicy, start: datetime, due: datetime) -> datetime:
    return max(start, due - timedelta(minutes=policy.warn_before_minutes))


_UNREAD = object()


def sla_apply(
    case: Case,
    *,
    start: datetime,
    first_response: bool = True,
    resolution: bool = True,
    policy: SlaPolicy | object | None = _UNREAD,
) -> list[str]:
    """Set the case's due and warning times from its priority's policy, counting from `start`.

    Changes the instance only; returns the fields to save. A clock already stopped (answered,
    resolved) is left alone; without a policy the clocks are cleared. `policy`: the policy for the
    case's priority (None: there is none), when the caller has read it already.
    """
    if policy is _UNREAD:
        policy = policy_for(workspace_id=case.workspace_id, priority=case.priority)
    changed: list[str] = []
    if first_response and case.first_responded_at is None:
        due = _due(policy, start, policy.first_response_minutes) if policy else None
        case.first_response_due_at = due
        case.first_response_warn_at = _warn(policy, start, due) if policy and due else None
        case.first_response_breached_at = None
        changed += ["first_response_due_at", "first_response_warn_at", "first_response_breached_at"]
    if resolution and case.resolved_at is None:
        due = _due(policy, start, policy.resolution_minutes) if policy else None
        case.resolution_due_at = due
        case.resolution_warn_at = _warn(policy, start, due) if policy and due else None
        case.resolution_breached_at = None
        changed += ["resolution_due_at", "resolution_warn_at", "resolution_breached_at"]
    return changed


@dataclass
class ScanResult:
    breached: list[tuple[int, str]] = field(default_factory=list)  # (case id, clock)
    warned: list[tuple[int, str]] = field(default_factory=list)


def sla_scan(*, now: datetime | None = None, batch: int = SCAN_BATCH) -> ScanResult:
    """Mark breached clocks and fire `sla_near_breach` rules for clocks about to run out.

    Each flag is set once (breached_at, warn_at cleared), so running the sweep again, or two
    sweeps at once (rows are claimed with SKIP LOCKED), never fires twice.
    """
    now = now or timezone.now()
    result = ScanResult()
    waiting_first = Q(first_responded_at__isnull=True)
    waiting_resolution = Q(resolved_at__isnull=True)
    due = (
        (waiting_first & Q(first_response_breached_at__isnull=True, first_response_due_at__lte=now))
        | (waiting_resolution & Q(resolution_breached_at__isnull=True, resolution_due_at__lte=now))
        | (waiting_first & Q(first_response_warn_at__lte=now))
        | (waiting_resolution & Q(resolution_warn_at__lte=now))
    )
    with transaction.atomic():
        cases = list(
            Case.objects.select_for_update(skip_locked=True)
            .filter(due, status__in=ACTIVE_STATUSES)
            .order_by("pk")[:batch]
        )
        for case in cases:
            for clock in ("first_response", "resolution"):
                stopped = case.first_responded_at if clock == "first_response" else case.resolved_at
                if stopped is not None:
                    continue
                due_at = getattr(case, f"{clock}_due_at")
                warn_at = getattr(case, f"{clock}_warn_at")
                if due_at is not None and due_at <= now and getattr(case, f"{clock}_breached_at") is None:
                    setattr(case, f"{clock}_breached_at", now)
                    setattr(case, f"{clock}_warn_at", None)
                    case.save(update_fields=[f"{clock}_breached_at", f"{clock}_warn_at", "updated_at"])
                    case_event(case=case, kind="sla_breached", clock=clock, due_at=due_at.isoformat())
                    notify(
                        case=case,
                        user_id=case.assignee_id,
                        kind="sla",
                        text=f"SLA breached ({clock.replace('_', ' ')})",
                    )
                    result.breached.append((case.pk, clock))
                elif warn_at is not None and warn_at <= now:
                    setattr(case, f"{clock}_warn_at", None)
                    case.save(update_fields=[f"{clock}_warn_at", "updated_at"])
                    case_event(
                        case=case,
                        kind="sla_near_breach",
                        clock=clock,
                        due_at=due_at.isoformat() if due_at else None,
                    )
                    rules.rules_fire(case=case, event=RuleEvent.SLA_NEAR_BREACH, extra={"sla_clock": clock})
                    case.refresh_from_db()
                    result.warned.append((case.pk, clock))
    return result
