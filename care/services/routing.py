"""Who works a case: queue choice, automatic assignment to the least-loaded agent, assignment by hand.

Concurrency: routing locks the case row (so a case is assigned once, however many routers are
offered it), ranks the candidate agents by their load without locking them, then locks one agent
row at a time and re-counts that agent's load under the lock before assigning: no agent goes
above capacity. A router first skips agents another router holds at that moment (so a burst of
new cases spreads over the team instead of queueing behind one agent's row), and only waits for
a held agent when every candidate is held. Each attempt runs in a savepoint, so a router never
holds more than one agent row while it waits: routers cannot deadlock.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from care.models import ACTIVE_STATUSES, AgentProfile, Case, CaseStatus, Presence, Queue
from care.services.common import actor, care_workers, case_event, case_lock, notify
from cxm.tenancy.models import Membership
from cxm.tenancy.permissions import PERMISSIONS

ROUTE_BATCH = 200


def queue_for_case(case: Case, *, queues: list[Queue] | None = None) -> Queue | None:
    """The first queue, by position, whose skills cover the case. `queues`: the workspace's queues
    in that order, when the caller has read them already."""
    if queues is None:
        queues = list(Queue.objects.filter(workspace_id=case.workspace_id).order_by("position", "id"))
    for queue in queues:
        if queue.accepts(
            language=case.language, platform=case.platform, business_unit_id=case.business_unit_id
        ):
            return queue
    return None


def _candidates(case: Case) -> list[AgentProfile]:
    """Online agents who may work cases and whose skills cover this one (not locked)."""
    agents = AgentProfile.objects.filter(workspace_id=case.workspace_id, presence=Presence.ONLINE).filter(
        Exists(
            Membership.objects.filter(
                workspace_id=case.workspace_id, user_id=OuterRef("user_id"), role__in=PERMISSIONS["care.work"]
            )
        )
    )
    language = case.language.split("-")[0].lower()
    if language:
        agents = agents.filter(Q(languages=[]) | Q(languages__contains=[language]))
    if case.platform:
        agents = agents.filter(Q(platforms=[]) | Q(platforms__contains=[case.platform]))
    if case.business_unit_id:
        agents = agents.filter(
            Q(business_unit_ids=[]) | Q(business_unit_ids__contains=[case.business_unit_id])
        )
    if case.queue_id:
        agents = agents.filter(Q(queue_ids=[]) | Q(queue_ids__contains=[case.queue_id]))
    return list(agents.order_by("pk"))


class _Taken(Exception):
    """The agent tried is held by another router, went offline or filled up: try the next one."""


def _take(case: Case, agent: AgentProfile, *, wait: bool, now: datetime) -> bool:
    """Assign `case` (locked by the caller) to `agent` if, under the agent's row lock, they are
    still online and below capacity. A refusal rolls back to the savepoint, releasing the row."""
    try:
        with transaction.atomic():
            locked = (
                AgentProfile.objects.select_for_update(skip_locked=not wait)
                .filter(workspace_id=agent.workspace_id, pk=agent.pk, presence=Presence.ONLINE)
                .first()
            )
            if locked is None:
                raise _Taken
            load = agent_loads(workspace_id=case.workspace_id, user_ids=[locked.user_id]).get(
                locked.user_id, 0
            )
            if load >= locked.capacity:
                raise _Taken
            case.assignee_id = locked.user_id
            case.assigned_at = now
            case.save(update_fields=["assignee", "assigned_at", "updated_at"])
            AgentProfile.objects.filter(pk=locked.pk).update(last_assigned_at=now)
    except _Taken:
        return False
    return True


def agent_loads(*, workspace_id: int, user_ids: list[int]) -> dict[int, int]:
    rows = (
        Case.objects.filter(workspace_id=workspace_id, assignee_id__in=user_ids, status__in=ACTIVE_STATUSES)
        .values("assignee_id")
        .annotate(n=Count("id"))
    )
    return {row["assignee_id"]: row["n"] for row in rows}


def case_route(*, case_id: int, workspace_id: int, now: datetime | None = None) -> int | None:
    """Assign an unassigned active case to the least-loaded online agent with the skills and room
    for it (ties: the one who waited longest since their last case). Returns the user id, or None
    when the case needs no routing or nobody can take it now (a later sweep tries again)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = (
            Case.objects.select_for_update()
            .filter(pk=case_id, workspace_id=workspace_id, assignee__isnull=True, status__in=ACTIVE_STATUSES)
            .first()
        )
        if case is None:
            return None
        if case.queue_id is None:
            queue = queue_for_case(case)
            if queue is not None:
                case.queue = queue
                case.save(update_fields=["queue", "updated_at"])
        agents = _candidates(case)
        if not agents:
            return None
        loads = agent_loads(workspace_id=workspace_id, user_ids=[agent.user_id for agent in agents])
        ranked = sorted(
            (agent for agent in agents if loads.get(agent.user_id, 0) < agent.capacity),
            key=lambda agent: (
                loads.get(agent.user_id, 0),
                agent.last_assigned_at or datetime.min.replace(tzinfo=now.tzinfo),
                agent.pk,
            ),
        )
        # Free agents first, best first; if every one is held by another router, wait in turn.
        chosen = next((agent for agent in ranked if _take(case, agent, wait=False, now=now)), None)
        if chosen is None:
            chosen = next((agent for agent in ranked if _take(case, agent, wait=True, now=now)), None)
        if chosen is None:
            return None
        case_event(case=case, kind="assigned", user=chosen.user_id, auto=True)
        notify(case=case, user_id=chosen.user_id, kind="assigned", text=f"Case {case.pk} was assigned to you")
        return chosen.user_id


def cases_route_pending(*, workspace_id: int | None = None, limit: int = ROUTE_BATCH) -> int:
    """Try again to route unassigned cases (agents may have come online or freed capacity)."""
    pending = Case.objects.filter(assignee__isnull=True, status__in=[CaseStatus.NEW, CaseStatus.OPEN])
    if workspace_id is not None:
        pending = pending.filter(workspace_id=workspace_id)
    assigned = 0
    for case_id, case_workspace in pending.order_by("created_at", "id").values_list("pk", "workspace_id")[
        :limit
    ]:
        if case_route(case_id=case_id, workspace_id=case_workspace) is not None:
            assigned += 1
    return assigned


def case_assign(*, case: Case, assignee, by=None, force: bool = False, now: datetime | None = None) -> Case:
    """Assign by hand (or unassign with None). The assignee must be able to work cases; an agent
    at capacity is refused unless `force` (a lead may overload someone on purpose)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = case_lock(case, workspace_id=case.workspace_id)
        if case.status == CaseStatus.CLOSED:
            raise ValidationError({"assignee": "A closed case cannot be reassigned."})
        before = case.assignee_id
        if before == (assignee.pk if assignee else None):
            return case
        if assignee is not None:
            if not care_workers(workspace_id=case.workspace_id).filter(user_id=assignee.pk).exists():
                raise ValidationError({"assignee": "This person cannot work cases in this workspace."})
            agent = (
                AgentProfile.objects.select_for_update()
                .filter(workspace_id=case.workspace_id, user_id=assignee.pk)
                .first()
            )
            if agent is not None:
                load = agent_loads(workspace_id=case.workspace_id, user_ids=[assignee.pk]).get(assignee.pk, 0)
                if case.is_active and load >= agent.capacity and not force:
                    raise ValidationError(
                        {
                            "assignee": f"This agent already has {load} active cases (capacity {agent.capacity})."
                        }
                    )
                agent.last_assigned_at = now
                agent.save(update_fields=["last_assigned_at"])
        case.assignee = assignee
        case.assigned_at = now if assignee else None
        case.save(update_fields=["assignee", "assigned_at", "updated_at"])
        case_event(
            case=case,
            kind="assigned",
            by=by,
            user=assignee.pk if assignee else None,
            previous=before,
            auto=False,
        )
        if assignee is not None and assignee.pk != getattr(actor(by), "pk", None):
            notify(
                case=case, user_id=assignee.pk, kind="assigned", text=f"Case {case.pk} was assigned to you"
            )
        return case
