"""Today's KPI snapshot written by hand, so pages and the API show known measured figures without
measuring real data."""

from __future__ import annotations

from datetime import UTC

from django.utils import timezone

from transformation.kpis.registry import KPIS
from transformation.models import KpiSnapshot


def snapshot_today(
    workspace, values: dict[str, dict], *, day=None, business_unit_id: int = 0, brand_id: int = 0
):
    """`values` as the engine stores them ({kpi key: {"value", "n", "status", ...}}), every other
    KPI without data; the live reads re-score them against the workspace's bands."""
    blank = {"value": None, "n": 0, "status": "no_data"}
    figures = {
        kpi.key: {
            "excluded": 0,
            "mean": None,
            "business_value": None,
            "business_mean": None,
            "detail": {},
            **values.get(kpi.key, blank),
        }
        for kpi in KPIS
    }
    return KpiSnapshot.objects.update_or_create(
        workspace_id=workspace.pk,
        business_unit_id=business_unit_id,
        brand_id=brand_id,
        day=day or timezone.now().astimezone(UTC).date(),
        defaults={"values": figures, "capabilities": {}, "computed_at": timezone.now()},
    )[0]
