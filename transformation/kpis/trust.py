"""KPIs of trust: alerts acknowledged within target, sensitive actions audited, the time from a
pause to every publisher stopped, and data-subject requests. Definitions in
docs/transformation.md."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ads import selectors as ads
from cxm.audit.selectors import audit_coverage
from cxm.customers import selectors as customers
from cxm.privacy import selectors as privacy
from listening import selectors as listening
from publishing import selectors as publishing
from transformation.kpis.registry import KpiDef, KpiResult, Scope
from transformation.models import BandOverride

# An alert is acknowledged in time when someone acknowledges it within this long of its raising.
ALERT_TARGET = timedelta(minutes=60)


def _as_of(window: Scope):
    """The end of the window, or now when it ends in the future (today's snapshot): an item is
    judged too young, or a clock still running, against what has happened so far."""
    return min(window.until, timezone.now())


def alerts_in_target(kpi: KpiDef, scope: Scope) -> KpiResult:
    window = scope.with_days(kpi.window_days)
    where = {
        "workspace_id": scope.workspace_id,
        "since": window.since,
        "until": _as_of(window),
        "target": ALERT_TARGET,
        "brand_id": scope.brand_id or None,
        "business_unit_id": scope.business_unit_id or None,
    }
    spikes = listening.kpi_alert_acknowledgements(**where)
    comments = ads.kpi_comment_alert_acknowledgements(**where)
    in_target = spikes["in_target"] + comments["in_target"]
    n = in_target + spikes["missed"] + comments["missed"]
    return KpiResult.measured(
        kpi,
        round(100 * in_target / n, 2) if n else None,
        n,
        excluded=spikes["too_young"] + comments["too_young"],
        detail={
            "target_minutes": int(ALERT_TARGET.total_seconds() // 60),
            "in_target": in_target,
            "spike_alerts": spikes,
            "ad_comment_alerts": comments,
        },
    )


def audited_share(kpi: KpiDef, scope: Scope) -> KpiResult:
    """Whole workspace: audit entries carry no business unit or brand."""
    window = scope.with_days(kpi.window_days)
    span = {"workspace_id": scope.workspace_id, "since": window.since, "until": window.until}
    kinds = {
        "pauses": publishing.kpi_pauses_audited(**span),
        "customer_merges": customers.kpi_merges_audited(**span),
        **ads.kpi_actions_audited(**span),
        "band_overrides": audit_coverage(
            workspace_id=scope.workspace_id,
            rows=BandOverride.objects.filter(
                workspace_id=scope.workspace_id, updated_at__gte=window.since, updated_at__lt=window.until
            ),
            object_type="transformation.bandoverride",
            actions=["transformation.band_override_set"],
        ),
    }
    total = sum(kind["total"] for kind in kinds.values())
    audited = sum(kind["audited"] for kind in kinds.values())
    return KpiResult.measured(
        kpi, round(100 * audited / total, 2) if total else None, total, detail={"audited": audited, **kinds}
    )


def pause_seconds(kpi: KpiDef, scope: Scope) -> KpiResult:
    """The last pause: from its request to every publisher stopped. Publishing is one publisher,
    stopped when the pause is written; each campaign the pause stopped on its ad platform is one
    more, stopped when the platform confirmed. While any is unconfirmed the clock still runs."""
    window = scope.with_days(kpi.window_days)
    as_of = _as_of(window)
    pause = publishing.kpi_last_pause(
        workspace_id=scope.workspace_id,
        until=as_of,
        business_unit_id=scope.business_unit_id or None,
        brand_id=scope.brand_id or None,
    )
    if pause is None or pause["requested_at"] < window.since:
        return KpiResult.measured(kpi, None, 0)
    stops = ads.kpi_pause_stops(workspace_id=scope.workspace_id, pause_id=pause["pause_id"], until=as_of)
    last = max(filter(None, [pause["publishing_stopped_at"], stops["last_confirmed_at"]]))
    complete = stops["unconfirmed"] == 0
    end = last if complete else as_of
    return KpiResult.measured(
        kpi,
        round(max(0.0, (end - pause["requested_at"]).total_seconds()), 1),
        1 + stops["confirmed"],
        detail={
            "pause_id": pause["pause_id"],
            "scope": pause["scope"],
            "requested_at": pause["requested_at"].isoformat(),
            "publishing_stopped_at": pause["publishing_stopped_at"].isoformat(),
            "campaigns": stops["campaigns"],
            "campaigns_stopped": stops["confirmed"],
            "campaigns_unconfirmed": stops["unconfirmed"],
            "campaigns_failed": stops["failed"],
            "complete": complete,
        },
    )


def privacy_days(kpi: KpiDef, scope: Scope) -> KpiResult:
    """Whole workspace: median days from a data-subject request to its completion, over the
    requests completed in the window."""
    window = scope.with_days(kpi.window_days)
    timing = privacy.requests_completion_days(
        workspace_id=scope.workspace_id, since=window.since, until=_as_of(window)
    )
    return KpiResult.measured(kpi, timing["median_days"], timing["n"], detail={"late": timing["late"]})


MEASURES = {
    "smarter_alerts_in_target": alerts_in_target,
    "respected_audited_share": audited_share,
    "respected_pause_seconds": pause_seconds,
    "respected_privacy_days": privacy_days,
}


def measure(scope: Scope, kpis: list[KpiDef]) -> dict[str, KpiResult]:
    return {
        kpi.key: MEASURES[kpi.key](kpi, scope) if kpi.key in MEASURES else KpiResult.measured(kpi, None, 0)
        for kpi in kpis
    }
