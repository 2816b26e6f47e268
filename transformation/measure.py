"""Measuring a scope: every KPI from its source, scored against the workspace's bands, and rolled up
into the eight capabilities' measured score, level and weakest KPI."""

from __future__ import annotations

import importlib
from collections import defaultdict
from dataclasses import asdict
from typing import Any

from transformation import bands as banding
from transformation.capabilities import CAPABILITIES
from transformation.kpis.registry import KPIS, KpiDef, KpiResult, Scope


def kpis_measure(scope: Scope, keys: list[str] | None = None) -> dict[str, KpiResult]:
    """Each source module measures its KPIs in a few set-based queries; each KPI gets its own
    window (`window_days`) ending at `scope.until`."""
    by_source: dict[str, list[KpiDef]] = defaultdict(list)
    for kpi in KPIS:
        if keys is None or kpi.key in keys:
            by_source[kpi.source].append(kpi)
    results: dict[str, KpiResult] = {}
    for source, defs in by_source.items():
        module = importlib.import_module(f"transformation.kpis.{source}")
        results.update(module.measure(scope, defs))
    return {kpi.key: results[kpi.key] for kpi in KPIS if kpi.key in results}


def kpis_score(results: dict[str, KpiResult], edges: dict[str, list[float]]) -> dict[str, dict[str, Any]]:
    """The stored and shown form of each KPI: its figures plus score (0-10) and level (1-5), both
    None when the KPI has no number."""
    scored: dict[str, dict[str, Any]] = {}
    for key, result in results.items():
        row = asdict(result)
        if result.value is None:
            row["score"] = row["level"] = None
        else:
            points = banding.score(result.value, edges[key])
            row["score"], row["level"] = points, banding.level(points)
        scored[key] = row
    return scored


def capabilities_roll_up(scored: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per capability: weighted mean of its KPIs' scores (KPIs without data left out), its level,
    and its weakest KPI (lowest score; with no scored KPI, the first one without data)."""
    weights = {k.key: k.weight for k in KPIS}
    rolled: dict[str, dict[str, Any]] = {}
    for capability in CAPABILITIES:
        keys = [k.key for k in KPIS if k.capability == capability.key and k.key in scored]
        scores = {key: scored[key]["score"] for key in keys}
        points = banding.capability_score(scores, weights)
        with_score = [key for key in keys if scores[key] is not None]
        weakest = min(with_score, key=lambda key: scores[key]) if with_score else (keys[0] if keys else None)
        rolled[capability.key] = {
            "score": points,
            "level": banding.level(points) if points is not None else None,
            "weakest": weakest,
        }
    return rolled
