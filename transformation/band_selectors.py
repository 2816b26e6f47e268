"""The band edges a workspace's KPIs are scored against: its band set with its overrides. Both the
live reads and the snapshot service score with them."""

from __future__ import annotations

from transformation import bands as banding
from transformation.models import BandOverride, TransformationSettings


def band_set_of(*, workspace_id: int) -> str:
    chosen = (
        TransformationSettings.objects.filter(workspace_id=workspace_id)
        .values_list("band_set", flat=True)
        .first()
    )
    return chosen if chosen in banding.BAND_SETS else banding.DEFAULT_BAND_SET


def bands_edges(*, workspace_id: int) -> dict[str, list[float]]:
    """Each KPI's edges: the workspace's band set, with its overrides."""
    overrides = dict(BandOverride.objects.filter(workspace_id=workspace_id).values_list("kpi", "edges"))
    return banding.bands_for(band_set_of(workspace_id=workspace_id), overrides)
