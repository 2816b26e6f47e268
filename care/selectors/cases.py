"""Cases, the inbox list and its counts, a conversation's messages, the setup lists, and the care
part of a customer's timeline. All scoped to one workspace; lists are keyset-paged (`Page`)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from care.models import (
    ACTIVE_STATUSES,
    AgentProfile,
    AutomationRule,
    Case,
    CaseEvent,
    CaseType,
    ChannelKind,
    CsatResponse,
    Direction,
    Macro,
    Message,
    Notification,
    Queue,
    SlaPolicy,
)
from cxm.customers.models import Identity
from cxm.customers.timeline import TimelineEntry
from cxm.web.templatetags.labels import platform_label

AT_RISK_MINUTES = 60
VIEWS = ("all", "mine", "unassigned", "breached", "at_risk")


# --- keyset paging -------------------------------------------------------------------------------


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def encode_cursor(at: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([at.isoformat(), pk]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        at, pk = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        parsed = parse_datetime(at)
        return (parsed, int(pk)) if parsed else None
    except (ValueError, TypeError):
        return None


def _page(rows: QuerySet, time_field: str, cursor: str | None, size: int) -> Page:
    """Rows ordered (-time_field, -id); the cursor is the last row's (time, id)."""
    position = decode_cursor(cursor) if cursor else None
    if position is not None:
        at, pk = position
        rows = rows.filter(Q(**{f"{time_field}__lt": at}) | Q(**{time_field: at, "pk__lt": pk}))
    items = list(rows[: size + 1])
    more = len(items) > size
    items = items[:size]
    last = items[-1] if items and more else None
    return Page(items=items, next_cursor=encode_cursor(getattr(last, time_field), last.pk) if last else None)


# --- cases and the inbox -------------------------------------------------------------------------


def case_get(*, workspace, case_id: int) -> Case | None:
    return _cases(workspace).filter(pk=case_id).first()


def _cases(workspace) -> QuerySet[Case]:
    return Case.objects.for_workspace(workspace).select_related("customer", "assignee", "queue", "case_type")


@dataclass
class InboxFilters:
    view: str = "all"  # all, mine, unassigned, breached, at_risk
    statuses: list[str] = field(default_factory=lambda: list(ACTIVE_STATUSES))  # [] = any status
    queue_id: int | None = None
    business_unit_id: int | None = None
    language: str = ""
    platform: str = ""
    account_id: int | None = None
    priority: str = ""
    assignee_id: int | None = None
    customer_id: int | None = None
    tag: str = ""
    q: str = ""  # case number, subject, customer name or handle, message text


def breached_q(now: datetime) -> Q:
    return Q(first_responded_at__isnull=True, first_response_due_at__lte=now) | Q(
        resolved_at__isnull=True, resolution_due_at__lte=now
    )


def at_risk_q(now: datetime, minutes: int = AT_RISK_MINUTES) -> Q:
    soon = now + timedelta(minutes=minutes)
    return Q(
        first_responded_at__isnull=True, first_response_due_at__gt=now, first_response_due_at__lte=soon
    ) | Q(resolved_at__isnull=True, resolution_due_at__gt=now, resolution_due_at__lte=soon)


def inbox_cases(
    *, workspace, user, filters: InboxFilters | None = None, now: datetime | None = None
) -> QuerySet[Case]:
    """The cases of one inbox view, most recent activity first (ordering -last_message_at, -id)."""
    filters = filters or InboxFilters()
    now = now or timezone.now()
    rows = _cases(workspace)
    if filters.statuses:
        rows = rows.filter(status__in=filters.statuses)
    if filters.view == "mine":
        rows = rows.filter(assignee=user)
    elif filters.view == "unassigned":
        rows = rows.filter(assignee__isnull=True)
    elif filters.view == "breached":
        rows = rows.filter(breached_q(now))
    elif filters.view == "at_risk":
        rows = rows.filter(at_risk_q(now)).exclude(breached_q(now))
    simple = {
        "queue_id": filters.queue_id,
        "business_unit_id": filters.business_unit_id,
        "channel_account_id": filters.account_id,
        "assignee_id": filters.assignee_id,
        "customer_id": filters.customer_id,
        "priority": filters.priority,
        "platform": filters.platform,
    }
    rows = rows.filter(**{name: value for name, value in simple.items() if value not in (None, "")})
    if filters.language:
        rows = rows.filter(
            Q(language__iexact=filters.language) | Q(language__istartswith=f"{filters.language}-")
        )
    if filters.tag:
        rows = rows.filter(tags__contains=[filters.tag.lower()])
    if filters.q.strip():
        rows = rows.filter(_search_q(workspace, filters.q.strip()))
    narrow = (
        filters.queue_id,
        filters.business_unit_id,
        filters.account_id,
        filters.priority,
        filters.platform,
        filters.language,
        filters.tag,
        filters.q.strip(),
    )
    if any(value not in (None, "") for value in narrow) and set(filters.statuses or ["any"]) <= set(
        ACTIVE_STATUSES
    ):
        # Expecting matches spread evenly, the planner may walk the whole recency index to find a
        # quiet queue's few open cases (past every closed one). Sorting the matches instead costs
        # at most the open cases: the expression keeps the recency index out of the plan.
        recency = ExpressionWrapper(F("last_message_at") + timedelta(0), output_field=DateTimeField())
        return rows.order_by(recency.desc(), "-id")
    return rows.order_by("-last_message_at", "-id")


def _search_q(workspace, text: str) -> Q:
    """Case number, subject, customer name, handle or email, or words in the conversation. The
    identity and message matches are uncorrelated subqueries: Postgres reads each table once
    instead of probing it for every case it walks past."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    found = (
        Q(subject__icontains=text)
        | Q(customer__display_name__icontains=text)
        | Q(
            customer_id__in=Identity.objects.filter(workspace_id=workspace_id)
            .filter(Q(handle__icontains=text) | Q(email__icontains=text))
            .values("profile_id")
        )
        | Q(pk__in=Message.objects.filter(workspace_id=workspace_id, text__icontains=text).values("case_id"))
    )
    number = text.removeprefix("#")
    if number.isdigit() and len(number) < 19:
        found |= Q(pk=int(number))
    return found


def inbox_page(
    *, workspace, user, filters: InboxFilters | None = None, cursor: str | None = None, size: int = 50
) -> Page:
    return _page(
        inbox_cases(workspace=workspace, user=user, filters=filters), "last_message_at", cursor, size
    )


# The sidebar's groupings, in the bit order GROUPING() reports them (first column = highest bit).
COUNT_DIMENSIONS = ("status", "priority", "queue_id", "business_unit_id", "language", "platform")


def inbox_counts(*, workspace, user, now: datetime | None = None) -> dict[str, Any]:
    """How many active cases each view holds, for the inbox's sidebar.

    One pass over the active cases (GROUPING SETS), not one query per grouping: the sidebar is
    polled by every agent with the inbox open."""
    now = now or timezone.now()
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    columns = ", ".join(COUNT_DIMENSIONS)
    sets = ", ".join(["()", *(f"({name})" for name in COUNT_DIMENSIONS)])
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT GROUPING({columns}), {columns},
                   count(*),
                   count(*) FILTER (WHERE assignee_id = %s),
                   count(*) FILTER (WHERE assignee_id IS NULL),
                   count(*) FILTER (WHERE breached),
                   count(*) FILTER (WHERE at_risk AND NOT breached)
            FROM (
                SELECT {columns}, assignee_id,
                       coalesce(first_responded_at IS NULL AND first_response_due_at <= %s, false)
                       OR coalesce(resolved_at IS NULL AND resolution_due_at <= %s, false) AS breached,
                       coalesce(first_responded_at IS NULL AND first_response_due_at > %s
                                AND first_response_due_at <= %s, false)
                       OR coalesce(resolved_at IS NULL AND resolution_due_at > %s
                                   AND resolution_due_at <= %s, false) AS at_risk
                FROM care_case
                WHERE workspace_id = %s AND status = ANY(%s)
            ) active
            GROUP BY GROUPING SETS ({sets})
            """,  # noqa: S608 (fixed column names; values are parameters)
            [
                getattr(user, "pk", None),
                now,
                now,
                now,
                now + timedelta(minutes=AT_RISK_MINUTES),
                now,
                now + timedelta(minutes=AT_RISK_MINUTES),
                workspace_id,
                [str(status) for status in ACTIVE_STATUSES],
            ],
        )
        rows = cursor.fetchall()
    width = len(COUNT_DIMENSIONS)
    totals = {"all": 0, "mine": 0, "unassigned": 0, "breached": 0, "at_risk": 0}
    grouped: dict[str, dict[str, int]] = {name: {} for name in COUNT_DIMENSIONS}
    for row in rows:
        mask, values, (total, mine, unassigned, breached, at_risk) = (
            row[0],
            row[1 : 1 + width],
            row[1 + width :],
        )
        missing = [index for index in range(width) if not mask & (1 << (width - 1 - index))]
        if not missing:
            totals = {
                "all": total,
                "mine": mine,
                "unassigned": unassigned,
                "breached": breached,
                "at_risk": at_risk,
            }
            continue
        index = missing[0]
        value = values[index]
        grouped[COUNT_DIMENSIONS[index]][str(value) if value not in (None, "") else "none"] = total
    ordered = {name: dict(sorted(counts.items())) for name, counts in grouped.items()}
    return {
        **totals,
        "by_status": ordered["status"],
        "by_priority": ordered["priority"],
        "by_queue": ordered["queue_id"],
        "by_business_unit": ordered["business_unit_id"],
        "by_language": ordered["language"],
        "by_platform": ordered["platform"],
    }


# --- a conversation ------------------------------------------------------------------------------


def case_messages(*, workspace, case_id: int, include_notes: bool = True) -> QuerySet[Message]:
    """The messages of a case, newest first (ordering -occurred_at, -id)."""
    rows = Message.objects.for_workspace(workspace).filter(case_id=case_id).select_related("author_user")
    if not include_notes:
        rows = rows.exclude(direction=Direction.NOTE)
    return rows.order_by("-occurred_at", "-id")


def case_messages_page(*, workspace, case_id: int, cursor: str | None = None, size: int = 50) -> Page:
    return _page(case_messages(workspace=workspace, case_id=case_id), "occurred_at", cursor, size)


def case_message_get(*, workspace, case_id: int, message_id: int) -> Message | None:
    return Message.objects.for_workspace(workspace).filter(case_id=case_id, pk=message_id).first()


def public_case_ids(*, workspace, case_ids) -> set[int]:
    """Which of these cases a public mention (a comment, a post) opened, rather than a DM or email."""
    return set(
        Case.objects.for_workspace(workspace)
        .filter(pk__in=set(case_ids), channel_kind=ChannelKind.PUBLIC)
        .values_list("pk", flat=True)
    )


def case_events(*, workspace, case_id: int) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.for_workspace(workspace).filter(case_id=case_id).order_by("created_at", "id")


def notifications(*, workspace, user, unread_only: bool = True) -> QuerySet[Notification]:
    rows = Notification.objects.for_workspace(workspace).filter(user=user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "-id")


# --- setup ---------------------------------------------------------------------------------------


def queues(*, workspace) -> QuerySet[Queue]:
    return Queue.objects.for_workspace(workspace).order_by("position", "id")


def macros(*, workspace) -> QuerySet[Macro]:
    return Macro.objects.for_workspace(workspace).order_by("name")


def rules(*, workspace) -> QuerySet[AutomationRule]:
    return AutomationRule.objects.for_workspace(workspace).order_by("position", "id")


def case_types(*, workspace) -> QuerySet[CaseType]:
    return CaseType.objects.for_workspace(workspace).order_by("name")


def sla_policies(*, workspace) -> QuerySet[SlaPolicy]:
    return SlaPolicy.objects.for_workspace(workspace).order_by("priority")


def agents(*, workspace) -> list[dict[str, Any]]:
    """Agents with their presence, capacity and current load of active cases."""
    profiles = list(
        AgentProfile.objects.for_workspace(workspace).select_related("user").order_by("user__username")
    )
    loads = dict(
        Case.objects.for_workspace(workspace)
        .filter(status__in=ACTIVE_STATUSES, assignee_id__in=[p.user_id for p in profiles])
        .values_list("assignee_id")
        .annotate(n=Count("id"))
    )
    return [{"agent": profile, "load": loads.get(profile.user_id, 0)} for profile in profiles]


# --- the customer timeline (registered with cxm.customers.timeline in care/apps.py) ----------------


def customer_care_timeline(
    workspace_id: int, profile_ids: list[int], before: datetime | None, limit: int
) -> list[TimelineEntry]:
    cases = Case.objects.filter(workspace_id=workspace_id, customer_id__in=profile_ids)
    messages = Message.objects.filter(workspace_id=workspace_id, case__customer_id__in=profile_ids).exclude(
        direction=Direction.NOTE
    )
    csat = CsatResponse.objects.filter(workspace_id=workspace_id, case__customer_id__in=profile_ids)
    if before is not None:
        cases = cases.filter(created_at__lt=before)
        messages = messages.filter(occurred_at__lt=before)
        csat = csat.filter(created_at__lt=before)
    entries = [
        TimelineEntry(
            at=case.created_at,
            source="care",
            kind="case",
            title=(
                _("Case %(number)s opened: %(subject)s") % {"number": case.pk, "subject": case.subject}
                if case.subject
                else _("Case %(number)s opened") % {"number": case.pk}
            ),
            text=case.get_status_display(),
            ref={"case_id": case.pk},
        )
        for case in cases.order_by("-created_at")[:limit]
    ]
    entries += [
        TimelineEntry(
            at=message.occurred_at,
            source="care",
            kind="message",
            title=(
                _("Message from the customer (%(platform)s)")
                if message.direction == Direction.INBOUND
                else _("Reply (%(platform)s)")
            )
            % {"platform": platform_label(message.platform) if message.platform else _("Care")},
            text=message.text[:500],
            url=message.url,
            ref={"case_id": message.case_id, "message_id": message.pk, "direction": message.direction},
        )
        for message in messages.order_by("-occurred_at", "-id")[:limit]
    ]
    entries += [
        TimelineEntry(
            at=response.created_at,
            source="care",
            kind="csat",
            title=_("Rated case %(number)s %(score)s/5")
            % {"number": response.case_id, "score": response.score},
            text=response.comment[:500],
            ref={"case_id": response.case_id},
        )
        for response in csat.order_by("-created_at")[:limit]
    ]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]
