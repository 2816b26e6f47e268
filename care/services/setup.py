"""How a workspace sets care up: queues, agents and their presence, SLA policies, macros, rules,
case types. Each write is validated here, recorded in the audit log, one transaction each."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from care import tasks
from care.models import AgentProfile, AutomationRule, CaseType, Macro, Presence, Priority, Queue, SlaPolicy
from care.services.common import care_workers
from care.services.outbox import macro_validate
from care.services.rules import rule_validate
from cxm.audit.services import audit_record
from cxm.tenancy.models import BusinessUnit, Workspace


def _check_units(workspace: Workspace, ids: list[int]) -> list[int]:
    ids = [int(value) for value in ids or []]
    found = set(BusinessUnit.objects.filter(workspace=workspace, pk__in=ids).values_list("pk", flat=True))
    if set(ids) - found:
        raise ValidationError({"business_unit_ids": "No such business unit in this workspace."})
    return ids


def _lower_list(values: list[str]) -> list[str]:
    return list(dict.fromkeys(str(value).strip().lower() for value in values or [] if str(value).strip()))


@transaction.atomic
def queue_save(
    *,
    workspace: Workspace,
    name: str,
    queue: Queue | None = None,
    position: int = 0,
    languages: list[str] | None = None,
    platforms: list[str] | None = None,
    business_unit_ids: list[int] | None = None,
    by=None,
) -> Queue:
    if not name.strip():
        raise ValidationError({"name": "Name the queue."})
    if queue is not None and queue.workspace_id != workspace.pk:
        raise ValidationError({"queue": "Not found in this workspace."})
    queue = queue or Queue(workspace=workspace)
    queue.name = name.strip()
    queue.position = position
    queue.languages = _lower_list(languages or [])
    queue.platforms = _lower_list(platforms or [])
    queue.business_unit_ids = _check_units(workspace, business_unit_ids or [])
    if Queue.objects.filter(workspace=workspace, name=queue.name).exclude(pk=queue.pk).exists():
        raise ValidationError({"name": "A queue of that name exists."})
    queue.save()
    audit_record(workspace=workspace, actor=by, action="care.queue_save", target=queue)
    return queue


@transaction.atomic
def agent_save(
    *,
    workspace: Workspace,
    user,
    capacity: int = 5,
    languages: list[str] | None = None,
    platforms: list[str] | None = None,
    business_unit_ids: list[int] | None = None,
    queue_ids: list[int] | None = None,
    presence: str | None = None,
    by=None,
) -> AgentProfile:
    """Create or change the agent profile of a member who may work cases."""
    if not care_workers(workspace_id=workspace.pk).filter(user=user).exists():
        raise ValidationError({"user": "Only agents and admins of this workspace can take cases."})
    if capacity < 0:
        raise ValidationError({"capacity": "Zero or more."})
    queue_ids = [int(value) for value in queue_ids or []]
    if len(
        set(Queue.objects.filter(workspace=workspace, pk__in=queue_ids).values_list("pk", flat=True))
    ) != len(set(queue_ids)):
        raise ValidationError({"queue_ids": "No such queue in this workspace."})
    agent, _ = AgentProfile.objects.select_for_update().get_or_create(workspace=workspace, user=user)
    agent.capacity = capacity
    agent.languages = _lower_list(languages or [])
    agent.platforms = _lower_list(platforms or [])
    agent.business_unit_ids = _check_units(workspace, business_unit_ids or [])
    agent.queue_ids = queue_ids
    if presence is not None:
        _presence(agent, presence)
    agent.save()
    audit_record(workspace=workspace, actor=by, action="care.agent_save", target=agent)
    return agent


def _presence(agent: AgentProfile, presence: str) -> None:
    if presence not in Presence.values:
        raise ValidationError({"presence": f"One of {', '.join(Presence.values)}."})
    if agent.presence != presence:
        agent.presence = presence
        agent.presence_changed_at = timezone.now()


@transaction.atomic
def agent_presence_set(*, workspace: Workspace, user, presence: str, create: bool = False) -> AgentProfile:
    """Go online, away or offline. Going online picks up unassigned cases waiting for someone.

    `create`: a member who may work cases but has no agent profile yet gets one (any skills,
    the default capacity), as when they first switch themselves online in the inbox."""
    agent = AgentProfile.objects.select_for_update().filter(workspace=workspace, user=user).first()
    if agent is None and create:
        agent = agent_save(workspace=workspace, user=user, by=user)
    if agent is None:
        raise ValidationError({"user": "No agent profile in this workspace."})
    _presence(agent, presence)
    agent.save(update_fields=["presence", "presence_changed_at"])
    if presence == Presence.ONLINE:
        workspace_id = workspace.pk
        transaction.on_commit(lambda: tasks.cases_route_pending.delay(workspace_id=workspace_id))
    return agent


@transaction.atomic
def sla_policy_save(
    *,
    workspace: Workspace,
    priority: str,
    first_response_minutes: int,
    resolution_minutes: int,
    name: str = "",
    time_zone: str = "UTC",
    schedule: dict[str, Any] | None = None,
    holidays: list[date] | None = None,
    warn_before_minutes: int = 30,
    by=None,
) -> SlaPolicy:
    """The SLA for one priority (one policy per priority; saving again replaces it). Cases opened
    from now on use it; open cases keep the clocks they started with."""
    if priority not in Priority.values:
        raise ValidationError({"priority": f"One of {', '.join(Priority.values)}."})
    if first_response_minutes <= 0 or resolution_minutes <= 0:
        raise ValidationError({"first_response_minutes": "Targets are a positive number of minutes."})
    policy = SlaPolicy.objects.select_for_update().filter(workspace=workspace, priority=priority).first()
    policy = policy or SlaPolicy(workspace=workspace, priority=priority)
    policy.name = name or f"{Priority(priority).label} priority"
    policy.first_response_minutes = first_response_minutes
    policy.resolution_minutes = resolution_minutes
    policy.time_zone = time_zone
    policy.schedule = schedule or {}
    policy.holidays = list(holidays or [])
    policy.warn_before_minutes = warn_before_minutes
    policy.full_clean(exclude=["workspace"])
    policy.save()
    audit_record(workspace=workspace, actor=by, action="care.sla_policy_save", target=policy)
    return policy


@transaction.atomic
def macro_save(
    *,
    workspace: Workspace,
    name: str,
    bodies: dict[str, str],
    default_language: str = "en",
    macro: Macro | None = None,
    by=None,
) -> Macro:
    macro_validate(bodies)
    if not name.strip():
        raise ValidationError({"name": "Name the macro."})
    if macro is not None and macro.workspace_id != workspace.pk:
        raise ValidationError({"macro": "Not found in this workspace."})
    macro = macro or Macro(workspace=workspace)
    macro.name = name.strip()
    macro.bodies = {str(key).lower(): value for key, value in bodies.items()}
    macro.default_language = default_language.lower()
    if Macro.objects.filter(workspace=workspace, name=macro.name).exclude(pk=macro.pk).exists():
        raise ValidationError({"name": "A macro of that name exists."})
    macro.save()
    audit_record(workspace=workspace, actor=by, action="care.macro_save", target=macro)
    return macro


@transaction.atomic
def rule_save(
    *,
    workspace: Workspace,
    name: str,
    event: str,
    actions: list[dict],
    conditions: list[dict] | None = None,
    is_active: bool = True,
    position: int = 0,
    rule: AutomationRule | None = None,
    by=None,
) -> AutomationRule:
    conditions = conditions or []
    rule_validate(workspace_id=workspace.pk, event=event, conditions=conditions, actions=actions)
    if rule is not None and rule.workspace_id != workspace.pk:
        raise ValidationError({"rule": "Not found in this workspace."})
    rule = rule or AutomationRule(workspace=workspace)
    rule.name = name.strip() or "Rule"
    rule.event = event
    rule.conditions = conditions
    rule.actions = actions
    rule.is_active = is_active
    rule.position = position
    rule.save()
    audit_record(
        workspace=workspace,
        actor=by,
        action="care.rule_save",
        target=rule,
        after={"event": event, "conditions": conditions, "actions": actions},
    )
    return rule


def _keyed(items: list[dict] | None, name: str) -> list[dict]:
    result = []
    for item in items or []:
        key = str((item or {}).get("key", "")).strip()
        if not key:
            raise ValidationError({name: "Each entry needs a key."})
        result.append({"key": key[:64], "label": str(item.get("label") or key)})
    if len({item["key"] for item in result}) != len(result):
        raise ValidationError({name: "Keys must be different."})
    return result


@transaction.atomic
def case_type_save(
    *,
    workspace: Workspace,
    name: str,
    checklist: list[dict] | None = None,
    required_fields: list[dict] | None = None,
    case_type: CaseType | None = None,
    by=None,
) -> CaseType:
    if not name.strip():
        raise ValidationError({"name": "Name the case type."})
    case_type = case_type or CaseType(workspace=workspace)
    case_type.name = name.strip()
    case_type.checklist = _keyed(checklist, "checklist")
    case_type.required_fields = _keyed(required_fields, "required_fields")
    case_type.save()
    audit_record(workspace=workspace, actor=by, action="care.case_type_save", target=case_type)
    return case_type


# --- removing setup ------------------------------------------------------------------------------


def _delete(obj, *, workspace: Workspace, by, action: str) -> None:
    if obj.workspace_id != workspace.pk:
        raise ValidationError({"object": "Not found in this workspace."})
    audit_record(workspace=workspace, actor=by, action=action, target=obj, before={"name": str(obj)})
    obj.delete()


@transaction.atomic
def queue_delete(*, workspace: Workspace, queue: Queue, by=None) -> None:
    """Remove a queue: its cases keep waiting without one (routing picks another on the next sweep),
    agents lose it from their queues."""
    for agent in AgentProfile.objects.select_for_update().filter(
        workspace=workspace, queue_ids__contains=[queue.pk]
    ):
        agent.queue_ids = [value for value in agent.queue_ids if value != queue.pk]
        agent.save(update_fields=["queue_ids"])
    _delete(queue, workspace=workspace, by=by, action="care.queue_delete")


@transaction.atomic
def agent_remove(*, workspace: Workspace, agent: AgentProfile, by=None) -> None:
    """The member stops taking cases automatically; cases assigned to them stay theirs."""
    _delete(agent, workspace=workspace, by=by, action="care.agent_remove")


@transaction.atomic
def sla_policy_delete(*, workspace: Workspace, policy: SlaPolicy, by=None) -> None:
    """New cases of that priority get no SLA clocks; open cases keep theirs."""
    _delete(policy, workspace=workspace, by=by, action="care.sla_policy_delete")


@transaction.atomic
def macro_delete(*, workspace: Workspace, macro: Macro, by=None) -> None:
    _delete(macro, workspace=workspace, by=by, action="care.macro_delete")


@transaction.atomic
def rule_delete(*, workspace: Workspace, rule: AutomationRule, by=None) -> None:
    _delete(rule, workspace=workspace, by=by, action="care.rule_delete")


@transaction.atomic
def case_type_delete(*, workspace: Workspace, case_type: CaseType, by=None) -> None:
    """Cases of this type keep what was ticked and filled, without a checklist to complete."""
    _delete(case_type, workspace=workspace, by=by, action="care.case_type_delete")
