"""Reads of the value model, the ROI cases and the operating model's RACI: value drivers with
their progress and trend, the saved ROI cases and their CSV, the RACI matrix."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy

from cxm.spreadsheet import csv_writer
from cxm.tenancy.models import Membership, Role
from transformation import roi as roi_math
from transformation.bands import BAND_SETS, DEFAULT_BAND_SET
from transformation.capabilities import CAPABILITIES
from transformation.kpis.registry import BY_KEY as KPIS_BY_KEY
from transformation.kpis.registry import KpiDef
from transformation.models import DriverCategory, Raci, RaciAssignment, RoiCase, ValueDriver
from transformation.selectors import kpi_trend, transformation_settings
from transformation.value.benefits import kpi_baselines, measured_benefits

# --- value drivers -----------------------------------------------------------------------------------

# Suggestions an admin adds with one click; each target is the edge where the shipped band set
# reaches level 4 (`suggestion_target`).
DEFAULT_DRIVERS: tuple[dict[str, Any], ...] = (
    {
        "category": "revenue",
        "name": gettext_lazy("Conversion uplift from answered comments on ads"),
        "kpi": "relevant_ad_comments_answered",
    },
    {
        "category": "revenue",
        "name": gettext_lazy("More conversion value per ad spend"),
        "kpi": "relevant_roas",
    },
    {
        "category": "revenue",
        "name": gettext_lazy("More advocates who recommend the brand"),
        "kpi": "proud_advocates",
    },
    {
        "category": "cost",
        "name": gettext_lazy("Agent hours saved by faster resolution"),
        "kpi": "enjoy_resolution_time",
    },
    {
        "category": "cost",
        "name": gettext_lazy("Fewer follow-up contacts through first-contact resolution"),
        "kpi": "smarter_first_contact_resolution",
    },
    {
        "category": "cost",
        "name": gettext_lazy("Fewer repeat contacts from recognised customers"),
        "kpi": "recognised_repeat_contacts",
    },
    {
        "category": "risk",
        "name": gettext_lazy("Crisis exposure avoided: fewer items left unanswered after 24 h"),
        "kpi": "heard_unanswered_24h",
    },
    {
        "category": "risk",
        "name": gettext_lazy("Spike alerts acknowledged in time"),
        "kpi": "smarter_alerts_in_target",
    },
    {
        "category": "risk",
        "name": gettext_lazy("Every sensitive action audited"),
        "kpi": "respected_audited_share",
    },
)


def suggestion_target(kpi: str) -> float:
    return float(BAND_SETS[DEFAULT_BAND_SET][kpi][3])


def drivers(*, workspace):
    return ValueDriver.objects.for_workspace(workspace)


def driver_get(*, workspace, driver_id) -> ValueDriver | None:
    return ValueDriver.objects.for_workspace(workspace).filter(pk=driver_id).first()


def driver_suggestions(*, workspace) -> list[dict[str, Any]]:
    """The shipped suggestions whose KPI the workspace does not track with a driver yet."""
    tracked = set(drivers(workspace=workspace).values_list("kpi", flat=True))
    return [
        dict(
            item,
            index=index,
            category_label=DriverCategory(item["category"]).label,
            target=suggestion_target(item["kpi"]),
        )
        for index, item in enumerate(DEFAULT_DRIVERS)
        if item["kpi"] not in tracked
    ]


@dataclass
class DriverProgress:
    driver: ValueDriver
    kpi: KpiDef | None
    baseline: float | None
    baseline_measured: bool
    current: float | None
    current_day: date | None
    progress: float | None  # share of the way from baseline to target, 0..1 (may pass 1 or go below 0)
    points: list[tuple[date, float]] = field(default_factory=list)

    @property
    def progress_percent(self) -> int | None:
        return None if self.progress is None else round(self.progress * 100)

    @property
    def bar_percent(self) -> int:
        return max(0, min(100, self.progress_percent or 0))


def progress_share(*, baseline: float | None, current: float | None, target: float) -> float | None:
    """How far the KPI has come from its baseline toward its target: 0 at the baseline, 1 at the
    target, negative when it moved away. Undefined without both figures or with target == baseline."""
    if baseline is None or current is None or target == baseline:
        return None
    return (current - baseline) / (target - baseline)


def _trend(*, workspace, kpi: str, days: int) -> list[tuple[date, float]]:
    """The KPI's daily values from the snapshots (days without a number left out)."""
    points = []
    for point in kpi_trend(workspace=workspace, kpi=kpi, days=days):
        day, value = _point_day(point), (point.get("value") if isinstance(point, dict) else None)
        if day is not None and value is not None:
            points.append((day, float(value)))
    return points


def _point_day(point: Any) -> date | None:
    day = point.get("day") if isinstance(point, dict) else None
    if isinstance(day, str):
        return date.fromisoformat(day[:10])
    return day


def drivers_progress(*, workspace, days: int = 90) -> dict[str, list[DriverProgress]]:
    """Every driver by category with its baseline (set, or measured), current value, progress and
    the daily trend of its KPI."""
    baselines = kpi_baselines(workspace=workspace)
    grouped: dict[str, list[DriverProgress]] = {value: [] for value in DriverCategory.values}
    for driver in drivers(workspace=workspace):
        points = _trend(workspace=workspace, kpi=driver.kpi, days=days)
        measured = baselines.get(driver.kpi)
        baseline = driver.baseline if driver.baseline is not None else (measured.value if measured else None)
        current, current_day = (points[-1][1], points[-1][0]) if points else (None, None)
        grouped[driver.category].append(
            DriverProgress(
                driver=driver,
                kpi=KPIS_BY_KEY.get(driver.kpi),
                baseline=baseline,
                baseline_measured=driver.baseline is None and baseline is not None,
                current=current,
                current_day=current_day,
                progress=progress_share(baseline=baseline, current=current, target=driver.target),
                points=points,
            )
        )
    return grouped


def trend_chart(progress: DriverProgress, *, width: int = 320, height: int = 90) -> dict[str, Any]:
    """Coordinates of a small SVG line chart: the KPI per day with the baseline and target lines."""
    points = progress.points
    values = [v for _, v in points] + [
        v for v in (progress.baseline, progress.driver.target) if v is not None
    ]
    if not points:
        return {"width": width, "height": height, "empty": True}
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    pad = 6
    first, last = points[0][0], points[-1][0]
    days = max((last - first).days, 1)

    def x(day: date) -> float:
        return round(pad + (width - 2 * pad) * (day - first).days / days, 1)

    def y(value: float) -> float:
        return round(height - pad - (height - 2 * pad) * (value - low) / span, 1)

    return {
        "width": width,
        "height": height,
        "empty": False,
        "line": " ".join(f"{x(day)},{y(value)}" for day, value in points),
        "baseline_y": y(progress.baseline) if progress.baseline is not None else None,
        "target_y": y(progress.driver.target),
        "first": first,
        "last": last,
        "last_x": x(last),
        "last_y": y(points[-1][1]),
    }


# --- ROI cases ---------------------------------------------------------------------------------------


def roi_prefill(*, workspace) -> dict[str, Any]:
    """The ROI page's opening input: the measured benefits with money values, no costs yet."""
    settings = transformation_settings(workspace=workspace)
    return {
        "discount_rate": float(settings.discount_rate),
        "benefits": [b.as_line() for b in measured_benefits(workspace=workspace) if b.annual],
        "costs": [],
    }


def roi_cases(*, workspace):
    return RoiCase.objects.for_workspace(workspace).select_related("created_by")


def roi_case_get(*, workspace, case_id) -> RoiCase | None:
    return roi_cases(workspace=workspace).filter(pk=case_id).first()


def roi_csv(*, data: dict[str, Any], currency: str) -> str:
    """The case as CSV: one row per line with its yearly amounts, risk, risk-adjusted total,
    present value and evidence, then the five figures."""
    parsed = roi_math.roi_parse(data)
    results = roi_math.roi_compute(parsed)
    table = roi_math.yearly_table(parsed)
    raw = [*data.get("benefits", []), *data.get("costs", [])]
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(
        [
            "kind",
            "name",
            "source",
            "risk",
            "initial",
            "year_1",
            "year_2",
            "year_3",
            "risk_adjusted_total",
            "present_value",
            "currency",
            "evidence",
            "source_url",
        ]
    )
    for row, line in zip(table, raw, strict=True):
        writer.writerow(
            [
                row["kind"],
                row["name"],
                line.get("source", "typed"),
                row["risk"],
                *row["amounts"],
                row["total_adjusted"],
                row["present_value"],
                currency,
                line.get("evidence", ""),
                line.get("source_url", ""),
            ]
        )
    writer.writerow([])
    writer.writerow(["discount_rate", float(parsed.discount_rate)])
    for key in ("pv_benefits", "pv_costs", "npv", "roi", "payback_months"):
        value = results[key]
        writer.writerow([key, "" if value is None else value])
    return out.getvalue()


# --- operating model (RACI) --------------------------------------------------------------------------


def members_by_role(*, workspace) -> dict[str, list[Membership]]:
    grouped: dict[str, list[Membership]] = {role: [] for role in Role.values}
    for membership in (
        Membership.objects.for_workspace(workspace).select_related("user").order_by("user__username")
    ):
        grouped.setdefault(membership.role, []).append(membership)
    return grouped


def raci_matrix(*, workspace) -> list[dict[str, Any]]:
    """Per capability, its RACI entries by letter; a role entry lists the members who hold it."""
    by_role = members_by_role(workspace=workspace)
    role_labels = dict(Role.choices)
    assignments: dict[str, list[RaciAssignment]] = {}
    for assignment in RaciAssignment.objects.for_workspace(workspace).select_related("user"):
        assignments.setdefault(assignment.capability, []).append(assignment)
    rows = []
    for capability in CAPABILITIES:
        letters = []
        for letter, label in Raci.choices:
            entries = []
            for assignment in assignments.get(capability.key, []):
                if assignment.letter != letter:
                    continue
                if assignment.user_id:
                    entries.append(
                        {"assignment": assignment, "label": assignment.user.get_username(), "members": []}
                    )
                else:
                    entries.append(
                        {
                            "assignment": assignment,
                            "label": role_labels.get(assignment.role, assignment.role),
                            "members": [m.user.get_username() for m in by_role.get(assignment.role, [])],
                        }
                    )
            letters.append({"letter": letter, "label": label, "entries": entries})
        rows.append({"capability": capability, "letters": letters})
    return rows


def raci_get(*, workspace, assignment_id) -> RaciAssignment | None:
    return (
        RaciAssignment.objects.for_workspace(workspace)
        .filter(pk=assignment_id)
        .select_related("user")
        .first()
    )
