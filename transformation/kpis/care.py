"""KPIs measured from care's selectors (and, for the answers to public mentions, listening's).

Each KPI has its own window ending at `scope.until`; the selectors are asked once per window.
The exact definitions are in docs/transformation.md ("Care and ads").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from care import selectors as care_selectors
from listening import selectors as listening_selectors
from transformation.kpis.registry import KpiDef, KpiResult, Scope


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def _in(seconds: float | None, unit_seconds: int) -> float | None:
    return round(seconds / unit_seconds, 2) if seconds is not None else None


class _Figures:
    """The selectors' answers for one scope, each fetched once per window length."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self._cache: dict[tuple[str, int], Any] = {}

    def get(self, selector: Callable[..., Any], days: int) -> Any:
        key = (selector.__name__, days)
        if key not in self._cache:
            window = self.scope.with_days(days)
            self._cache[key] = selector(
                workspace_id=window.workspace_id,
                since=window.since,
                until=window.until,
                business_unit_id=window.business_unit_id,
                brand_id=window.brand_id,
            )
        return self._cache[key]


def _answers(figures: _Figures, kpi: KpiDef) -> tuple[dict[str, int], dict[str, int]]:
    return (
        figures.get(care_selectors.kpi_case_answers, kpi.window_days),
        figures.get(listening_selectors.kpi_mention_answers, kpi.window_days),
    )


def _answered_share(figures: _Figures, kpi: KpiDef) -> KpiResult:
    cases, mentions = _answers(figures, kpi)
    young = cases["young"] + mentions["young"]
    n = cases["items"] + mentions["items"] - young
    answered = cases["answered"] + mentions["answered"]
    return KpiResult.measured(
        kpi,
        _share(answered, n),
        n,
        excluded=young,
        detail={"answered": answered, "cases": cases, "mentions": mentions},
    )


def _unanswered_24h(figures: _Figures, kpi: KpiDef) -> KpiResult:
    cases, mentions = _answers(figures, kpi)
    n = cases["old"] + mentions["old"]
    excluded = cases["items"] + mentions["items"] - n
    late = cases["late"] + mentions["late"]
    return KpiResult.measured(
        kpi, float(late), n, excluded=excluded, detail={"cases": cases, "mentions": mentions}
    )


def _time(figures: _Figures, kpi: KpiDef, kind: str, unit_seconds: int) -> KpiResult:
    times = figures.get(care_selectors.kpi_case_times, kpi.window_days)[kind]
    return KpiResult.measured(
        kpi,
        _in(times["median"], unit_seconds),
        times["n"],
        mean=_in(times["mean"], unit_seconds),
        business_value=_in(times["business_median"], unit_seconds),
        business_mean=_in(times["business_mean"], unit_seconds),
    )


def _csat(figures: _Figures, kpi: KpiDef) -> KpiResult:
    csat = figures.get(care_selectors.kpi_csat, kpi.window_days)
    average = round(csat["average"], 2) if csat["average"] is not None else None
    return KpiResult.measured(kpi, average, csat["responses"])


def _csat_response_rate(figures: _Figures, kpi: KpiDef) -> KpiResult:
    csat = figures.get(care_selectors.kpi_csat, kpi.window_days)
    return KpiResult.measured(
        kpi,
        _share(csat["surveys_answered"], csat["surveys"]),
        csat["surveys"],
        excluded=csat["surveys_young"],
        detail={"answered": csat["surveys_answered"]},
    )


def _reply_language(figures: _Figures, kpi: KpiDef) -> KpiResult:
    replies = figures.get(care_selectors.kpi_reply_language, kpi.window_days)
    return KpiResult.measured(
        kpi,
        _share(replies["same_language"], replies["replies"]),
        replies["replies"],
        detail={"same_language": replies["same_language"], "unknown_language": replies["unknown_language"]},
    )


def _known_customer(figures: _Figures, kpi: KpiDef) -> KpiResult:
    customers = figures.get(care_selectors.kpi_case_customers, kpi.window_days)
    return KpiResult.measured(
        kpi,
        _share(customers["known"], customers["cases"]),
        customers["cases"],
        detail={"known": customers["known"]},
    )


def _repeat_contacts(figures: _Figures, kpi: KpiDef) -> KpiResult:
    customers = figures.get(care_selectors.kpi_case_customers, kpi.window_days)
    return KpiResult.measured(
        kpi,
        _share(customers["repeats"], customers["repeat_base"]),
        customers["repeat_base"],
        excluded=customers["repeat_young"],
        detail={"repeats": customers["repeats"]},
    )


def _resolution_share(figures: _Figures, kpi: KpiDef, part: str) -> KpiResult:
    resolutions = figures.get(care_selectors.kpi_resolutions, kpi.window_days)
    return KpiResult.measured(
        kpi,
        _share(resolutions[part], resolutions["resolved"]),
        resolutions["resolved"],
        detail={part: resolutions[part]},
    )


MEASURES: dict[str, Callable[[_Figures, KpiDef], KpiResult]] = {
    "heard_answered_share": _answered_share,
    "heard_first_response": lambda figures, kpi: _time(figures, kpi, "first_response", 60),
    "heard_unanswered_24h": _unanswered_24h,
    "enjoy_csat": _csat,
    "enjoy_csat_response_rate": _csat_response_rate,
    "enjoy_resolution_time": lambda figures, kpi: _time(figures, kpi, "resolution", 3600),
    "remembered_reply_language": _reply_language,
    "recognised_known_customer": _known_customer,
    "recognised_repeat_contacts": _repeat_contacts,
    "smarter_first_contact_resolution": lambda figures, kpi: _resolution_share(figures, kpi, "first_contact"),
    "smarter_guided_resolution": lambda figures, kpi: _resolution_share(figures, kpi, "guided"),
}


def measure(scope: Scope, kpis: list[KpiDef]) -> dict[str, KpiResult]:
    figures = _Figures(scope)
    return {kpi.key: MEASURES[kpi.key](figures, kpi) for kpi in kpis}
