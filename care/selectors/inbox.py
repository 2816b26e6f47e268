"""What the inbox and case pages show besides the case list itself: each row's last message and
running SLA clock, the sidebar's views with counts, who a case can go to, a conversation's new
messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from care.languages import language_name
from care.models import (
    ACTIVE_STATUSES,
    AgentProfile,
    Case,
    CsatResponse,
    Message,
    Priority,
)
from care.selectors.cases import _cases, case_messages, inbox_counts, queues
from cxm.tenancy.models import BusinessUnit, Membership, User
from cxm.tenancy.permissions import PERMISSIONS

# --- what the inbox page shows -------------------------------------------------------------------


@dataclass
class InboxRow:
    """One line of the inbox: the case, its latest message, and the SLA clock still running."""

    case: Case
    snippet: str = ""
    snippet_direction: str = ""
    due_at: datetime | None = None
    clock: str = ""  # first_response, resolution, or "" when no clock runs
    breached: bool = False


def running_clock(case: Case, now: datetime) -> tuple[datetime | None, str, bool]:
    """The SLA clock an agent is racing: the first response until answered, then resolution."""
    if case.status not in ACTIVE_STATUSES:
        return None, "", False
    if case.first_responded_at is None and case.first_response_due_at is not None:
        due, clock = case.first_response_due_at, "first_response"
    elif case.resolved_at is None and case.resolution_due_at is not None:
        due, clock = case.resolution_due_at, "resolution"
    else:
        return None, "", False
    return due, clock, due <= now


def latest_messages(*, workspace, case_ids: list[int]) -> dict[int, tuple[str, str]]:
    """case id -> (text, direction) of its newest message, one index probe per case (a lateral
    join: DISTINCT ON would read every message of a long conversation)."""
    if not case_ids:
        return {}
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.id, m.text, m.direction
            FROM unnest(%s::bigint[]) AS c(id)
            CROSS JOIN LATERAL (
                SELECT text, direction FROM care_message
                WHERE workspace_id = %s AND case_id = c.id
                ORDER BY occurred_at DESC, id DESC LIMIT 1
            ) m
            """,
            [list(case_ids), workspace_id],
        )
        return {case_id: (text, direction) for case_id, text, direction in cursor.fetchall()}


def inbox_rows(*, workspace, cases: list[Case], now: datetime | None = None) -> list[InboxRow]:
    now = now or timezone.now()
    latest = latest_messages(workspace=workspace, case_ids=[case.pk for case in cases])
    rows = []
    for case in cases:
        text, direction = latest.get(case.pk, ("", ""))
        due, clock, breached = running_clock(case, now)
        rows.append(
            InboxRow(
                case=case,
                snippet=" ".join(text.split())[:160],
                snippet_direction=direction,
                due_at=due,
                clock=clock,
                breached=breached,
            )
        )
    return rows


@dataclass
class SidebarEntry:
    label: str
    params: dict[str, str]
    count: int
    key: str = ""


def inbox_sidebar(*, workspace, user, now: datetime | None = None) -> dict[str, list[SidebarEntry]]:
    """The inbox's views with their counts of active cases, grouped as the sidebar lists them."""
    counts = inbox_counts(workspace=workspace, user=user, now=now)
    views = [
        SidebarEntry(_("Mine"), {"view": "mine"}, counts["mine"], "mine"),
        SidebarEntry(_("Unassigned"), {"view": "unassigned"}, counts["unassigned"], "unassigned"),
        SidebarEntry(_("All open"), {"view": "all"}, counts["all"], "all"),
        SidebarEntry(_("SLA breached"), {"view": "breached"}, counts["breached"], "breached"),
        SidebarEntry(_("About to breach"), {"view": "at_risk"}, counts["at_risk"], "at_risk"),
    ]
    queue_names = dict(queues(workspace=workspace).values_list("pk", "name"))
    unit_names = dict(BusinessUnit.objects.for_workspace(workspace).values_list("pk", "name"))

    def entries(grouped: dict[str, int], param: str, label) -> list[SidebarEntry]:
        result = [
            SidebarEntry(label(key), {param: key}, n, f"{param}:{key}")
            for key, n in grouped.items()
            if key != "none"
        ]
        return sorted(result, key=lambda entry: (-entry.count, entry.label))

    return {
        "views": views,
        "queues": entries(counts["by_queue"], "queue", lambda key: queue_names.get(int(key), f"#{key}")),
        "business_units": entries(
            counts["by_business_unit"], "business_unit", lambda key: unit_names.get(int(key), f"#{key}")
        ),
        "languages": entries(counts["by_language"], "language", language_name),
        "channels": entries(counts["by_platform"], "platform", str),
        "priorities": entries(counts["by_priority"], "priority", lambda key: str(Priority(key).label)),
    }


def colleagues(*, workspace) -> QuerySet[User]:
    """Members who may work cases (agents and admins), by username."""
    return User.objects.filter(
        memberships__workspace=workspace, memberships__role__in=PERMISSIONS["care.work"]
    ).order_by("username")


def assignees(*, workspace) -> list[dict[str, Any]]:
    """Who a case can be given to (members who may work cases), with presence and load."""
    members = list(
        Membership.objects.for_workspace(workspace)
        .filter(role__in=PERMISSIONS["care.work"])
        .select_related("user")
        .order_by("user__username")
    )
    profiles = {
        profile.user_id: profile
        for profile in AgentProfile.objects.for_workspace(workspace).filter(
            user_id__in=[m.user_id for m in members]
        )
    }
    loads = dict(
        Case.objects.for_workspace(workspace)
        .filter(status__in=ACTIVE_STATUSES, assignee_id__in=[m.user_id for m in members])
        .values_list("assignee_id")
        .annotate(n=Count("id"))
    )
    return [
        {
            "user": membership.user,
            "presence": profiles[membership.user_id].presence if membership.user_id in profiles else "",
            "capacity": profiles[membership.user_id].capacity if membership.user_id in profiles else None,
            "load": loads.get(membership.user_id, 0),
        }
        for membership in members
    ]


def agent_profile(*, workspace, user) -> AgentProfile | None:
    return AgentProfile.objects.for_workspace(workspace).filter(user=user).first()


def case_messages_after(*, workspace, case_id: int, after_id: int, limit: int = 200) -> list[Message]:
    """Messages added to a case after the one on screen (for the conversation's live refresh), oldest
    first."""
    rows = case_messages(workspace=workspace, case_id=case_id).filter(pk__gt=after_id)
    return list(reversed(rows[:limit]))


def csat_for_case(*, case: Case) -> CsatResponse | None:
    return CsatResponse.objects.filter(workspace_id=case.workspace_id, case=case).first()


def customer_cases(*, workspace, profile_ids: list[int], limit: int = 20) -> list[Case]:
    return list(
        _cases(workspace).filter(customer_id__in=profile_ids).order_by("-last_message_at", "-id")[:limit]
    )
