"""KPIs measured from care's selectors."""

from __future__ import annotations

from cxm.transformation.kpis.registry import KpiDef, KpiResult, Scope


def measure(scope: Scope, kpis: list[KpiDef]) -> dict[str, KpiResult]:
    return {kpi.key: KpiResult.measured(kpi, None, 0) for kpi in kpis}
