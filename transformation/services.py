"""Writes of the live KPI engine: daily snapshots of every KPI and capability per scope, and a
workspace's own band edges (audited)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cxm.audit.services import audit_record
from cxm.tenancy.models import Brand, BusinessUnit, Workspace
from transformation import bands as banding
from transformation.band_selectors import bands_edges
from transformation.kpis.registry import BY_KEY, Scope
from transformation.measure import capabilities_roll_up, kpis_measure, kpis_score
from transformation.models import BandOverride, KpiSnapshot

logger = logging.getLogger(__name__)


def day_end(day: date) -> datetime:
    """The end of a UTC day: the moment a snapshot of that day measures up to."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


def snapshot_take(
    *, workspace_id: int, day: date, business_unit_id: int = 0, brand_id: int = 0
) -> KpiSnapshot:
    """Measure every KPI of one scope up to the end of `day` (UTC), score it against the
    workspace's bands, roll the capabilities up and store it. Taking the same snapshot again
    replaces it."""
    started = time.perf_counter()
    scope = Scope(
        workspace_id=workspace_id,
        until=day_end(day),
        business_unit_id=business_unit_id or None,
        brand_id=brand_id or None,
    )
    scored = kpis_score(kpis_measure(scope), bands_edges(workspace_id=workspace_id))
    snapshot, _ = KpiSnapshot.objects.update_or_create(
        workspace_id=workspace_id,
        business_unit_id=business_unit_id or 0,
        brand_id=brand_id or 0,
        day=day,
        defaults={
            "values": scored,
            "capabilities": capabilities_roll_up(scored),
            "computed_at": timezone.now(),
            "seconds": round(time.perf_counter() - started, 3),
        },
    )
    return snapshot


def snapshot_scopes(*, workspace_id: int) -> list[tuple[int, int]]:
    """(business unit, brand) of every scope a workspace is measured in: the whole workspace,
    each business unit, each of its own brands (competitors are listened to, not measured)."""
    units = BusinessUnit.objects.filter(workspace_id=workspace_id).order_by("pk").values_list("pk", flat=True)
    brands = (
        Brand.objects.filter(workspace_id=workspace_id, is_competitor=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [(0, 0), *((unit, 0) for unit in units), *((0, brand) for brand in brands)]


def snapshots_take_daily(*, now: datetime | None = None) -> dict[str, int]:
    """For every workspace and scope: today's snapshot, and yesterday's unless it was already
    taken after yesterday ended (then it holds the whole day). A workspace that fails is logged
    and the others go on."""
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    yesterday = today - timedelta(days=1)
    done = {"snapshots": 0, "failed_workspaces": 0}
    for workspace_id in Workspace.objects.order_by("pk").values_list("pk", flat=True):
        try:
            final = set(
                KpiSnapshot.objects.filter(
                    workspace_id=workspace_id, day=yesterday, computed_at__gte=day_end(yesterday)
                ).values_list("business_unit_id", "brand_id")
            )
            for unit, brand in snapshot_scopes(workspace_id=workspace_id):
                days = [today] if (unit, brand) in final else [yesterday, today]
                for day in days:
                    snapshot_take(workspace_id=workspace_id, day=day, business_unit_id=unit, brand_id=brand)
                    done["snapshots"] += 1
        except Exception:
            logger.exception("KPI snapshots of workspace %s failed", workspace_id)
            done["failed_workspaces"] += 1
    return done


def _edges_checked(kpi: str, edges: Any) -> list[float]:
    definition = BY_KEY.get(kpi)
    if definition is None:
        raise ValidationError({"kpi": f"No KPI called {kpi!r}."})
    if not isinstance(edges, list | tuple):
        raise ValidationError({"edges": "Six numbers, from worst to best."})
    problem = banding.edges_valid(list(edges))
    if problem:
        raise ValidationError({"edges": problem})
    rising = edges[-1] > edges[0]
    if rising != (definition.better == "higher"):
        raise ValidationError(
            {
                "edges": "Higher is better for this KPI: the edges must rise."
                if definition.better == "higher"
                else "Lower is better for this KPI: the edges must fall."
            }
        )
    return list(edges)


def band_override_set(*, workspace: Workspace, kpi: str, edges: Any, by=None, request=None) -> BandOverride:
    """Use the workspace's own edges for one KPI (six numbers, worst to best). Audited."""
    edges = _edges_checked(kpi, edges)
    with transaction.atomic():
        before = bands_edges(workspace_id=workspace.pk)[kpi]
        override, _ = BandOverride.objects.update_or_create(
            workspace=workspace,
            kpi=kpi,
            defaults={"edges": edges, "updated_by": by if getattr(by, "is_authenticated", False) else None},
        )
        audit_record(
            workspace=workspace,
            actor=by,
            action="transformation.band_override_set",
            target=override,
            before={"kpi": kpi, "edges": before},
            after={"kpi": kpi, "edges": edges},
            request=request,
            object_repr=f"band of {kpi}",
        )
    return override


def band_override_clear(*, workspace: Workspace, kpi: str, by=None, request=None) -> bool:
    """Go back to the band set's edges for one KPI. Audited; False when there was no override."""
    with transaction.atomic():
        override = BandOverride.objects.select_for_update().filter(workspace=workspace, kpi=kpi).first()
        if override is None:
            return False
        audit_record(
            workspace=workspace,
            actor=by,
            action="transformation.band_override_clear",
            target=override,
            before={"kpi": kpi, "edges": override.edges},
            after={"kpi": kpi, "edges": None},
            request=request,
            object_repr=f"band of {kpi}",
        )
        override.delete()
    return True
