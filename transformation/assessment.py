"""Writes of the maturity assessment: a round is opened by an admin, every member answers it once
(and may change the answer while it is open), and an admin closes it, after which it is history.

A respondent's role is the perspective they answer from. When none is given it follows the
workspace role: admins answer as executives, care agents as frontline, every other role
(analyst, marketer, approver) as managers.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cxm.audit.services import audit_record
from cxm.tenancy.models import Role
from transformation.capabilities import CAPABILITY_KEYS
from transformation.models import AssessmentResponse, AssessmentRound, RespondentRole, RoundStatus

DEFAULT_RESPONDENT_ROLE = {
    Role.ADMIN: RespondentRole.EXECUTIVE,
    Role.LEADER: RespondentRole.EXECUTIVE,
    Role.AGENT: RespondentRole.FRONTLINE,
}


def respondent_role_default(*, workspace_role: str) -> str:
    return DEFAULT_RESPONDENT_ROLE.get(workspace_role, RespondentRole.MANAGER).value


def round_create(*, workspace, name: str, by, request=None) -> AssessmentRound:
    """Open a new round. Names are unique in the workspace so the history reads clearly."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the round a name.")]})
    if len(name) > 120:
        raise ValidationError({"name": [_("At most 120 characters.")]})
    if AssessmentRound.objects.for_workspace(workspace).filter(name=name).exists():
        raise ValidationError({"name": [_("A round with this name exists already.")]})
    try:
        with transaction.atomic():
            assessment_round = AssessmentRound.objects.create(workspace=workspace, name=name, created_by=by)
            audit_record(
                workspace=workspace,
                actor=by,
                action="transformation.round_create",
                target=assessment_round,
                after={"name": name},
                request=request,
            )
    except IntegrityError:  # the same name created at the same moment
        raise ValidationError({"name": [_("A round with this name exists already.")]}) from None
    return assessment_round


def scores_clean(scores: Any) -> dict[str, int]:
    """Every capability needs a whole level from 1 to 5; errors are keyed `scores.<capability>`."""
    if not isinstance(scores, dict):
        raise ValidationError({"scores": [_("Give a level from 1 to 5 for each capability.")]})
    errors: dict[str, list[str]] = {}
    for key in scores:
        if key not in CAPABILITY_KEYS:
            errors[f"scores.{key}"] = [_("Unknown capability.")]
    cleaned: dict[str, int] = {}
    for key in CAPABILITY_KEYS:
        value = scores.get(key)
        if value is None or value == "":
            errors[f"scores.{key}"] = [_("Choose a level from 1 to 5.")]
            continue
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            errors[f"scores.{key}"] = [_("A level is a whole number from 1 to 5.")]
            continue
        cleaned[key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def response_submit(
    *, assessment_round: AssessmentRound, user, scores: Any, role: str | None = None, workspace_role: str = ""
) -> AssessmentResponse:
    """Record `user`'s answer, replacing their earlier one in this round. Refused once closed."""
    if role in (None, ""):
        role = respondent_role_default(workspace_role=workspace_role)
    if role not in RespondentRole.values:
        raise ValidationError({"role": [_("Choose executive, manager or frontline.")]})
    cleaned = scores_clean(scores)
    with transaction.atomic():
        locked = AssessmentRound.objects.select_for_update().get(
            workspace_id=assessment_round.workspace_id, pk=assessment_round.pk
        )
        if locked.status != RoundStatus.OPEN:
            raise ValidationError({"round": [_("This round is closed; answers can no longer change.")]})
        response, _created = AssessmentResponse.objects.update_or_create(
            round=locked,
            user=user,
            defaults={"workspace_id": locked.workspace_id, "role": role, "scores": cleaned},
        )
    return response


def round_close(*, assessment_round: AssessmentRound, by, request=None) -> AssessmentRound:
    """Close the round: its answers are final and it joins the history."""
    with transaction.atomic():
        locked = AssessmentRound.objects.select_for_update().get(
            workspace_id=assessment_round.workspace_id, pk=assessment_round.pk
        )
        if locked.status == RoundStatus.CLOSED:
            raise ValidationError({"round": [_("This round is closed already.")]})
        locked.status = RoundStatus.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        audit_record(
            workspace=locked.workspace,
            actor=by,
            action="transformation.round_close",
            target=locked,
            before={"status": RoundStatus.OPEN.value},
            after={"status": RoundStatus.CLOSED.value, "responses": locked.responses.count()},
            request=request,
        )
    return locked
