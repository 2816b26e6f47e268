"""Acting on many cases at once from the inbox: assign, tag, resolve.

Each case goes through the same service as when it is changed alone, in its own transaction,
so one case that refuses (its checklist is not done, the agent is full) does not hold back the
others; the result says which ones did not change and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from care.models import Case
from care.services.cases import case_resolve, case_update
from care.services.routing import case_assign
from cxm.tenancy.models import Workspace

BULK_ACTIONS = ("assign", "tag", "resolve")
MAX_BULK = 500


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # case id -> why


def _reason(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(message for messages in error.message_dict.values() for message in messages)
    return " ".join(error.messages)


def cases_bulk_apply(
    *,
    workspace: Workspace,
    case_ids: list[int],
    action: str,
    by=None,
    assignee=None,
    tag: str = "",
) -> BulkResult:
    """Apply `action` to each case of the workspace named in `case_ids` (others are ignored).

    assign: give them to `assignee` (None unassigns); tag: add `tag`; resolve: resolve them.
    """
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": f"One of {', '.join(BULK_ACTIONS)}."})
    if not case_ids:
        raise ValidationError({"cases": "Pick at least one case."})
    if len(case_ids) > MAX_BULK:
        raise ValidationError({"cases": f"At most {MAX_BULK} cases at once."})
    tag = tag.strip().lower()
    if action == "tag" and not tag:
        raise ValidationError({"tag": "Name the tag."})
    result = BulkResult()
    cases = Case.objects.for_workspace(workspace).filter(pk__in=case_ids).order_by("pk")
    for case in cases:
        try:
            if action == "assign":
                case_assign(case=case, assignee=assignee, by=by)
            elif action == "tag":
                case_update(case=case, by=by, tags=[*(case.tags or []), tag])
            else:
                case_resolve(case=case, by=by)
        except ValidationError as exc:
            result.failed[case.pk] = _reason(exc)
        else:
            result.done.append(case.pk)
    return result
