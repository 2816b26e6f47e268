"""KPIs measured from publishing's selectors: posts with language variants and the engagement
rate of published posts. Definitions in docs/transformation.md."""

from __future__ import annotations

from django.utils import timezone

from publishing import selectors as publishing
from transformation.kpis.registry import KpiDef, KpiResult, Scope


def measure(scope: Scope, kpis: list[KpiDef]) -> dict[str, KpiResult]:
    results: dict[str, KpiResult] = {}
    where = {"brand_id": scope.brand_id or None, "business_unit_id": scope.business_unit_id or None}
    for kpi in kpis:
        window = scope.with_days(kpi.window_days)
        if kpi.key == "remembered_variant_share":
            counts = publishing.kpi_variant_counts(
                workspace_id=scope.workspace_id, since=window.since, until=window.until, **where
            )
            share = round(100 * counts["with_variants"] / counts["posts"], 2) if counts["posts"] else None
            results[kpi.key] = KpiResult.measured(
                kpi, share, counts["posts"], detail={"with_variants": counts["with_variants"]}
            )
        elif kpi.key == "remembered_engagement_rate":
            totals = publishing.kpi_engagement_totals(
                workspace_id=scope.workspace_id,
                since=window.since,
                until=min(window.until, timezone.now()),
                **where,
            )
            rate = round(100 * totals["engagement"] / totals["reach"], 3) if totals["reach"] else None
            results[kpi.key] = KpiResult.measured(
                kpi,
                rate,
                totals["targets"],
                excluded=totals["too_young"],
                detail={"engagement": totals["engagement"], "reach": totals["reach"]},
            )
        else:
            results[kpi.key] = KpiResult.measured(kpi, None, 0)
    return results
