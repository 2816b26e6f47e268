"""Automation rules: when an event happens to a case and every condition holds, run the actions.

Conditions look at one field with one operator:
    fields     channel (platform), channel_kind, account, language, sentiment, text, subject,
               priority, status, business_unit, queue, tag, sla_clock, customer.<attribute>
    operators  is, is_not, in, not_in, contains, not_contains   (text comparisons ignore case;
               a language "pt" matches "pt-BR")
Actions:
    assign_queue {queue}, assign_agent {user}, set_priority {priority}, tag {tag},
    send_macro {macro}, notify {user: id | "assignee", text}

Actions do not fire further events (a rule that changes the status does not trigger
status_changed rules), so rules cannot loop. An action that cannot run (the agent is full, the
case has no channel to answer on) is recorded on the case as `rule_failed` and the rest go on.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from care.models import AutomationRule, Case, Direction, Macro, Message, Priority, Queue, RuleEvent
from care.services import cases, outbox, routing
from care.services.common import case_event, member_ids, notify
from cxm.tenancy.models import User

FIELDS = {
    "channel",
    "channel_kind",
    "account",
    "language",
    "sentiment",
    "text",
    "subject",
    "priority",
    "status",
    "business_unit",
    "queue",
    "tag",
    "sla_clock",
}
OPERATORS = {"is", "is_not", "in", "not_in", "contains", "not_contains"}
ACTIONS = {"assign_queue", "assign_agent", "set_priority", "tag", "send_macro", "notify"}


def _valid_field(name: str) -> bool:
    return name in FIELDS or (name.startswith("customer.") and len(name) > len("customer."))


def rule_validate(*, workspace_id: int, event: str, conditions: Any, actions: Any) -> None:
    errors: dict[str, str] = {}
    if event not in RuleEvent.values:
        errors["event"] = f"One of {', '.join(RuleEvent.values)}."
    if not isinstance(conditions, list) or not all(isinstance(c, dict) for c in conditions):
        errors["conditions"] = "A list of {field, op, value} objects."
    else:
        for index, condition in enumerate(conditions):
            if not _valid_field(str(condition.get("field", ""))):
                errors["conditions"] = f"Condition {index + 1}: unknown field {condition.get('field')!r}."
            elif condition.get("op", "is") not in OPERATORS:
                errors["conditions"] = (
                    f"Condition {index + 1}: the operator is one of {', '.join(sorted(OPERATORS))}."
                )
    if not isinstance(actions, list) or not actions or not all(isinstance(a, dict) for a in actions):
        errors["actions"] = "At least one action, as {type, ...} objects."
    else:
        for index, action in enumerate(actions):
            problem = _action_problem(workspace_id, action)
            if problem:
                errors["actions"] = f"Action {index + 1}: {problem}"
    if errors:
        raise ValidationError(errors)


def _action_problem(workspace_id: int, action: dict) -> str:
    kind = action.get("type")
    if kind not in ACTIONS:
        return f"the type is one of {', '.join(sorted(ACTIONS))}."
    if (
        kind == "assign_queue"
        and not Queue.objects.filter(workspace_id=workspace_id, pk=action.get("queue")).exists()
    ):
        return "no such queue."
    if (
        kind == "send_macro"
        and not Macro.objects.filter(workspace_id=workspace_id, pk=action.get("macro")).exists()
    ):
        return "no such macro."
    if kind == "set_priority" and action.get("priority") not in Priority.values:
        return f"the priority is one of {', '.join(Priority.values)}."
    if kind == "tag" and not str(action.get("tag", "")).strip():
        return "name the tag."
    if kind == "assign_agent" and not member_ids(
        workspace_id=workspace_id, user_ids=[action.get("user") or 0]
    ):
        return "no such colleague."
    if kind == "notify":
        user = action.get("user")
        if user != "assignee" and not member_ids(workspace_id=workspace_id, user_ids=[user or 0]):
            return 'notify a colleague (their id) or "assignee".'
    return ""


# --- evaluation ---------------------------------------------------------------------------------


def _actual(field: str, case: Case, message: Message | None, extra: dict[str, Any]) -> Any:
    if field.startswith("customer."):
        return (case.customer.attributes or {}).get(field.removeprefix("customer."))
    return {
        "channel": case.platform,
        "channel_kind": case.channel_kind,
        "account": case.channel_account_id,
        "language": (message.language if message and message.language else case.language),
        "sentiment": (message.sentiment if message and message.sentiment else case.sentiment),
        "text": message.text if message else "",
        "subject": case.subject,
        "priority": case.priority,
        "status": case.status,
        "business_unit": case.business_unit_id,
        "queue": case.queue_id,
        "tag": list(case.tags or []),
        "sla_clock": extra.get("sla_clock"),
    }[field]


def _same(actual: Any, expected: Any, field: str) -> bool:
    if actual is None:
        return expected in (None, "")
    if isinstance(actual, list):
        return any(_same(item, expected, field) for item in actual)
    left, right = str(actual).strip().lower(), str(expected).strip().lower()
    if field == "language":
        return left == right or left.split("-")[0] == right
    return left == right


def condition_holds(
    condition: dict, *, case: Case, message: Message | None = None, extra: dict | None = None
) -> bool:
    field, op, expected = condition.get("field", ""), condition.get("op", "is"), condition.get("value")
    actual = _actual(field, case, message, extra or {})
    options = expected if isinstance(expected, list) else [expected]
    if op == "is":
        return _same(actual, expected, field)
    if op == "is_not":
        return not _same(actual, expected, field)
    if op == "in":
        return any(_same(actual, option, field) for option in options)
    if op == "not_in":
        return not any(_same(actual, option, field) for option in options)
    haystack = " ".join(actual) if isinstance(actual, list) else str(actual or "")
    found = any(str(option).lower() in haystack.lower() for option in options if str(option))
    return found if op == "contains" else not found


def rules_active(*, workspace_id: int, events: set[str]) -> list[AutomationRule]:
    """The workspace's active rules for these events, in the order they run."""
    return list(
        AutomationRule.objects.filter(workspace_id=workspace_id, event__in=events, is_active=True).order_by(
            "position", "id"
        )
    )


def rules_fire(
    *,
    case: Case,
    event: str,
    message: Message | None = None,
    extra: dict[str, Any] | None = None,
    rules: list[AutomationRule] | None = None,
) -> list[int]:
    """Run the workspace's active rules for `event` on a case the caller has locked. Returns the
    ids of the rules that matched. `rules`: the active rules for `event`, when the caller (a batch)
    has read them already."""
    if rules is None:
        rules = rules_active(workspace_id=case.workspace_id, events={event})
    if not rules:
        return []
    if message is None and event in (RuleEvent.CASE_CREATED, RuleEvent.MESSAGE_RECEIVED):
        message = (
            Message.objects.filter(case=case, direction=Direction.INBOUND)
            .order_by("-occurred_at", "-id")
            .first()
        )
    fired = []
    for rule in rules:
        case.refresh_from_db()
        if not all(
            condition_holds(c, case=case, message=message, extra=extra) for c in rule.conditions or []
        ):
            continue
        fired.append(rule.pk)
        case_event(case=case, kind="rule", rule=rule.pk, name=rule.name, event=event)
        for action in rule.actions or []:
            try:
                _run(action, case=case, rule=rule)
            except ValidationError as exc:
                case_event(
                    case=case,
                    kind="rule_failed",
                    rule=rule.pk,
                    action=action.get("type"),
                    reason="; ".join(exc.messages),
                )
    return fired


def _run(action: dict, *, case: Case, rule: AutomationRule) -> None:
    kind = action.get("type")
    case.refresh_from_db()
    if kind == "assign_queue":
        queue = Queue.objects.filter(workspace_id=case.workspace_id, pk=action.get("queue")).first()
        if queue is None:
            raise ValidationError("the queue no longer exists")
        cases.queue_change(case, queue)
    elif kind == "assign_agent":
        user = User.objects.filter(pk=action.get("user")).first()
        if user is None:
            raise ValidationError("the colleague no longer exists")
        routing.case_assign(case=case, assignee=user)
    elif kind == "set_priority":
        cases.priority_change(case, action.get("priority", ""))
    elif kind == "tag":
        cases.tags_change(case, [*case.tags, str(action.get("tag", ""))])
    elif kind == "send_macro":
        macro = Macro.objects.filter(workspace_id=case.workspace_id, pk=action.get("macro")).first()
        if macro is None:
            raise ValidationError("the macro no longer exists")
        outbox.case_reply(case=case, macro=macro)
    elif kind == "notify":
        user = action.get("user")
        user_id = case.assignee_id if user == "assignee" else user
        notify(
            case=case,
            user_id=user_id,
            kind="rule",
            text=str(action.get("text") or f"Rule “{rule.name}” matched case {case.pk}"),
        )
    else:
        raise ValidationError(f"unknown action {kind!r}")
