"""Reads of the maturity assessment: rounds, one respondent's answer, and the statistics per
capability that show where people agree, where they disagree and where they think better of
themselves than the measurements do.

The assessed level of a capability is the median of the responses, rounded half up (2.5 reads as
3): with an even number of respondents the median may fall between two levels.
"""

from __future__ import annotations

import math
from statistics import median
from typing import Any

from django.db.models import Count, QuerySet

from transformation.capabilities import CAPABILITY_KEYS
from transformation.models import AssessmentResponse, AssessmentRound, RespondentRole

MISALIGNED_SPREAD = 3  # max - min across respondents
MISALIGNED_ROLE_GAP = 2  # between two roles' medians


def rounds(*, workspace) -> QuerySet[AssessmentRound]:
    return (
        AssessmentRound.objects.for_workspace(workspace)
        .select_related("created_by")
        .annotate(response_count=Count("responses"))
        .order_by("-created_at", "-id")
    )


def round_get(*, workspace, round_id) -> AssessmentRound | None:
    try:
        round_id = int(round_id)
    except (TypeError, ValueError):
        return None
    return AssessmentRound.objects.for_workspace(workspace).filter(pk=round_id).first()


def round_latest(*, workspace) -> AssessmentRound | None:
    """The newest round with at least one response: what the capability pages call "assessed"."""
    return rounds(workspace=workspace).filter(response_count__gt=0).first()


def response_of(*, assessment_round: AssessmentRound, user) -> AssessmentResponse | None:
    return AssessmentResponse.objects.filter(round=assessment_round, user=user).first()


def round_responses(*, assessment_round: AssessmentRound) -> QuerySet[AssessmentResponse]:
    return (
        AssessmentResponse.objects.filter(round=assessment_round)
        .select_related("user")
        .order_by("created_at", "id")
    )


def level_of(value: float | None) -> int | None:
    """A median as a level: rounded half up."""
    return None if value is None else math.floor(value + 0.5)


def _median(values: list[int]) -> float | None:
    if not values:
        return None
    middle = median(values)
    return int(middle) if float(middle).is_integer() else float(middle)


def capability_stats(
    responses: list[dict[str, Any]], key: str, measured_level: int | None = None
) -> dict[str, Any]:
    """One capability's figures from `responses` (each {"role", "scores"})."""
    values = [r["scores"][key] for r in responses if isinstance(r["scores"].get(key), int)]
    by_role: dict[str, list[int]] = {}
    for response in responses:
        if isinstance(response["scores"].get(key), int):
            by_role.setdefault(response["role"], []).append(response["scores"][key])
    role_medians = {role: _median(by_role[role]) for role in RespondentRole.values if role in by_role}
    middle = _median(values)
    spread = (max(values) - min(values)) if values else None
    role_gap = (max(role_medians.values()) - min(role_medians.values())) if len(role_medians) > 1 else 0
    misaligned_reasons = []
    if spread is not None and spread >= MISALIGNED_SPREAD:
        misaligned_reasons.append("spread")
    if role_gap >= MISALIGNED_ROLE_GAP:
        misaligned_reasons.append("roles")
    gap = (middle - measured_level) if middle is not None and measured_level is not None else None
    return {
        "median": middle,
        "min": min(values) if values else None,
        "max": max(values) if values else None,
        "spread": spread,
        "responses": len(values),
        "assessed_level": level_of(middle),
        "role_medians": role_medians,
        "role_gap": role_gap,
        "misaligned": bool(misaligned_reasons),
        "misaligned_reasons": misaligned_reasons,
        "measured_level": measured_level,
        # positive: people think the capability is further along than the measurements show
        "gap": gap,
    }


def round_statistics(
    *, assessment_round: AssessmentRound, measured_levels: dict[str, int | None] | None = None
) -> dict[str, dict[str, Any]]:
    """Per capability key, in the capability model's order: median, min, max, spread, responses,
    per-role medians, the misalignment flag and the perception gap against `measured_levels`."""
    measured_levels = measured_levels or {}
    responses = list(AssessmentResponse.objects.filter(round=assessment_round).values("role", "scores"))
    return {key: capability_stats(responses, key, measured_levels.get(key)) for key in CAPABILITY_KEYS}


def assessed_levels(*, workspace) -> dict[str, int | None]:
    """Each capability's assessed level from the latest round with responses (None without one)."""
    latest = round_latest(workspace=workspace)
    if latest is None:
        return dict.fromkeys(CAPABILITY_KEYS)
    stats = round_statistics(assessment_round=latest)
    return {key: stats[key]["assessed_level"] for key in CAPABILITY_KEYS}


def rounds_history(*, workspace, limit: int = 12) -> list[dict[str, Any]]:
    """The medians of every round with responses, oldest first: how the assessment moved."""
    recent = list(rounds(workspace=workspace).filter(response_count__gt=0)[:limit])
    recent.reverse()
    by_round: dict[int, list[dict[str, Any]]] = {r.pk: [] for r in recent}
    for row in AssessmentResponse.objects.filter(round__in=recent).values("round_id", "role", "scores"):
        by_round[row["round_id"]].append(row)
    history = []
    for assessment_round in recent:
        rows = by_round[assessment_round.pk]
        history.append(
            {
                "round": assessment_round,
                "responses": len(rows),
                "medians": {key: capability_stats(rows, key)["median"] for key in CAPABILITY_KEYS},
            }
        )
    return history
