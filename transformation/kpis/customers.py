"""KPIs measured from the customer profiles: profiles unified across channels. Definitions in
docs/transformation.md."""

from __future__ import annotations

from cxm.customers import selectors as customers
from listening import selectors as listening
from transformation.kpis.registry import KpiDef, KpiResult, Scope


def measure(scope: Scope, kpis: list[KpiDef]) -> dict[str, KpiResult]:
    results: dict[str, KpiResult] = {}
    for kpi in kpis:
        if kpi.key != "recognised_unified_profiles":
            results[kpi.key] = KpiResult.measured(kpi, None, 0)
            continue
        window = scope.with_days(kpi.window_days)
        # Active: wrote a mention in the window (listening is where every public author lands).
        active = listening.kpi_active_authors(
            workspace_id=scope.workspace_id,
            since=window.since,
            until=window.until,
            brand_id=scope.brand_id or None,
            business_unit_id=scope.business_unit_id or None,
        )
        counts = customers.kpi_unified_profiles(workspace_id=scope.workspace_id, active=active)
        share = round(100 * counts["unified"] / counts["profiles"], 2) if counts["profiles"] else None
        results[kpi.key] = KpiResult.measured(
            kpi, share, counts["profiles"], detail={"unified": counts["unified"]}
        )
    return results
