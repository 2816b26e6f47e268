"""The heartbeat of ads (beat, every few seconds): hand out what is due to the workers.

Each piece of work is also enqueued right after the commit that makes it due; the tick is what
picks up after a lost task, a crash, a rate-limit wait or a pause window that closed by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.utils import timezone

from ads.models import CampaignStop, StopState
from ads.services.push import REENQUEUE_AFTER, campaigns_enqueue_due
from ads.services.stops import stops_mark_ended


def ads_tick(
    *,
    enqueue_push: Callable[..., None],
    enqueue_stops: Callable[..., None],
    enqueue_restores: Callable[..., None],
    now: datetime | None = None,
    stale_after: timedelta = REENQUEUE_AFTER,
) -> dict[str, int]:
    """Each `enqueue_*` is called with the ids its task takes, as keywords, the workspace's among
    them: `enqueue_push(campaign_id=, workspace_id=)`, `enqueue_stops(pause_id=, workspace_id=)`,
    `enqueue_restores(workspace_id=)`."""
    now = now or timezone.now()
    pushes = campaigns_enqueue_due(enqueue=enqueue_push, now=now, stale_after=stale_after)
    stops_mark_ended(now=now)
    stop_pauses = sorted(
        set(
            CampaignStop.objects.filter(state=StopState.PENDING, next_attempt_at__lte=now).values_list(
                "pause_id", "workspace_id"
            )
        )
    )
    for pause_id, workspace_id in stop_pauses:
        enqueue_stops(pause_id=pause_id, workspace_id=workspace_id)
    restore_workspaces = sorted(
        set(
            CampaignStop.objects.filter(state=StopState.RESTORING, next_attempt_at__lte=now).values_list(
                "workspace_id", flat=True
            )
        )
    )
    for workspace_id in restore_workspaces:
        enqueue_restores(workspace_id=workspace_id)
    return {"pushes": pushes, "stops": len(stop_pauses), "restores": len(restore_workspaces)}
