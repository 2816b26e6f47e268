"""Benefits measured from the daily KPI snapshots (reads): the baseline is the snapshot whose
trailing window covers the first 28 days after onboarding (`TransformationSettings.baseline_start`,
else the workspace's first snapshot), unless an earlier period was imported; the current figure is
the latest snapshot whose window no longer overlaps the baseline's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ads import selectors as ads_selectors
from transformation import roi as roi_math
from transformation.kpis.registry import BY_KEY as KPIS_BY_KEY
from transformation.kpis.registry import KpiDef
from transformation.models import KpiSnapshot
from transformation.selectors import transformation_settings

BASELINE_DAYS = 28
DAYS_PER_YEAR = 365


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


def kpi_baselines(*, workspace) -> dict[str, Figure]:
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
    baselines = kpi_baselines(workspace=workspace)
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
    baseline = kpi_baselines(workspace=workspace).get(kpi)
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
