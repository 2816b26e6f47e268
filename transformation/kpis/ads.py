"""KPIs measured from ads's selectors: return on ad spend and click-through rate.

Insights are per ad and day (the ad account's day), so a window is the `window_days` whole
dates before the UTC date of `scope.until`. The exact definitions are in docs/transformation.md
("Care and ads").
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from ads import selectors as ads_selectors
from transformation.kpis.registry import KpiDef, KpiResult, Scope


def _totals(scope: Scope, days: int) -> list[dict[str, Any]]:
    date_until = scope.until.astimezone(UTC).date()
    return ads_selectors.kpi_ad_totals(
        workspace_id=scope.workspace_id,
        date_from=date_until - timedelta(days=days),
        date_until=date_until,
        business_unit_id=scope.business_unit_id,
        brand_id=scope.brand_id,
    )


def _roas(kpi: KpiDef, rows: list[dict[str, Any]]) -> KpiResult:
    """Spend and conversion value are only added up within one currency: the figure is the ROAS
    of the currency with the most ad-days with spend; every currency's is in `detail`."""
    spent = [row for row in rows if row["spend"] > 0]
    if not spent:
        return KpiResult.measured(kpi, None, 0)
    by_currency = [
        {
            "currency": row["currency"],
            "roas": round(row["conversion_value"] / row["spend"], 4),
            "n": row["ad_days_with_spend"],
        }
        for row in spent
    ]
    main = max(spent, key=lambda row: (row["ad_days_with_spend"], row["spend"]))
    return KpiResult.measured(
        kpi,
        round(main["conversion_value"] / main["spend"], 4),
        main["ad_days_with_spend"],
        detail={"currency": main["currency"], "by_currency": by_currency},
    )


def _ctr(kpi: KpiDef, rows: list[dict[str, Any]]) -> KpiResult:
    impressions = sum(row["impressions"] for row in rows)
    clicks = sum(row["clicks"] for row in rows)
    n = sum(row["ad_days_with_impressions"] for row in rows)
    value = round(100 * clicks / impressions, 4) if impressions else None
    return KpiResult.measured(kpi, value, n, detail={"clicks": clicks, "impressions": impressions})


def measure(scope: Scope, kpis: list[KpiDef]) -> dict[str, KpiResult]:
    totals: dict[int, list[dict[str, Any]]] = {}
    results: dict[str, KpiResult] = {}
    for kpi in kpis:
        if kpi.window_days not in totals:
            totals[kpi.window_days] = _totals(scope, kpi.window_days)
        rows = totals[kpi.window_days]
        results[kpi.key] = _roas(kpi, rows) if kpi.key == "relevant_roas" else _ctr(kpi, rows)
    return results
