"""`POST /api/v1/transformation/roi/`: compute a three-year ROI case without saving it; and the
value drivers under `/api/v1/transformation/value-drivers/` (everyone reads, admins write).

Money comes back rounded to 2 decimals, `roi` as a ratio (0.2500 is 25 %) to 4 decimals and
`payback_months` to 1 decimal, all as JSON numbers; `roi` is null when the costs' present value
is 0 and `payback_months` null when the case does not pay back within 36 months.
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from cxm.api.viewsets import WorkspaceCrudViewSet
from transformation.kpis.registry import KPIS
from transformation.models import ValueDriver
from transformation.roi import MAX_AMOUNT, YEARS, RoiInputError, roi_compute, roi_parse
from transformation.value import selectors as value_selectors
from transformation.value import services as value_services

RoiResultSerializer = inline_serializer(
    "RoiResult",
    {
        "pv_benefits": serializers.FloatField(),
        "pv_costs": serializers.FloatField(),
        "npv": serializers.FloatField(),
        "roi": serializers.FloatField(allow_null=True),
        "payback_months": serializers.FloatField(allow_null=True),
    },
)


def _roi_line(*, with_initial: bool) -> dict:
    properties = {
        "name": {"type": "string", "minLength": 1, "pattern": r"\S"},
        "annual": {
            "type": "array",
            "items": {"type": "number", "minimum": 0, "maximum": int(MAX_AMOUNT)},
            "minItems": YEARS,
            "maxItems": YEARS,
            "description": "One amount per year.",
        },
        "risk": {"type": "number", "minimum": 0, "maximum": 1, "description": "0.20 is 20 %."},
    }
    if with_initial:
        properties["initial"] = {
            "type": "number",
            "minimum": 0,
            "maximum": int(MAX_AMOUNT),
            "description": "Spent before year 1.",
        }
    return {"type": "object", "required": ["name", "annual", "risk"], "properties": properties}


ROI_REQUEST = {
    "type": "object",
    "required": ["benefits", "costs"],
    "properties": {
        "discount_rate": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.10},
        "benefits": {"type": "array", "items": _roi_line(with_initial=False)},
        "costs": {"type": "array", "items": _roi_line(with_initial=True)},
    },
}


class RoiView(APIView):
    """Everyone in the workspace may compute; the figures come only from the request body."""

    read_permission = "transformation.view"
    write_permission = "transformation.view"

    @extend_schema(
        request={"application/json": ROI_REQUEST},
        responses=RoiResultSerializer,
        examples=[
            OpenApiExample(
                "Three years",
                value={
                    "discount_rate": 0.10,
                    "benefits": [
                        {"name": "Agent hours saved", "annual": [50000, 60000, 60000], "risk": 0.10}
                    ],
                    "costs": [
                        {"name": "Licences", "initial": 10000, "annual": [20000, 20000, 20000], "risk": 0.05}
                    ],
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        try:
            case = roi_parse(request.data, strict=True)
        except RoiInputError as error:
            raise exceptions.ValidationError(error.translated(gettext)) from None
        return Response(roi_compute(case))


class ValueDriverSerializer(serializers.ModelSerializer):
    kpi = serializers.ChoiceField(choices=[k.key for k in KPIS])

    class Meta:
        model = ValueDriver
        fields = ["id", "category", "name", "kpi", "baseline", "target", "position", "created_at"]
        read_only_fields = ["position", "created_at"]


class ValueDriverViewSet(WorkspaceCrudViewSet):
    """The value drivers: what the company wants under revenue, cost and risk, the KPI that measures
    each, its baseline (null: the measured one is used) and target. Changes are audited."""

    serializer_class = ValueDriverSerializer
    queryset = ValueDriver.objects.all()
    read_permission = "transformation.view"
    write_permission = "transformation.manage"

    def scoped_queryset(self, workspace):
        return value_selectors.drivers(workspace=workspace)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = value_services.driver_create(
            workspace=self.request.workspace,
            category=data["category"],
            name=data["name"],
            kpi=data["kpi"],
            target=data.get("target"),
            baseline=data.get("baseline"),
            by=self.request.user,
            request=self.request,
        )

    def perform_update(self, serializer):
        driver, data = serializer.instance, serializer.validated_data
        serializer.instance = value_services.driver_update(
            driver=driver,
            category=data.get("category", driver.category),
            name=data.get("name", driver.name),
            kpi=data.get("kpi", driver.kpi),
            target=data.get("target", driver.target),
            baseline=data.get("baseline", driver.baseline),
            by=self.request.user,
            request=self.request,
        )

    def perform_destroy(self, instance):
        value_services.driver_delete(driver=instance, by=self.request.user, request=self.request)


router = SimpleRouter()
router.register("transformation/value-drivers", ValueDriverViewSet, basename="transformation-value-driver")

urlpatterns = [path("transformation/roi/", RoiView.as_view(), name="transformation-roi"), *router.urls]
