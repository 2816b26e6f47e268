"""Insights: what each ad earned per day or hour, their totals, and reports imported from other
platforms."""

from __future__ import annotations

import csv
from contextlib import contextmanager

from django.db import transaction
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from ads import selectors, services
from ads.api.shared import upload_text
from ads.models import IMPORT_PLATFORMS, AdInsight
from ads.money import format_amount
from cxm.api.contract import ContractJSONParser
from cxm.api.filters import filter_values_check
from cxm.api.viewsets import WorkspaceScopedViewSet
from cxm.replica import read_alias


class InsightSerializer(serializers.ModelSerializer):
    spend_display = serializers.SerializerMethodField()
    conversion_value_display = serializers.SerializerMethodField()
    ctr = serializers.SerializerMethodField()
    cpc = serializers.SerializerMethodField()
    cpm = serializers.SerializerMethodField()
    cpa = serializers.SerializerMethodField()
    roas = serializers.SerializerMethodField()

    class Meta:
        model = AdInsight
        fields = [
            "id",
            "ad",
            "ad_set",
            "campaign",
            "date",
            "hour",
            "currency",
            "impressions",
            "reach",
            "clicks",
            "spend",
            "spend_display",
            "conversions",
            "conversion_value",
            "conversion_value_display",
            "ctr",
            "cpc",
            "cpm",
            "cpa",
            "roas",
        ]
        read_only_fields = fields

    def _metrics(self, row) -> dict:
        cache = getattr(row, "_metrics", None)
        if cache is None:
            totals = {name: getattr(row, name) for name in selectors.TOTALS}
            cache = row._metrics = selectors.metrics(totals=totals, currency=row.currency)
        return cache

    def get_spend_display(self, row) -> str:
        return format_amount(row.spend, row.currency)

    def get_conversion_value_display(self, row) -> str:
        return format_amount(row.conversion_value, row.currency)

    def get_ctr(self, row) -> str | None:
        return self._metrics(row)["ctr"]

    def get_cpc(self, row) -> str | None:
        return self._metrics(row)["cpc"]

    def get_cpm(self, row) -> str | None:
        return self._metrics(row)["cpm"]

    def get_cpa(self, row) -> str | None:
        return self._metrics(row)["cpa"]

    def get_roas(self, row) -> str | None:
        return self._metrics(row)["roas"]


class InsightFilter(filters.FilterSet):
    campaign = filters.NumberFilter(field_name="campaign_id")
    ad_set = filters.NumberFilter(field_name="ad_set_id")
    ad = filters.NumberFilter(field_name="ad_id")
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte")
    hourly = filters.BooleanFilter(field_name="hour", lookup_expr="isnull", exclude=True)

    class Meta:
        model = AdInsight
        fields = ["campaign", "ad_set", "ad", "date_from", "date_to", "hourly"]


SUMMARY_PARAMETERS = [
    OpenApiParameter("group_by", str, enum=list(selectors.GROUPS), default="campaign"),
    OpenApiParameter("campaign", int),
    OpenApiParameter("ad_set", int),
    OpenApiParameter("ad", int),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="YYYY-MM-DD"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="YYYY-MM-DD"),
]


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField(required=False)
    content = serializers.CharField(required=False, trim_whitespace=False)
    platform = serializers.ChoiceField(choices=["", *IMPORT_PLATFORMS], required=False, default="")
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True, default="")
    mapping = serializers.JSONField(required=False, default=dict)

    def validate(self, attrs):
        if not attrs.get("file") and not attrs.get("content"):
            raise serializers.ValidationError({"file": ["Upload the report (CSV)."]})
        if not isinstance(attrs.get("mapping"), dict):
            raise serializers.ValidationError({"mapping": ["An object: our field -> the report's column."]})
        return attrs


class ImportTextSerializer(serializers.Serializer):
    """The JSON form of an import: the report's text in `content`."""

    content = serializers.CharField(trim_whitespace=False)
    platform = serializers.ChoiceField(choices=["", *IMPORT_PLATFORMS], required=False, default="")
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True, default="")
    mapping = serializers.DictField(child=serializers.CharField(min_length=1), required=False, default=dict)


class ImportUploadSerializer(serializers.Serializer):
    """The multipart form of an import: the report as `file`."""

    file = serializers.FileField()
    platform = serializers.ChoiceField(choices=["", *IMPORT_PLATFORMS], required=False, default="")
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True, default="")


IMPORT_REQUEST = {"application/json": ImportTextSerializer, "multipart/form-data": ImportUploadSerializer}
IMPORT_REPORT = inline_serializer(
    "InsightImport",
    {
        "platform": serializers.CharField(),
        "headers": serializers.ListField(child=serializers.CharField()),
        "mapping": serializers.DictField(child=serializers.CharField()),
        "missing": serializers.ListField(child=serializers.CharField()),
        "rows": serializers.IntegerField(),
        "stored": serializers.IntegerField(),
        "error_count": serializers.IntegerField(),
        "errors": serializers.ListField(child=serializers.DictField()),
        "sample": serializers.ListField(child=serializers.DictField()),
    },
)


class InsightImportMixin:
    """`import_preview` and `import_commit` on the insights route: another platform's performance
    report (Google Ads, TikTok, LinkedIn columns) with the detected column mapping (override it
    with `mapping`) and per-row errors; commit stores the good rows."""

    def _import_body(self, request) -> dict:
        body = ImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        upload = data.pop("file", None)
        data["content"] = upload_text(upload) if upload else data["content"]
        return data

    @extend_schema(request=IMPORT_REQUEST, responses=IMPORT_REPORT)
    @action(
        detail=False,
        methods=["post"],
        url_path="import/preview",
        parser_classes=[MultiPartParser, ContractJSONParser],
    )
    def import_preview(self, request):
        with _readable_csv():
            return Response(services.insights_import_preview(**self._import_body(request)).as_dict())

    @extend_schema(request=IMPORT_REQUEST, responses=IMPORT_REPORT)
    @action(
        detail=False,
        methods=["post"],
        url_path="import/commit",
        parser_classes=[MultiPartParser, ContractJSONParser],
    )
    def import_commit(self, request):
        with _readable_csv(), transaction.atomic():
            report = services.insights_import_commit(
                workspace=request.workspace, by=request.user, request=request, **self._import_body(request)
            )
        return Response(report.as_dict(), status=status.HTTP_201_CREATED)


@contextmanager
def _readable_csv():
    """A file that is not text CSV (an image, stray carriage returns) is the caller's mistake."""
    try:
        yield
    except csv.Error as exc:
        raise serializers.ValidationError({"file": [f"Not a readable CSV file: {exc}"]}) from exc


class InsightViewSet(InsightImportMixin, mixins.ListModelMixin, WorkspaceScopedViewSet):
    """What each ad earned per day (or hour), with CTR (%), CPC, CPM, CPA and ROAS. Filter by
    `campaign`, `ad_set`, `ad`, `date_from`, `date_to`, `hourly`; `summary` totals them per
    campaign, ad set, ad, variant or date."""

    serializer_class = InsightSerializer
    queryset = AdInsight.objects.all()
    filterset_class = InsightFilter
    read_permission = "ads.view"
    write_permission = "ads.manage"

    def scoped_queryset(self, workspace):
        return selectors.insights(workspace=workspace)

    @extend_schema(
        parameters=SUMMARY_PARAMETERS,
        responses=inline_serializer(
            "InsightSummary",
            {
                "group_by": serializers.CharField(),
                "rows": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    @action(detail=False, methods=["get"])
    def summary(self, request):
        params = InsightFilter(request.query_params, queryset=AdInsight.objects.none())
        filter_values_check(params, request.query_params)
        if not params.is_valid():
            raise serializers.ValidationError(params.errors)
        values = params.form.cleaned_data
        group_by = request.query_params.get("group_by") or "campaign"  # empty: the default
        if group_by not in selectors.GROUPS:
            raise serializers.ValidationError({"group_by": [f"One of {', '.join(selectors.GROUPS)}."]})
        rows = selectors.insights_summary(
            workspace=request.workspace,
            group_by=group_by,
            campaign=values.get("campaign"),
            ad_set=values.get("ad_set"),
            ad=values.get("ad"),
            date_from=values.get("date_from"),
            date_to=values.get("date_to"),
            hourly=values.get("hourly"),
            using=read_alias(reader=request.user),
        )
        return Response({"group_by": group_by, "rows": rows})
