"""The value model, the ROI cases and the operating model's RACI: services (writes, audited) and
selectors (reads) the value, ROI and operating pages use.

Benefits are measured from the daily KPI snapshots: the baseline is the snapshot whose trailing
window covers the first 28 days after onboarding (`TransformationSettings.baseline_start`, else the
workspace's first snapshot), unless an earlier period was imported; the current figure is the
latest snapshot whose window no longer overlaps the baseline's.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ads import selectors as ads_selectors
from cxm.audit.services import audit_record
from cxm.spreadsheet import csv_writer
from cxm.tenancy.models import Membership, Role
from transformation import roi as roi_math
from transformation.bands import BAND_SETS, DEFAULT_BAND_SET
from transformation.capabilities import BY_KEY as CAPABILITIES_BY_KEY
from transformation.capabilities import CAPABILITIES
from transformation.kpis.registry import BY_KEY as KPIS_BY_KEY
from transformation.kpis.registry import KpiDef
from transformation.models import (
    DriverCategory,
    KpiSnapshot,
    Raci,
    RaciAssignment,
    RoiCase,
    TransformationSettings,
    ValueDriver,
)

BASELINE_DAYS = 28
DAYS_PER_YEAR = 365

# --- settings ----------------------------------------------------------------------------------------


def transformation_settings(*, workspace) -> TransformationSettings:
    """The workspace's settings row, or the defaults (unsaved) when it has none yet."""
    return TransformationSettings.objects.for_workspace(workspace).first() or TransformationSettings(
        workspace=workspace
    )


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


def _driver_clean(*, category: str, name: str, kpi: str, target: float | None) -> None:
    errors: dict[str, list[str]] = {}
    if category not in DriverCategory.values:
        errors["category"] = [_("Choose revenue, cost or risk.")]
    if not (name or "").strip():
        errors["name"] = [_("Name the value this driver stands for.")]
    if kpi not in KPIS_BY_KEY:
        errors["kpi"] = [_("Choose one of the measured KPIs.")]
    if target is None:
        errors["target"] = [_("Set the target the KPI should reach.")]
    if errors:
        raise ValidationError(errors)


def _driver_state(driver: ValueDriver) -> dict[str, Any]:
    return {
        "category": driver.category,
        "name": driver.name,
        "kpi": driver.kpi,
        "baseline": driver.baseline,
        "target": driver.target,
    }


@transaction.atomic
def driver_create(
    *,
    workspace,
    category: str,
    name: str,
    kpi: str,
    target: float | None,
    baseline: float | None = None,
    by=None,
    request=None,
) -> ValueDriver:
    """A new driver at the end of its category. Without a baseline, the measured one is shown."""
    _driver_clean(category=category, name=name, kpi=kpi, target=target)
    position = drivers(workspace=workspace).filter(category=category).count()
    driver = ValueDriver.objects.create(
        workspace=workspace,
        category=category,
        name=name.strip(),
        kpi=kpi,
        baseline=baseline,
        target=target,
        position=position,
    )
    audit_record(
        workspace=workspace,
        actor=by,
        action="transformation.driver_create",
        target=driver,
        after=_driver_state(driver),
        request=request,
        object_repr=driver.name,
    )
    return driver


@transaction.atomic
def driver_suggestion_add(*, workspace, index: int, by=None, request=None) -> ValueDriver:
    try:
        item = DEFAULT_DRIVERS[index]
    except (IndexError, TypeError):
        raise ValidationError({"suggestion": [_("No such suggestion.")]}) from None
    return driver_create(
        workspace=workspace,
        category=item["category"],
        name=str(item["name"]),
        kpi=item["kpi"],
        target=suggestion_target(item["kpi"]),
        by=by,
        request=request,
    )


@transaction.atomic
def driver_update(
    *,
    driver: ValueDriver,
    category: str,
    name: str,
    kpi: str,
    target: float | None,
    baseline: float | None,
    by=None,
    request=None,
) -> ValueDriver:
    _driver_clean(category=category, name=name, kpi=kpi, target=target)
    before = _driver_state(driver)
    driver.category, driver.name, driver.kpi = category, name.strip(), kpi
    driver.target, driver.baseline = target, baseline
    driver.save()
    audit_record(
        workspace=driver.workspace,
        actor=by,
        action="transformation.driver_update",
        target=driver,
        before=before,
        after=_driver_state(driver),
        request=request,
        object_repr=driver.name,
    )
    return driver


@transaction.atomic
def driver_delete(*, driver: ValueDriver, by=None, request=None) -> None:
    audit_record(
        workspace=driver.workspace,
        actor=by,
        action="transformation.driver_delete",
        target=driver,
        before=_driver_state(driver),
        request=request,
        object_repr=driver.name,
    )
    driver.delete()


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
    from transformation.selectors import kpi_trend

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
    baselines = _baselines(workspace=workspace)
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


# --- measured baseline and current figures -----------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One KPI figure and where it came from."""

    value: float
    n: int
    business_value: float | None
    since: date
    until: date  # inclusive
    imported: bool = False

    @property
    def window(self) -> str:
        return f"{self.since.isoformat()} to {self.until.isoformat()}"


def _snapshots(workspace):
    return KpiSnapshot.objects.filter(workspace_id=workspace.pk, business_unit_id=0, brand_id=0)


def _figure(snapshot: KpiSnapshot, kpi: str) -> Figure | None:
    row = (snapshot.values or {}).get(kpi) or {}
    if row.get("value") is None:
        return None
    window = KPIS_BY_KEY[kpi].window_days if kpi in KPIS_BY_KEY else BASELINE_DAYS
    return Figure(
        value=float(row["value"]),
        n=int(row.get("n") or 0),
        business_value=row.get("business_value"),
        since=snapshot.day - timedelta(days=window - 1),
        until=snapshot.day,
    )


def baseline_period(*, workspace) -> tuple[date, date] | None:
    """The first 28 days after onboarding: from `baseline_start`, else from the first snapshot."""
    start = transformation_settings(workspace=workspace).baseline_start
    if start is None:
        start = _snapshots(workspace).order_by("day").values_list("day", flat=True).first()
    if start is None:
        return None
    return start, start + timedelta(days=BASELINE_DAYS - 1)


def _baselines(*, workspace) -> dict[str, Figure]:
    """Per KPI, the baseline figure: imported, else the last snapshot inside the baseline period
    (its trailing window is the period itself once the period is complete)."""
    settings = transformation_settings(workspace=workspace)
    figures: dict[str, Figure] = {}
    period = baseline_period(workspace=workspace)
    if period:
        snapshots = list(
            _snapshots(workspace).filter(day__gte=period[0], day__lte=period[1]).order_by("-day")
        )
        for kpi in KPIS_BY_KEY:
            for snapshot in snapshots:
                figure = _figure(snapshot, kpi)
                if figure is not None:
                    figures[kpi] = figure
                    break
    for kpi, row in (settings.baseline_imported or {}).items():
        if kpi in KPIS_BY_KEY and isinstance(row, dict) and row.get("value") is not None:
            figures[kpi] = Figure(
                value=float(row["value"]),
                n=int(row.get("n") or 0),
                business_value=row.get("business_value"),
                since=date.fromisoformat(row["since"])
                if row.get("since")
                else period[0]
                if period
                else date.min,
                until=date.fromisoformat(row["until"])
                if row.get("until")
                else period[1]
                if period
                else date.min,
                imported=True,
            )
    return figures


def _current(*, workspace, kpi: str, after: date) -> tuple[Figure | None, list[Figure]]:
    """The latest figure whose window starts after the day `after` (so it shares no day with the
    baseline ending then),
    and the weekly figures before it (newest first) that tell whether the change held."""
    window = KPIS_BY_KEY[kpi].window_days
    rows = list(
        _snapshots(workspace)
        .filter(day__gte=after + timedelta(days=window))
        .order_by("-day")
        .only("day", "values")[: roi_math.STRONG_WEEKS * 7 + 7]
    )
    figures = {snapshot.day: figure for snapshot in rows if (figure := _figure(snapshot, kpi))}
    if not figures:
        return None, []
    latest = max(figures)
    weekly = [figures.get(latest - timedelta(days=7 * week)) for week in range(roi_math.STRONG_WEEKS)]
    return figures[latest], [f for f in weekly if f is not None] if all(weekly) else []


def _better(kpi: KpiDef, value: float, baseline: float) -> bool:
    return value > baseline if kpi.better == "higher" else value < baseline


# --- measured benefits -------------------------------------------------------------------------------


@dataclass
class MeasuredBenefit:
    """A benefit line computed from a measured change, with its evidence."""

    key: str
    category: str
    name: str
    kpi: str
    baseline: Figure
    current: Figure
    annual: Decimal | None  # money per year; None when the change has no money value of its own
    change: str  # the change in the KPI's own terms, e.g. "1.5 h less per case x 9,125 cases a year"
    formula: str
    risk: Decimal
    weeks_held: int
    source_url: str

    def as_line(self) -> dict[str, Any]:
        """The line as the ROI input takes it (amount held steady over the three years)."""
        amount = float(round(self.annual or 0, 2))
        return {
            "name": self.name,
            "annual": [amount, amount, amount],
            "risk": float(self.risk),
            "source": "measured",
            "kpi": self.kpi,
            "evidence": self.evidence,
            "source_url": self.source_url,
        }

    @property
    def evidence(self) -> str:
        return _("%(kpi)s: baseline %(base)s (n=%(bn)s, %(bw)s), current %(cur)s (n=%(cn)s, %(cw)s)") % {
            "kpi": self.kpi,
            "base": _with_business(self.baseline),
            "bn": self.baseline.n,
            "bw": self.baseline.window + (" " + _("imported") if self.baseline.imported else ""),
            "cur": _with_business(self.current),
            "cn": self.current.n,
            "cw": self.current.window,
        }


def _with_business(figure: Figure) -> str:
    if figure.business_value is None:
        return _fmt(figure.value)
    return _("%(value)s (%(business)s in business hours)") % {
        "value": _fmt(figure.value),
        "business": _fmt(figure.business_value),
    }


def _fmt(value: float | Decimal) -> str:
    """Up to two decimals, grouped and marked by the active locale ("1,234.5"; "1.234,5" in id)."""
    return number_format(Decimal(f"{float(value):.2f}".rstrip("0").rstrip(".")), force_grouping=True)


@dataclass(frozen=True)
class BenefitRule:
    key: str
    category: str
    name: Any
    kpi: str
    formula: Any
    # (baseline, current, settings, workspace) -> (money per year or None, the change in words), or
    # None when there is no improvement to count
    compute: Callable[..., tuple[Decimal | None, str] | None]


def _per_year(count: int, window_days: int) -> Decimal:
    return Decimal(count) * DAYS_PER_YEAR / window_days


def _agent_hours(baseline: Figure, current: Figure, settings, workspace):
    """Hours per case saved x cases per year x the loaded hourly cost. Business hours when both
    figures have them: an agent's time, not the customer's wait over nights and weekends."""
    use_business = baseline.business_value is not None and current.business_value is not None
    before = Decimal(str(baseline.business_value if use_business else baseline.value))
    after = Decimal(str(current.business_value if use_business else current.value))
    saved = before - after
    if saved <= 0:
        return None
    cases = _per_year(current.n, KPIS_BY_KEY["enjoy_resolution_time"].window_days)
    hours = saved * cases
    money = hours * Decimal(str(settings.loaded_hourly_cost))
    return money, _("%(saved)s h less per case x %(cases)s cases a year = %(hours)s h") % {
        "saved": _fmt(saved),
        "cases": _fmt(cases.quantize(Decimal(1))),
        "hours": _fmt(hours.quantize(Decimal(1))),
    }


def _ad_conversion(baseline: Figure, current: Figure, settings, workspace):
    """Extra conversion value per unit of spend x the year's spend, counted at the operating
    margin: revenue is not profit."""
    uplift = Decimal(str(current.value)) - Decimal(str(baseline.value))
    if uplift <= 0:
        return None
    try:
        spend = ads_selectors.ad_spend(
            workspace=workspace,
            since=current.since,
            until=current.until + timedelta(days=1),
            currency=settings.currency,
        )
    except ValueError:  # a currency the ads module does not know holds no spend
        spend = Decimal(0)
    window = (current.until - current.since).days + 1
    yearly_spend = spend * DAYS_PER_YEAR / window
    revenue = uplift * yearly_spend
    return revenue * Decimal(str(settings.operating_margin)), _(
        "ROAS +%(uplift)s x %(spend)s %(currency)s spend a year = %(revenue)s revenue, at %(margin)s %% margin"
    ) % {
        "uplift": _fmt(uplift),
        "spend": _fmt(yearly_spend.quantize(Decimal(1))),
        "currency": settings.currency,
        "revenue": _fmt(revenue.quantize(Decimal(1))),
        "margin": _fmt(Decimal(str(settings.operating_margin)) * 100),
    }


def _unanswered(baseline: Figure, current: Figure, settings, workspace):
    """Fewer items left unanswered after 24 h: exposure avoided, without a money value of its own."""
    fewer = Decimal(str(baseline.value)) - Decimal(str(current.value))
    if fewer <= 0:
        return None
    per_year = _per_year(1, KPIS_BY_KEY["heard_unanswered_24h"].window_days) * fewer
    return None, _("%(n)s fewer items a year left unanswered after 24 h") % {
        "n": _fmt(per_year.quantize(Decimal(1)))
    }


BENEFIT_RULES: tuple[BenefitRule, ...] = (
    BenefitRule(
        "agent_hours",
        "cost",
        gettext_lazy("Agent hours saved"),
        "enjoy_resolution_time",
        gettext_lazy("(baseline hours per case - current) x cases a year x loaded hourly cost"),
        _agent_hours,
    ),
    BenefitRule(
        "ad_conversion",
        "revenue",
        gettext_lazy("Conversion uplift on ad spend"),
        "relevant_roas",
        gettext_lazy("(current ROAS - baseline) x ad spend a year x operating margin"),
        _ad_conversion,
    ),
    BenefitRule(
        "crisis_exposure",
        "risk",
        gettext_lazy("Crisis exposure avoided"),
        "heard_unanswered_24h",
        gettext_lazy("(baseline unanswered after 24 h - current) a year; put a value on each to count it"),
        _unanswered,
    ),
)


def measured_benefits(*, workspace) -> list[MeasuredBenefit]:
    """The benefits measured against the baseline, each with its evidence and risk adjustment:
    10 % with n of 1,000 or more and the improvement held on each of the last 8 weekly figures,
    20 % otherwise. Rules without an improvement are left out."""
    settings = transformation_settings(workspace=workspace)
    baselines = _baselines(workspace=workspace)
    period = baseline_period(workspace=workspace)
    found = []
    for rule in BENEFIT_RULES:
        baseline = baselines.get(rule.kpi)
        if baseline is None:
            continue
        after = max(baseline.until, period[1]) if period and not baseline.imported else baseline.until
        current, weekly = _current(workspace=workspace, kpi=rule.kpi, after=after)
        if current is None:
            continue
        computed = rule.compute(baseline, current, settings, workspace)
        if computed is None:
            continue
        annual, change = computed
        kpi = KPIS_BY_KEY[rule.kpi]
        weeks_held = 0
        for figure in weekly:
            if not _better(kpi, figure.value, baseline.value):
                break
            weeks_held += 1
        found.append(
            MeasuredBenefit(
                key=rule.key,
                category=rule.category,
                name=str(rule.name),
                kpi=rule.kpi,
                baseline=baseline,
                current=current,
                annual=annual,
                change=change,
                formula=str(rule.formula),
                risk=roi_math.risk_for_evidence(typed=False, n=current.n, weeks_held=weeks_held),
                weeks_held=weeks_held,
                source_url=reverse("transformation:roi-source", kwargs={"kpi": rule.kpi}),
            )
        )
    return found


def kpi_source(*, workspace, kpi: str) -> dict[str, Any] | None:
    """What a measured figure came from: the KPI's definition, the baseline and current windows and
    the daily snapshots between them."""
    definition = KPIS_BY_KEY.get(kpi)
    if definition is None:
        return None
    baseline = _baselines(workspace=workspace).get(kpi)
    period = baseline_period(workspace=workspace)
    current = None
    if baseline is not None:
        after = max(baseline.until, period[1]) if period and not baseline.imported else baseline.until
        current, _weekly = _current(workspace=workspace, kpi=kpi, after=after)
    rules = [rule for rule in BENEFIT_RULES if rule.kpi == kpi]
    return {
        "kpi": definition,
        "baseline": baseline,
        "current": current,
        "period": period,
        "formula": str(rules[0].formula) if rules else "",
        "query": _(
            "KPI %(key)s over the whole workspace (all business units and brands), trailing %(days)s-day window "
            "ending each day, from the daily snapshots"
        )
        % {"key": kpi, "days": definition.window_days},
        "api_url": reverse("transformation-capabilities"),
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


@transaction.atomic
def roi_case_save(*, workspace, name: str, data: dict[str, Any], by=None, request=None) -> RoiCase:
    """Save a case with the figures computed from it; raises RoiInputError on bad input."""
    if not (name or "").strip():
        raise roi_math.RoiInputError({"name": [_("Name the case.")]})
    parsed = roi_math.roi_parse(data)
    results = roi_math.roi_compute(parsed)
    case = RoiCase.objects.create(
        workspace=workspace,
        name=name.strip()[:200],
        discount_rate=parsed.discount_rate,
        inputs={"benefits": data["benefits"], "costs": data["costs"]},
        results=results,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit_record(
        workspace=workspace,
        actor=by,
        action="transformation.roi_case_save",
        target=case,
        after=results,
        request=request,
        object_repr=case.name,
    )
    return case


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


def _raci_state(assignment: RaciAssignment) -> dict[str, Any]:
    return {
        "capability": assignment.capability,
        "user": assignment.user.get_username() if assignment.user_id else None,
        "role": assignment.role or None,
        "letter": assignment.letter,
    }


@transaction.atomic
def raci_assign(
    *,
    workspace,
    capability: str,
    letter: str,
    user_id: int | None = None,
    role: str = "",
    by=None,
    request=None,
) -> RaciAssignment:
    """Give a member, or everyone holding a role, a RACI letter for a capability. A capability has
    one Accountable at most: someone must answer for it, and only one can."""
    errors: dict[str, list[str]] = {}
    if capability not in CAPABILITIES_BY_KEY:
        errors["capability"] = [_("No such capability.")]
    if letter not in Raci.values:
        errors["letter"] = [_("Choose R, A, C or I.")]
    user = None
    if bool(user_id) == bool(role):
        errors["who"] = [_("Choose a member or a role.")]
    elif user_id:
        membership = (
            Membership.objects.for_workspace(workspace).filter(user_id=user_id).select_related("user").first()
        )
        if membership is None:
            errors["who"] = [_("Choose a member of this workspace.")]
        else:
            user = membership.user
    elif role not in Role.values:
        errors["who"] = [_("Choose one of the roles.")]
    if errors:
        raise ValidationError(errors)
    existing = RaciAssignment.objects.for_workspace(workspace).filter(capability=capability)
    if letter == Raci.ACCOUNTABLE and existing.filter(letter=Raci.ACCOUNTABLE).exists():
        raise ValidationError(
            {"letter": [_("This capability already has someone accountable; remove them first.")]}
        )
    if existing.filter(letter=letter, user=user, role=role if user is None else "").exists():
        raise ValidationError({"who": [_("Already assigned.")]})
    assignment = RaciAssignment.objects.create(
        workspace=workspace,
        capability=capability,
        letter=letter,
        user=user,
        role=role if user is None else "",
    )
    audit_record(
        workspace=workspace,
        actor=by,
        action="transformation.raci_assign",
        target=assignment,
        after=_raci_state(assignment),
        request=request,
        object_repr=f"{capability} {letter}",
    )
    return assignment


def raci_get(*, workspace, assignment_id) -> RaciAssignment | None:
    return (
        RaciAssignment.objects.for_workspace(workspace)
        .filter(pk=assignment_id)
        .select_related("user")
        .first()
    )


@transaction.atomic
def raci_remove(*, assignment: RaciAssignment, by=None, request=None) -> None:
    audit_record(
        workspace=assignment.workspace,
        actor=by,
        action="transformation.raci_remove",
        target=assignment,
        before=_raci_state(assignment),
        request=request,
        object_repr=f"{assignment.capability} {assignment.letter}",
    )
    assignment.delete()


def now_day() -> date:
    return timezone.now().date()
