"""Maturity pages: the rounds (admins open one), the questionnaire every member answers, and a
round's results: median, spread, misalignment and perception gap per capability, the history
across rounds, and a radar of the assessed beside the measured levels."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cxm.tenancy.decorators import workspace_view
from cxm.tenancy.permissions import has_permission
from transformation import assessment, assessment_selectors, charts
from transformation import selectors as live
from transformation.capabilities import CAPABILITIES
from transformation.models import AssessmentRound, RespondentRole, RoundStatus
from transformation.questionnaire import DIMENSIONS, LEVEL_NAMES, QUESTIONNAIRE, SHORT_NAMES


def _round(request, round_id: int) -> AssessmentRound:
    found = assessment_selectors.round_get(workspace=request.workspace, round_id=round_id)
    if found is None:
        raise Http404
    return found


def _may_manage(request) -> bool:
    return has_permission(request.membership, "transformation.manage")


@workspace_view("transformation.view", write_permission="transformation.manage")
def rounds_list(request):
    errors: dict = {}
    name = ""
    if request.method == "POST":
        name = request.POST.get("name", "")
        try:
            created = assessment.round_create(
                workspace=request.workspace, name=name, by=request.user, request=request
            )
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, _("Round opened: everyone in the workspace can answer it now."))
            return redirect("transformation:assessment", round_id=created.pk)
    rounds = [
        {
            "round": r,
            "responses": r.response_count,
            "answered": assessment_selectors.response_of(assessment_round=r, user=request.user) is not None,
        }
        for r in assessment_selectors.rounds(workspace=request.workspace)
    ]
    return render(
        request,
        "transformation/assessments.html",
        {
            "section": "assessments",
            "rounds": rounds,
            "may_manage": _may_manage(request),
            "errors": errors,
            "name": name,
        },
        status=400 if errors else 200,
    )


def _questionnaire(chosen: dict[str, int], errors: dict[str, list[str]]) -> list[dict]:
    return [
        {
            "key": capability.key,
            "short_name": SHORT_NAMES[capability.key],
            "outcome": capability.outcome,
            "experience": capability.experience,
            "chosen": chosen.get(capability.key),
            "errors": errors.get(f"scores.{capability.key}", []),
            "levels": [
                {
                    "level": level.level,
                    "name": LEVEL_NAMES[level.level],
                    "texts": [(label, getattr(level, dimension)) for dimension, label in DIMENSIONS],
                }
                for level in QUESTIONNAIRE[capability.key]
            ],
        }
        for capability in CAPABILITIES
    ]


@workspace_view("transformation.view")
def round_answer(request, round_id: int):
    assessment_round = _round(request, round_id)
    mine = assessment_selectors.response_of(assessment_round=assessment_round, user=request.user)
    role = mine.role if mine else assessment.respondent_role_default(workspace_role=request.membership.role)
    chosen: dict[str, int] = dict(mine.scores) if mine else {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        role = request.POST.get("role", "")
        submitted = {c.key: request.POST.get(f"score-{c.key}", "") for c in CAPABILITIES}
        chosen = {k: int(v) for k, v in submitted.items() if v.isdigit()}
        try:
            assessment.response_submit(
                assessment_round=assessment_round,
                user=request.user,
                scores=submitted,
                role=role,
                workspace_role=request.membership.role,
            )
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, _("Thank you: your answer is recorded."))
            return redirect("transformation:assessment", round_id=assessment_round.pk)
    return render(
        request,
        "transformation/assessment_answer.html",
        {
            "section": "assessments",
            "round": assessment_round,
            "is_open": assessment_round.status == RoundStatus.OPEN,
            "questions": _questionnaire(chosen, errors),
            "roles": RespondentRole.choices,
            "role": role,
            "errors": errors,
            "replacing": mine is not None,
        },
        status=400 if errors else 200,
    )


@workspace_view("transformation.view")
def round_detail(request, round_id: int):
    assessment_round = _round(request, round_id)
    measured = {row["key"]: row for row in live.capabilities_live(workspace=request.workspace)}
    stats = assessment_selectors.round_statistics(
        assessment_round=assessment_round,
        measured_levels={key: row["measured_level"] for key, row in measured.items()},
    )
    role_labels = dict(RespondentRole.choices)
    rows = [
        {
            "key": c.key,
            "short_name": SHORT_NAMES[c.key],
            "outcome": c.outcome,
            "role_figures": [
                (role_labels[role], value) for role, value in stats[c.key]["role_medians"].items()
            ],
            **stats[c.key],
        }
        for c in CAPABILITIES
    ]
    radar = charts.radar(
        [
            {"label": row["short_name"], "assessed": row["median"], "measured": row["measured_level"]}
            for row in rows
        ]
    )
    history = assessment_selectors.rounds_history(workspace=request.workspace)
    return render(
        request,
        "transformation/assessment.html",
        {
            "section": "assessments",
            "round": assessment_round,
            "rows": rows,
            "radar": radar,
            "responses": assessment_round.responses.count(),
            "history": history,
            "history_rows": [
                {"short_name": SHORT_NAMES[c.key], "medians": [h["medians"][c.key] for h in history]}
                for c in CAPABILITIES
            ],
            "answered": assessment_selectors.response_of(assessment_round=assessment_round, user=request.user)
            is not None,
            "may_manage": _may_manage(request),
            "is_open": assessment_round.status == RoundStatus.OPEN,
        },
    )


@require_POST
@workspace_view("transformation.manage")
def round_close(request, round_id: int):
    assessment_round = _round(request, round_id)
    try:
        assessment.round_close(assessment_round=assessment_round, by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Round closed: its answers are final."))
    return redirect("transformation:assessment", round_id=assessment_round.pk)


urlpatterns = [
    path("assessments/", rounds_list, name="assessments"),
    path("assessments/<int:round_id>/", round_detail, name="assessment"),
    path("assessments/<int:round_id>/answer/", round_answer, name="assessment-answer"),
    path("assessments/<int:round_id>/close/", round_close, name="assessment-close"),
]
