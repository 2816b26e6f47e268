"""Writes to a case by the people working it: open by hand, status, priority, tags, guided
workflow (checklist and fields), CSAT, notifications read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from care import tasks
from care.models import (
    Case,
    CaseStatus,
    CaseType,
    ChannelKind,
    CsatResponse,
    Direction,
    Message,
    Notification,
    Priority,
    Queue,
    RuleEvent,
)
from care.services import csat, routing, rules
from care.services.clocks import sla_apply
from care.services.common import actor, case_event, case_lock
from cxm.channels.models import ChannelAccount
from cxm.customers.models import CustomerProfile
from cxm.tenancy.models import BusinessUnit, Workspace

MAX_TAGS = 30


def _enqueue_routing(case: Case) -> None:
    case_id, workspace_id = case.pk, case.workspace_id
    transaction.on_commit(lambda: tasks.cases_route.delay(case_ids=[case_id], workspace_id=workspace_id))


def _same_workspace(obj, workspace_id: int, name: str) -> None:
    if obj is not None and obj.workspace_id != workspace_id:
        raise ValidationError({name: "Not found in this workspace."})


@transaction.atomic
def case_create(
    *,
    workspace: Workspace,
    customer: CustomerProfile,
    by=None,
    subject: str = "",
    text: str = "",
    channel_account: ChannelAccount | None = None,
    priority: str = Priority.NORMAL,
    queue: Queue | None = None,
    language: str = "",
    business_unit: BusinessUnit | None = None,
    case_type: CaseType | None = None,
    now: datetime | None = None,
) -> Case:
    """Open a case by hand (a phone call, a walk-in); `text` is kept as the first internal note."""
    now = now or timezone.now()
    for obj, name in (
        (customer, "customer"),
        (channel_account, "channel_account"),
        (queue, "queue"),
        (business_unit, "business_unit"),
        (case_type, "case_type"),
    ):
        _same_workspace(obj, workspace.pk, name)
    if customer.merged_into_id is not None:
        customer = CustomerProfile.objects.get(pk=customer.merged_into_id)
    if priority not in Priority.values:
        raise ValidationError({"priority": f"One of {', '.join(Priority.values)}."})
    case = Case(
        workspace=workspace,
        customer=customer,
        channel_account=channel_account,
        platform=channel_account.platform if channel_account else "",
        channel_kind=ChannelKind.MANUAL,
        business_unit=business_unit or (channel_account.business_unit if channel_account else None),
        language=language,
        subject=subject.strip()[:500],
        priority=priority,
        queue=queue,
        case_type=case_type,
        opened_by=actor(by),
        last_message_at=now,
    )
    sla_apply(case, start=now)
    case.save()
    case_event(case=case, kind="created", by=by, source="manual")
    if text.strip():
        Message.objects.create(
            workspace=workspace,
            case=case,
            direction=Direction.NOTE,
            author_user=actor(by),
            author_name=getattr(actor(by), "username", ""),
            text=text.strip(),
            occurred_at=now,
        )
    rules.rules_fire(case=case, event=RuleEvent.CASE_CREATED)
    _enqueue_routing(case)
    case.refresh_from_db()
    return case


def status_change(
    case: Case, status: str, *, by=None, now: datetime | None = None, reopen: bool = False
) -> str | None:
    """Move a locked case to `status` (the one place transitions are checked). Returns the previous
    status, or None when nothing changed. Does not fire rules: callers decide."""
    now = now or timezone.now()
    if status == case.status:
        return None
    if status not in CaseStatus.values:
        raise ValidationError({"status": f"One of {', '.join(CaseStatus.values)}."})
    if not case.can_become(status):
        raise ValidationError(
            {
                "status": f"A {case.get_status_display().lower()} case cannot become {CaseStatus(status).label.lower()}."
            }
        )
    if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        missing = case.missing_for_resolution()
        if missing:
            parts = []
            if "checklist" in missing:
                parts.append("checklist steps " + ", ".join(missing["checklist"]))
            if "fields" in missing:
                parts.append("fields " + ", ".join(missing["fields"]))
            raise ValidationError({"status": f"Complete the {' and '.join(parts)} first."})
    previous = case.status
    case.status = status
    fields = ["status", "updated_at"]
    if status == CaseStatus.RESOLVED:
        case.resolved_at = now
        case.resolution_warn_at = None
        fields += ["resolved_at", "resolution_warn_at"]
    elif status == CaseStatus.CLOSED:
        case.closed_at = now
        case.resolved_at = case.resolved_at or now
        case.resolution_warn_at = None
        case.first_response_warn_at = None
        fields += ["closed_at", "resolved_at", "resolution_warn_at", "first_response_warn_at"]
    elif previous == CaseStatus.RESOLVED:
        # Reopened: the resolution clock starts again from now.
        reopen = True
        case.resolved_at = None
        fields += ["resolved_at", *sla_apply(case, start=now, first_response=False)]
    if reopen:
        case.reopened = True
        case.reopen_count += 1
        fields += ["reopened", "reopen_count"]
    case.save(update_fields=list(dict.fromkeys(fields)))
    case_event(case=case, kind="reopened" if reopen else "status", by=by, previous=previous, status=status)
    if status == CaseStatus.RESOLVED:
        csat.csat_survey_queue(case, now=now)
    return previous


def case_status_set(*, case: Case, status: str, by=None, now: datetime | None = None) -> Case:
    """Change the status by hand; resolving (or closing) needs the case type's checklist and fields."""
    with transaction.atomic():
        case = case_lock(case, workspace_id=case.workspace_id)
        previous = status_change(case, status, by=by, now=now)
        if previous is not None:
            rules.rules_fire(case=case, event=RuleEvent.STATUS_CHANGED, extra={"previous_status": previous})
        case.refresh_from_db()
        return case


def case_resolve(*, case: Case, by=None) -> Case:
    return case_status_set(case=case, status=CaseStatus.RESOLVED, by=by)


def priority_change(case: Case, priority: str, *, by=None) -> bool:
    """Set the priority of a locked case; its SLA clocks are recomputed from when it was opened."""
    if priority not in Priority.values:
        raise ValidationError({"priority": f"One of {', '.join(Priority.values)}."})
    if priority == case.priority:
        return False
    previous = case.priority
    case.priority = priority
    fields = ["priority", "updated_at", *sla_apply(case, start=case.created_at)]
    case.save(update_fields=fields)
    case_event(case=case, kind="priority", by=by, previous=previous, priority=priority)
    return True


def tags_normalise(tags: list[str]) -> list[str]:
    cleaned = [str(tag).strip().lower()[:64] for tag in tags]
    result = list(dict.fromkeys(tag for tag in cleaned if tag))
    if len(result) > MAX_TAGS:
        raise ValidationError({"tags": f"At most {MAX_TAGS} tags."})
    return result


def tags_change(case: Case, tags: list[str], *, by=None) -> bool:
    tags = tags_normalise(tags)
    if tags == list(case.tags or []):
        return False
    previous = list(case.tags or [])
    case.tags = tags
    case.save(update_fields=["tags", "updated_at"])
    case_event(case=case, kind="tags", by=by, previous=previous, tags=tags)
    return True


def queue_change(case: Case, queue: Queue | None, *, by=None) -> bool:
    _same_workspace(queue, case.workspace_id, "queue")
    if case.queue_id == (queue.pk if queue else None):
        return False
    previous = case.queue_id
    case.queue = queue
    case.save(update_fields=["queue", "updated_at"])
    case_event(case=case, kind="queue", by=by, previous=previous, queue=queue.pk if queue else None)
    return True


UPDATABLE = {"status", "priority", "assignee", "tags", "queue", "case_type", "subject", "language"}


def case_update(*, case: Case, by=None, force_assign: bool = False, **changes: Any) -> Case:
    """Apply several changes at once (the API's PATCH), each through its own rule-checked path."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    with transaction.atomic():
        case = case_lock(case, workspace_id=case.workspace_id)
        if "priority" in changes:
            priority_change(case, changes["priority"], by=by)
        if "tags" in changes:
            tags_change(case, changes["tags"] or [], by=by)
        if "queue" in changes:
            queue_change(case, changes["queue"], by=by)
        simple = []
        if "case_type" in changes:
            _same_workspace(changes["case_type"], case.workspace_id, "case_type")
            case.case_type = changes["case_type"]
            simple.append("case_type")
        for name in ("subject", "language"):
            if name in changes:
                setattr(case, name, str(changes[name] or "").strip())
                simple.append(name)
        if simple:
            case.save(update_fields=[*simple, "updated_at"])
        if "assignee" in changes:
            case = routing.case_assign(case=case, assignee=changes["assignee"], by=by, force=force_assign)
        if "status" in changes:
            previous = status_change(case, changes["status"], by=by)
            if previous is not None:
                rules.rules_fire(
                    case=case, event=RuleEvent.STATUS_CHANGED, extra={"previous_status": previous}
                )
        case.refresh_from_db()
        return case


@transaction.atomic
def case_checklist_set(*, case: Case, step: str, done: bool = True, by=None) -> Case:
    case = case_lock(case, workspace_id=case.workspace_id)
    if case.case_type is None or step not in case.case_type.step_keys:
        raise ValidationError({"step": "No such step in this case's checklist."})
    steps = [key for key in (case.checklist_done or []) if key != step]
    if done:
        steps.append(step)
    case.checklist_done = steps
    case.save(update_fields=["checklist_done", "updated_at"])
    case_event(case=case, kind="checklist", by=by, step=step, done=done)
    return case


@transaction.atomic
def case_fields_set(*, case: Case, values: dict[str, Any], by=None) -> Case:
    case = case_lock(case, workspace_id=case.workspace_id)
    if not isinstance(values, dict):
        raise ValidationError({"fields": "Must be an object."})
    case.fields = {**(case.fields or {}), **{str(key)[:64]: value for key, value in values.items()}}
    case.save(update_fields=["fields", "updated_at"])
    case_event(case=case, kind="fields", by=by, keys=sorted(values))
    return case


@transaction.atomic
def csat_record(*, case: Case, score: int, comment: str = "") -> CsatResponse:
    """The customer's satisfaction with a case, 1 to 5; answering again replaces the answer."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": "A whole number from 1 to 5."})
    response, _ = CsatResponse.objects.update_or_create(
        workspace_id=case.workspace_id,
        case=case,
        defaults={"customer_id": case.customer_id, "score": score, "comment": comment.strip()},
    )
    case_event(case=case, kind="csat", score=score)
    return response


def notifications_mark_read(*, workspace_id: int, user, ids: list[int] | None = None) -> int:
    unread = Notification.objects.filter(workspace_id=workspace_id, user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
