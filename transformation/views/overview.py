"""The Transformation overview: the eight capabilities with what they measure and how they were
assessed; a capability's page with its use cases (in use or not), people, process and technology,
and each KPI's trend; a KPI's definition."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cxm.tenancy import selectors as tenancy_selectors
from cxm.tenancy.decorators import workspace_view
from transformation import assessment_selectors, charts, usage
from transformation import selectors as live
from transformation.capabilities import BY_KEY
from transformation.kpis import registry

TREND_DAYS = 90
# unit -> (decimal places, how the number stands with its unit); numbers follow the active locale
UNIT_FORMATS = {
    "%": (1, gettext_lazy("%(n)s %%")),
    "minutes": (0, gettext_lazy("%(n)s min")),
    "hours": (1, gettext_lazy("%(n)s h")),
    "days": (1, gettext_lazy("%(n)s d")),
    "seconds": (0, gettext_lazy("%(n)s s")),
    "count": (0, "%(n)s"),
    "x": (2, "%(n)s\u00d7"),  # multiplication sign: a ratio such as ROAS
    "score": (2, "%(n)s"),
}


def kpi_display(kpi: dict[str, Any]) -> str:
    """The figure as a reader sees it; never 0 for a KPI without data."""
    status = kpi.get("status") or "no_data"
    if status == "no_data" or (status == "ok" and kpi.get("value") is None):
        return _("no data")
    if status == "insufficient":
        return _("insufficient data (n = %(n)s)") % {"n": kpi.get("n") or 0}
    return unit_display(kpi["value"], kpi.get("unit", ""))


def unit_display(value: float, unit: str) -> str:
    """A figure with its unit, its decimal mark and places by the active locale ("27,3 %" in id)."""
    if unit not in UNIT_FORMATS:
        return number_format(value)
    places, shape = UNIT_FORMATS[unit]
    return str(shape) % {"n": number_format(round(value, places), decimal_pos=places)}


def scope_filter(request) -> dict[str, Any]:
    """The business unit or brand picked in the filter, only among the workspace's own."""
    workspace = request.workspace
    units = list(tenancy_selectors.business_units(workspace=workspace))
    brands = list(tenancy_selectors.brands(workspace=workspace))
    unit_ids = {u.pk for u in units}
    brand_ids = {b.pk for b in brands}
    raw_unit, raw_brand = request.GET.get("business_unit", ""), request.GET.get("brand", "")
    business_unit_id = int(raw_unit) if raw_unit.isdigit() and int(raw_unit) in unit_ids else None
    brand_id = int(raw_brand) if raw_brand.isdigit() and int(raw_brand) in brand_ids else None
    query = "&".join(
        f"{name}={value}"
        for name, value in (("business_unit", business_unit_id), ("brand", brand_id))
        if value
    )
    return {
        "business_units": units,
        "brands": brands,
        "business_unit_id": business_unit_id,
        "brand_id": brand_id,
        "query": query,
    }


def _kpi_rows(capability: dict[str, Any]) -> list[dict[str, Any]]:
    # Without any measured KPI there is nothing to be weakest against: no highlight then.
    weakest = capability.get("weakest") if capability.get("measured_score") is not None else None
    return [
        {**kpi, "display": kpi_display(kpi), "is_weakest": kpi["key"] == weakest}
        for kpi in capability["kpis"]
    ]


@workspace_view("transformation.view")
def index(request):
    scope = scope_filter(request)
    assessed = assessment_selectors.assessed_levels(workspace=request.workspace)
    cards = []
    for capability in live.capabilities_live(
        workspace=request.workspace, business_unit_id=scope["business_unit_id"], brand_id=scope["brand_id"]
    ):
        trend = live.capability_trend(
            workspace=request.workspace,
            capability=capability["key"],
            days=TREND_DAYS,
            business_unit_id=scope["business_unit_id"],
            brand_id=scope["brand_id"],
        )
        cards.append(
            {
                **capability,
                "kpis": _kpi_rows(capability),
                "assessed_level": assessed.get(capability["key"]),
                "sparkline": charts.line(trend, field="score", low=0, high=10),
            }
        )
    return render(
        request,
        "transformation/index.html",
        {
            "section": "capabilities",
            "cards": cards,
            "scope": scope,
            "measured_at": live.snapshot_computed_at(
                workspace=request.workspace,
                business_unit_id=scope["business_unit_id"],
                brand_id=scope["brand_id"],
            ),
            "latest_round": assessment_selectors.round_latest(workspace=request.workspace),
        },
    )


@workspace_view("transformation.view")
@require_POST
def measure_now(request):
    """Measure the scope's KPIs now instead of waiting for the next scheduled snapshot."""
    scope = scope_filter(request)
    live.capabilities_live(
        workspace=request.workspace,
        business_unit_id=scope["business_unit_id"],
        brand_id=scope["brand_id"],
        on_demand=True,
    )
    target = reverse("transformation:index")
    return redirect(f"{target}?{scope['query']}" if scope["query"] else target)


@workspace_view("transformation.view")
def capability_detail(request, key: str):
    definition = BY_KEY.get(key)
    if definition is None:
        raise Http404
    scope = scope_filter(request)
    capability = next(
        row
        for row in live.capabilities_live(
            workspace=request.workspace,
            business_unit_id=scope["business_unit_id"],
            brand_id=scope["brand_id"],
        )
        if row["key"] == key
    )
    kpis = []
    for kpi in _kpi_rows(capability):
        trend = live.kpi_trend(
            workspace=request.workspace,
            kpi=kpi["key"],
            days=TREND_DAYS,
            business_unit_id=scope["business_unit_id"],
            brand_id=scope["brand_id"],
        )
        kpis.append({**kpi, "chart": charts.line(trend, field="value", width=640, height=120, pad=6)})
    assessed = assessment_selectors.assessed_levels(workspace=request.workspace)
    return render(
        request,
        "transformation/capability.html",
        {
            "section": "capabilities",
            "definition": definition,
            "capability": capability,
            "kpis": kpis,
            "assessed_level": assessed.get(key),
            "use_cases": usage.use_cases_in_use(workspace=request.workspace, capability=definition),
            "scope": scope,
        },
    )


@lru_cache(maxsize=1)
def _definitions_text() -> str:
    docs = Path(settings.BASE_DIR) / "docs" / "transformation.md"
    return docs.read_text(encoding="utf-8") if docs.exists() else ""


def kpi_definition_text(key: str) -> list[str]:
    """The list item of docs/transformation.md that defines the KPI, then paragraphs naming it."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n|\n(?=\s*[-*|] )", _definitions_text())]
    # the KPI's own list item first; paragraphs that only mention it after
    own = [b for b in blocks if b.startswith((f"- `{key}`", f"* `{key}`", f"| `{key}`"))]
    mentions = [b for b in blocks if b not in own and f"`{key}`" in b]
    return [re.sub(r"^[-*] |[`*]", "", block) for block in own + mentions]


@workspace_view("transformation.view")
def kpi_detail(request, key: str):
    kpi_def = registry.BY_KEY.get(key)
    if kpi_def is None:
        raise Http404
    scope = scope_filter(request)
    capability = next(
        row
        for row in live.capabilities_live(
            workspace=request.workspace,
            business_unit_id=scope["business_unit_id"],
            brand_id=scope["brand_id"],
        )
        if row["key"] == kpi_def.capability
    )
    kpi = next(k for k in _kpi_rows(capability) if k["key"] == key)
    trend = live.kpi_trend(
        workspace=request.workspace,
        kpi=key,
        days=TREND_DAYS,
        business_unit_id=scope["business_unit_id"],
        brand_id=scope["brand_id"],
    )
    return render(
        request,
        "transformation/kpi.html",
        {
            "section": "capabilities",
            "kpi_def": kpi_def,
            "kpi": kpi,
            "definition": BY_KEY[kpi_def.capability],
            "chart": charts.line(trend, field="value", width=640, height=160, pad=6),
            "docs": kpi_definition_text(key),
            "scope": scope,
        },
    )


urlpatterns = [
    path("", index, name="index"),
    path("measure/", measure_now, name="measure"),
    path("capability/<slug:key>/", capability_detail, name="capability"),
    path("kpi/<slug:key>/", kpi_detail, name="kpi"),
]
