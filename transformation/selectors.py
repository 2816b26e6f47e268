"""Reads of the live KPI engine: the eight capabilities with their KPIs as measured today, trends
from the daily snapshots, and the bands a workspace scores against."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from transformation import bands as banding
from transformation.band_selectors import band_set_of, bands_edges
from transformation.capabilities import BY_KEY as CAPABILITY_BY_KEY
from transformation.capabilities import CAPABILITIES
from transformation.kpis.registry import BY_KEY, KPIS, KpiResult
from transformation.measure import capabilities_roll_up, kpis_score
from transformation.models import BandOverride, KpiSnapshot, TransformationSettings
from transformation.services import snapshot_take

RESULT_FIELDS = ("value", "n", "excluded", "mean", "business_value", "business_mean", "detail", "status")


def _workspace_id(workspace) -> int:
    return workspace if isinstance(workspace, int) else workspace.pk


def transformation_settings(*, workspace) -> TransformationSettings:
    """The workspace's settings row, or the defaults (unsaved) when it has none yet."""
    return TransformationSettings.objects.for_workspace(workspace).first() or TransformationSettings(
        workspace=workspace
    )


def bands_effective(*, workspace) -> list[dict[str, Any]]:
    """Every KPI in registry order with the edges it is scored against, the band set's own, and
    whether the workspace overrides them."""
    workspace_id = _workspace_id(workspace)
    band_set = band_set_of(workspace_id=workspace_id)
    shipped = banding.BAND_SETS[band_set]
    overrides = {
        row["kpi"]: row
        for row in BandOverride.objects.filter(workspace_id=workspace_id).values(
            "kpi", "edges", "updated_at", "updated_by_id"
        )
    }
    rows = []
    for kpi in KPIS:
        override = overrides.get(kpi.key)
        rows.append(
            {
                "key": kpi.key,
                "capability": kpi.capability,
                "name": str(kpi.name),
                "unit": kpi.unit,
                "better": kpi.better,
                "band_set": band_set,
                "edges": list(override["edges"]) if override else list(shipped[kpi.key]),
                "default_edges": list(shipped[kpi.key]),
                "overridden": override is not None,
                "updated_at": override["updated_at"] if override else None,
                "updated_by_id": override["updated_by_id"] if override else None,
            }
        )
    return rows


def _today() -> date:
    return timezone.now().astimezone(UTC).date()


def capabilities_live(
    *, workspace, business_unit_id: int | None = None, brand_id: int | None = None, on_demand: bool = False
) -> list[dict[str, Any]]:
    """The eight capabilities in order, each with its KPIs as measured today: from today's
    snapshot when there is one, otherwise (or with `on_demand`) measured now and stored as
    today's snapshot. Scores follow the workspace's bands as they are now."""
    workspace_id = _workspace_id(workspace)
    unit, brand = business_unit_id or 0, brand_id or 0
    today = _today()
    snapshot = None
    if not on_demand:
        snapshot = KpiSnapshot.objects.filter(
            workspace_id=workspace_id, business_unit_id=unit, brand_id=brand, day=today
        ).first()
    stale_before = timezone.now() - timedelta(minutes=settings.CXM_TRANSFORMATION_STALE_MINUTES)
    if snapshot is None or set(BY_KEY) - set(snapshot.values) or snapshot.computed_at < stale_before:
        # None yet today, taken before a KPI was added, or left behind by a beat that is not
        # running: measure now.
        snapshot = snapshot_take(workspace_id=workspace_id, day=today, business_unit_id=unit, brand_id=brand)
    # Re-scored against today's bands, so an override shows at once (stored history keeps its own).
    results = {
        key: KpiResult(**{name: row.get(name) for name in RESULT_FIELDS if name in row})
        for key, row in snapshot.values.items()
        if key in BY_KEY
    }
    scored = kpis_score(results, bands_edges(workspace_id=workspace_id))
    rolled = capabilities_roll_up(scored)
    capabilities = []
    for capability in CAPABILITIES:
        kpis = []
        for kpi in KPIS:
            if kpi.capability != capability.key or kpi.key not in scored:
                continue
            row = scored[kpi.key]
            kpis.append(
                {
                    "key": kpi.key,
                    "name": str(kpi.name),
                    "value": row["value"],
                    "unit": kpi.unit,
                    "level": row["level"],
                    "score": row["score"],
                    "window": kpi.window_days,
                    "n": row["n"],
                    "excluded": row["excluded"],
                    "status": row["status"],
                    "mean": row["mean"],
                    "business_value": row["business_value"],
                    "business_mean": row["business_mean"],
                    "detail": row["detail"],
                }
            )
        capabilities.append(
            {
                "key": capability.key,
                "outcome": str(capability.outcome),
                "experience": str(capability.experience),
                "kpis": kpis,
                "measured_score": rolled[capability.key]["score"],
                "measured_level": rolled[capability.key]["level"],
                "weakest": rolled[capability.key]["weakest"],
            }
        )
    return capabilities


def _snapshots(workspace_id: int, days: int, business_unit_id: int, brand_id: int):
    since = _today() - timedelta(days=days - 1)
    return KpiSnapshot.objects.filter(
        workspace_id=workspace_id,
        business_unit_id=business_unit_id or 0,
        brand_id=brand_id or 0,
        day__gte=since,
    ).order_by("day")


def kpi_trend(
    *, workspace, kpi: str, days: int = 90, business_unit_id: int = 0, brand_id: int = 0
) -> list[dict[str, Any]]:
    """One KPI day by day over the last `days` days (today included), as each day's snapshot
    stored it: days without a snapshot are left out."""
    if kpi not in BY_KEY:
        raise KeyError(kpi)
    rows = _snapshots(_workspace_id(workspace), days, business_unit_id, brand_id).values_list(
        "day", f"values__{kpi}"
    )
    return [
        {
            "day": day,
            "value": figures.get("value"),
            "score": figures.get("score"),
            "level": figures.get("level"),
            "n": figures.get("n"),
            "status": figures.get("status"),
        }
        for day, figures in rows
        if figures
    ]


def capability_trend(
    *, workspace, capability: str, days: int = 90, business_unit_id: int = 0, brand_id: int = 0
) -> list[dict[str, Any]]:
    """One capability's measured score and level day by day, as each day's snapshot stored it."""
    if capability not in CAPABILITY_BY_KEY:
        raise KeyError(capability)
    rows = _snapshots(_workspace_id(workspace), days, business_unit_id, brand_id).values_list(
        "day", f"capabilities__{capability}"
    )
    return [
        {
            "day": day,
            "score": figures.get("score"),
            "level": figures.get("level"),
            "weakest": figures.get("weakest"),
        }
        for day, figures in rows
        if figures
    ]


def snapshot_computed_at(*, workspace, business_unit_id: int | None = None, brand_id: int | None = None):
    """When today's figures for this scope were measured, or None."""
    return (
        KpiSnapshot.objects.filter(
            workspace_id=_workspace_id(workspace),
            business_unit_id=business_unit_id or 0,
            brand_id=brand_id or 0,
            day=_today(),
        )
        .values_list("computed_at", flat=True)
        .first()
    )
