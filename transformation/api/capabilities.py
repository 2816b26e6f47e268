"""`GET /api/v1/transformation/capabilities/`: the eight capabilities in the capability model's
order, each with its KPIs as last measured, its measured level and its assessed level.

A KPI without data has `value: null` and `status: "no_data"`; one with too few items to judge has
`value: null`, `status: "insufficient"` and its `n`. A value is never 0 for want of data.

`assessed_level` is the median of the latest assessment round with responses, rounded half up
(2.5 reads as 3); null when nobody has answered a round yet. Filter with `?business_unit=<id>` or
`?brand=<id>` (ids of the workspace's business units and brands).
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cxm.tenancy import selectors as tenancy_selectors
from transformation import assessment_selectors
from transformation import selectors as live

KpiSerializer = inline_serializer(
    "TransformationKpi",
    many=True,
    fields={
        "key": serializers.CharField(),
        "name": serializers.CharField(),
        "value": serializers.FloatField(allow_null=True),
        "unit": serializers.CharField(),
        "level": serializers.IntegerField(allow_null=True),
        "window": serializers.IntegerField(help_text="days the KPI is measured over"),
        "n": serializers.IntegerField(),
        "status": serializers.ChoiceField(choices=["ok", "insufficient", "no_data"]),
    },
)

CapabilitySerializer = inline_serializer(
    "TransformationCapability",
    many=True,
    fields={
        "key": serializers.CharField(),
        "outcome": serializers.CharField(),
        "experience": serializers.CharField(),
        "kpis": KpiSerializer,
        "measured_level": serializers.IntegerField(allow_null=True),
        "measured_score": serializers.FloatField(allow_null=True),
        "assessed_level": serializers.IntegerField(allow_null=True),
        "weakest": serializers.CharField(allow_null=True),
    },
)


UNKNOWN = {
    "business_unit": _("No such business unit in this workspace."),
    "brand": _("No such brand in this workspace."),
}


def scope_ids(*, workspace, params) -> tuple[int | None, int | None]:
    """The business unit and brand asked for, each only if it is the workspace's own."""
    found: dict[str, int | None] = {"business_unit": None, "brand": None}
    for name, rows in (
        ("business_unit", tenancy_selectors.business_units(workspace=workspace)),
        ("brand", tenancy_selectors.brands(workspace=workspace)),
    ):
        raw = params.get(name)
        if raw in (None, ""):
            continue
        if not str(raw).isdigit() or not rows.filter(pk=int(raw)).exists():
            raise exceptions.ValidationError({name: [UNKNOWN[name]]})
        found[name] = int(raw)
    return found["business_unit"], found["brand"]


def capabilities_payload(*, workspace, business_unit_id=None, brand_id=None) -> list[dict]:
    assessed = assessment_selectors.assessed_levels(workspace=workspace)
    payload = []
    for capability in live.capabilities_live(
        workspace=workspace, business_unit_id=business_unit_id, brand_id=brand_id
    ):
        payload.append(
            {
                "key": capability["key"],
                "outcome": str(capability["outcome"]),
                "experience": str(capability["experience"]),
                "kpis": [
                    {
                        "key": kpi["key"],
                        "name": str(kpi["name"]),
                        "value": kpi["value"] if kpi.get("status", "ok") == "ok" else None,
                        "unit": kpi["unit"],
                        "level": kpi["level"] if kpi.get("status", "ok") == "ok" else None,
                        "window": kpi["window"],
                        "n": kpi.get("n") or 0,
                        "status": kpi.get("status") or "no_data",
                    }
                    for kpi in capability["kpis"]
                ],
                "measured_level": capability["measured_level"],
                "measured_score": capability.get("measured_score"),
                "assessed_level": assessed.get(capability["key"]),
                "weakest": capability.get("weakest"),
            }
        )
    return payload


class CapabilitiesView(APIView):
    read_permission = "transformation.view"
    write_permission = "transformation.manage"

    @extend_schema(
        parameters=[
            OpenApiParameter("business_unit", int, description="a business unit's id"),
            OpenApiParameter("brand", int, description="a brand's id"),
        ],
        responses=CapabilitySerializer,
    )
    def get(self, request):
        """The eight capabilities, in order, as last measured for the workspace (or one unit/brand)."""
        business_unit_id, brand_id = scope_ids(workspace=request.workspace, params=request.query_params)
        return Response(
            capabilities_payload(
                workspace=request.workspace, business_unit_id=business_unit_id, brand_id=brand_id
            )
        )


urlpatterns = [
    path("transformation/capabilities/", CapabilitiesView.as_view(), name="transformation-capabilities"),
]
