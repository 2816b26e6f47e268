"""The ads API for creative templates, product feeds, variants, budget proposals and report
imports, under /api/v1/ads/ (campaign approval and launch are in `ads.api`).

Variants are selected for bulk actions by `ids`, or by the same filters as the list (`template`,
`campaign`, `status`, `segment`, `language`, `format`, `excluded`, `contains`, `rule_id`).
"""

from __future__ import annotations

import csv
from contextlib import contextmanager

from django.db import transaction
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from ads import selectors, services
from ads.compliance import rules as compliance_rules
from ads.models import (
    IMPORT_PLATFORMS,
    AdCampaign,
    AdSet,
    CreativeTemplate,
    Feed,
    OptimizerProposal,
    Variant,
    VariantStatus,
)
from ads.services.templates import TEMPLATE_FIELDS
from ads.variants import FORMATS, TEXT_FIELDS
from ads.variants import PLATFORMS as TEMPLATE_PLATFORMS
from cxm.api.contract import ContractJSONParser
from cxm.api.viewsets import WorkspaceRelatedField, WorkspaceScopedViewSet

MAX_UPLOAD = 200 * 1024 * 1024


def _text_of(upload) -> str:
    if upload.size > MAX_UPLOAD:
        raise serializers.ValidationError({"file": ["The file is larger than 200 MB."]})
    return upload.read().decode("utf-8-sig", errors="replace")


# --- templates --------------------------------------------------------------------------------------

_WORDS = {"type": "array", "items": {"type": "string", "minLength": 1}}


@extend_schema_field(
    {
        "type": "array",
        "description": "Rules of the template's own, beside its country's pack: `terms` or "
        "`patterns` (regular expressions) are needed, and `categories` for a prohibited category.",
        "items": {
            "type": "object",
            "required": ["id", "kind", "description", "citation"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "kind": {"type": "string", "enum": list(compliance_rules.KINDS)},
                "description": {"type": "string"},
                "citation": {"type": "string"},
                "severity": {"type": "string", "enum": list(compliance_rules.SEVERITIES)},
                "categories": _WORDS,
                "terms": _WORDS,
                "patterns": _WORDS,
                "suffixes": _WORDS,
                "fields": _WORDS,
                "languages": _WORDS,
                "exempt_platforms": _WORDS,
            },
            "additionalProperties": False,
        },
    }
)
class ExtraRulesField(serializers.ListField):
    child = serializers.DictField()


@extend_schema_field(
    {
        "type": "object",
        "description": 'Per language, the texts that replace the template\'s: {"id": {"headline": "..."}}',
        "additionalProperties": {
            "type": "object",
            "properties": {name: {"type": "string"} for name in TEXT_FIELDS},
            "additionalProperties": False,
        },
    }
)
class TranslationsField(serializers.DictField):
    child = serializers.DictField(child=serializers.CharField(allow_blank=True))


class TemplateSerializer(serializers.ModelSerializer):
    variant_count = serializers.IntegerField(read_only=True, default=0)
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(FORMATS)), required=False, default=list
    )
    categories = serializers.ListField(
        child=serializers.CharField(max_length=40, min_length=1), required=False
    )
    translations = TranslationsField(required=False)
    format_images = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, help_text="Per format, its image."
    )
    extra_rules = ExtraRulesField(required=False)
    platform = serializers.ChoiceField(choices=list(TEMPLATE_PLATFORMS), required=False)
    country = serializers.ChoiceField(
        choices=["", *compliance_rules.available_countries()],
        required=False,
        help_text="The country whose rule pack every variant is checked against.",
    )

    class Meta:
        model = CreativeTemplate
        fields = ["id", *TEMPLATE_FIELDS, "variant_count", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    # A form field's JSON text "null" passes the null check as text and only then becomes None.
    def validate_translations(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("An object of translations per language.")
        return value

    def validate_format_images(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("An object of images per format.")
        return value

    def validate_extra_rules(self, value):
        if not isinstance(value, list):
            raise serializers.ValidationError("A list of rules.")
        return value


class TemplateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    WorkspaceScopedViewSet,
):
    """Creative templates: texts with {{placeholders}}, translations per language, the formats,
    and the country and categories whose compliance rules every variant is checked against."""

    serializer_class = TemplateSerializer
    queryset = CreativeTemplate.objects.all()
    read_permission = "ads.view"
    write_permission = "ads.manage"

    def scoped_queryset(self, workspace):
        return selectors.templates(workspace=workspace)

    def perform_create(self, serializer):
        template = services.template_save(
            workspace=self.request.workspace,
            by=self.request.user,
            request=self.request,
            **serializer.validated_data,
        )
        serializer.instance = self.get_queryset().get(pk=template.pk)

    def perform_update(self, serializer):
        template = services.template_save(
            workspace=self.request.workspace,
            template=serializer.instance,
            by=self.request.user,
            request=self.request,
            **serializer.validated_data,
        )
        serializer.instance = self.get_queryset().get(pk=template.pk)


# --- feeds ------------------------------------------------------------------------------------------


class FeedSerializer(serializers.ModelSerializer):
    # Blank for an uploaded feed.
    url = serializers.CharField(read_only=True)

    class Meta:
        model = Feed
        fields = [
            "id",
            "name",
            "source",
            "url",
            "default_currency",
            "columns",
            "row_count",
            "error_count",
            "errors",
            "refreshed_at",
            "created_at",
        ]
        read_only_fields = fields


class FeedDetailSerializer(FeedSerializer):
    class Meta(FeedSerializer.Meta):
        fields = [*FeedSerializer.Meta.fields, "rows"]
        read_only_fields = fields


_FEED_NAME = {"type": "string", "minLength": 1, "maxLength": 200}
_FEED_CURRENCY = {"type": "string", "maxLength": 3}
_FEED_CONTENT = {"type": "string", "minLength": 1, "description": "The CSV text."}
_FEED_URL = {"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": 1000}
_FEED_JSON = {
    "type": "object",
    "properties": {
        "name": _FEED_NAME,
        "content": _FEED_CONTENT,
        "url": _FEED_URL,
        "default_currency": _FEED_CURRENCY,
    },
}
FEED_REQUEST = {
    # The feed's rows as text, or the URL to fetch them from: one of the two (both match both
    # alternatives, which `oneOf` refuses; the serializer says so in words).
    "application/json": {
        "oneOf": [
            {**_FEED_JSON, "required": ["name", "content"]},
            {**_FEED_JSON, "required": ["name", "url"]},
        ]
    },
    "multipart/form-data": {
        "type": "object",
        "required": ["name", "file"],
        "properties": {
            "name": _FEED_NAME,
            "file": {"type": "string", "format": "binary"},
            "default_currency": _FEED_CURRENCY,
        },
    },
}


class FeedUploadSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    file = serializers.FileField(required=False)
    content = serializers.CharField(required=False, trim_whitespace=False)
    url = serializers.URLField(required=False, max_length=1000)
    default_currency = serializers.CharField(max_length=3, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        given = [name for name in ("file", "content", "url") if attrs.get(name)]
        if not given:
            raise serializers.ValidationError(
                {"file": ["Upload a CSV file (or give its text as content, or a feed URL as url)."]}
            )
        if len(given) > 1:
            raise serializers.ValidationError(
                {given[1]: [f"Give one of file, content and url, not {' and '.join(given)}."]}
            )
        return attrs


class FeedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """Product feeds. POST a CSV (`file`, multipart, or `content`) or a feed `url` (fetched now and
    again every CXM_ADS_FEED_REFRESH_MINUTES): good rows are kept, every bad row is listed in
    `errors` with its row, field and reason."""

    serializer_class = FeedSerializer
    queryset = Feed.objects.all()
    parser_classes = [MultiPartParser, FormParser, ContractJSONParser]
    read_permission = "ads.view"
    write_permission = "ads.manage"

    def scoped_queryset(self, workspace):
        return selectors.feeds(workspace=workspace)

    def get_serializer_class(self):
        return FeedDetailSerializer if self.action == "retrieve" else FeedSerializer

    @extend_schema(request=FEED_REQUEST, responses=FeedSerializer)
    def create(self, request):
        upload = FeedUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        common = {
            "workspace": request.workspace,
            "name": data["name"],
            "by": request.user,
            "request": request,
        }
        if data.get("url"):
            feed = services.feed_create_from_url(
                url=data["url"], default_currency=data["default_currency"], **common
            )
        else:
            content = _text_of(data["file"]) if data.get("file") else data["content"]
            feed = services.feed_upload_csv(
                content=content, default_currency=data["default_currency"], **common
            )
        return Response(FeedSerializer(feed).data, status=status.HTTP_201_CREATED)


# --- variants ---------------------------------------------------------------------------------------


class VariantSerializer(serializers.ModelSerializer):
    # Plain text in the schema: another "status" enum would collide with the existing ones.
    status = serializers.CharField(read_only=True, help_text="draft (has errors), blocked, ready or launched")

    class Meta:
        model = Variant
        fields = [
            "id",
            "template",
            "campaign",
            "ad_set",
            "feed",
            "key",
            "content_hash",
            "row_id",
            "segment",
            "language",
            "format",
            "fields",
            "image_width",
            "image_height",
            "issues",
            "violations",
            "excluded",
            "edited",
            "status",
            "ad",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SegmentSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    values = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)


class GenerateSerializer(serializers.Serializer):
    template = WorkspaceRelatedField(model=CreativeTemplate)
    feed = WorkspaceRelatedField(model=Feed)
    campaign = WorkspaceRelatedField(model=AdCampaign, required=False, allow_null=True)
    ad_set = WorkspaceRelatedField(model=AdSet, required=False, allow_null=True)
    segments = SegmentSerializer(many=True, required=False, default=list)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=16, min_length=1), required=False, default=list
    )
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(FORMATS)), required=False, default=list
    )


class SelectionSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), required=False, allow_null=True)
    template = serializers.IntegerField(required=False)
    campaign = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(choices=VariantStatus.choices, required=False)
    segment = serializers.CharField(required=False)
    language = serializers.CharField(required=False)
    format = serializers.CharField(required=False)
    excluded = serializers.BooleanField(required=False, allow_null=True, default=None)
    contains = serializers.CharField(required=False)
    rule_id = serializers.CharField(required=False)


class FindReplaceSerializer(SelectionSerializer):
    find = serializers.CharField(trim_whitespace=False)
    replace_with = serializers.CharField(allow_blank=True, trim_whitespace=False)
    fields = serializers.ListField(
        child=serializers.ChoiceField(choices=[*TEXT_FIELDS, "call_to_action", "link"]), required=False
    )
    ignore_case = serializers.BooleanField(default=False)
    whole_word = serializers.BooleanField(default=False)


class ExcludeSerializer(SelectionSerializer):
    exclude = serializers.BooleanField(default=True)


class WaiveSerializer(serializers.Serializer):
    rule_id = serializers.CharField(max_length=64)
    reason = serializers.CharField()


SELECTION_KEYS = ("template", "campaign", "status", "segment", "language", "format", "contains", "rule_id")
COUNT = inline_serializer("VariantCount", {"count": serializers.IntegerField()})


@extend_schema_view(
    list=extend_schema(
        parameters=[
            *[OpenApiParameter(name, int) for name in ("template", "campaign")],
            *[OpenApiParameter(name, str) for name in ("status", "segment", "language", "format", "rule_id")],
            OpenApiParameter("contains", str, description="Text in any of the variant's fields."),
            OpenApiParameter("excluded", bool),
        ]
    )
)
class VariantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """Creative variants. `generate` expands a template over a feed (x segments x languages x
    formats) and checks every variant; the list filters by `template`, `campaign`, `status`,
    `segment`, `language`, `format`, `excluded`, `contains`, `rule_id`; `find_replace`, `exclude`
    and `validate` work on a selection; `waive` (approvers) lets one variant break one rule."""

    serializer_class = VariantSerializer
    queryset = Variant.objects.all()
    read_permission = "ads.view"
    write_permission = "ads.manage"
    permission_by_action = {"waive": "publishing.approve"}

    def scoped_queryset(self, workspace):
        params = self.request.query_params
        excluded = params.get("excluded")
        return selectors.variants(
            workspace=workspace,
            excluded=None if excluded in (None, "") else excluded.lower() in ("1", "true", "yes"),
            **{key: params.get(key, "") for key in SELECTION_KEYS},
        )

    def _selection(self, data: dict):
        if not data.get("ids") and not any(data.get(key) for key in SELECTION_KEYS):
            raise serializers.ValidationError({"ids": ["Select variants by ids or by a filter."]})
        return selectors.variants(
            workspace=self.request.workspace,
            ids=data.get("ids") or None,
            excluded=data.get("excluded"),
            **{key: data.get(key) or "" for key in SELECTION_KEYS},
        )

    @extend_schema(
        request=GenerateSerializer,
        responses=inline_serializer(
            "VariantGeneration",
            {name: serializers.IntegerField() for name in ("variants", "ready", "blocked", "with_errors")},
        ),
    )
    @action(detail=False, methods=["post"])
    def generate(self, request):
        body = GenerateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        result = services.variants_generate(by=request.user, request=request, **body.validated_data)
        return Response(result.__dict__, status=status.HTTP_201_CREATED)

    @extend_schema(request=FindReplaceSerializer, responses=COUNT)
    @action(detail=False, methods=["post"])
    def find_replace(self, request):
        body = FindReplaceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        extra = {"fields": data["fields"]} if data.get("fields") else {}
        count = services.variants_find_replace(
            workspace=request.workspace,
            selection=self._selection(data),
            find=data["find"],
            replace_with=data["replace_with"],
            ignore_case=data["ignore_case"],
            whole_word=data["whole_word"],
            by=request.user,
            request=request,
            **extra,
        )
        return Response({"count": count})

    @extend_schema(request=ExcludeSerializer, responses=COUNT)
    @action(detail=False, methods=["post"])
    def exclude(self, request):
        body = ExcludeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        wanted = data.pop("exclude")
        data.pop("excluded", None)
        count = services.variants_exclude(
            workspace=request.workspace,
            selection=self._selection(data),
            excluded=wanted,
            by=request.user,
            request=request,
        )
        return Response({"count": count})

    @extend_schema(request=SelectionSerializer, responses=COUNT)
    @action(detail=False, methods=["post"])
    def validate(self, request):
        body = SelectionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        count = services.variants_validate(
            workspace=request.workspace,
            selection=self._selection(body.validated_data),
            by=request.user,
            request=request,
        )
        return Response({"count": count})

    @extend_schema(request=WaiveSerializer, responses=VariantSerializer)
    @action(detail=True, methods=["post"])
    def waive(self, request, pk=None):
        """Waive one compliance rule for this variant (approvers only; audited)."""
        variant = self.get_object()
        body = WaiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.variant_waive(
                variant=variant, membership=request.membership, request=request, **body.validated_data
            )
        except PermissionError as error:
            raise PermissionDenied(str(error)) from error
        return Response(self.get_serializer(self.get_queryset().get(pk=variant.pk)).data)


# --- budget proposals -------------------------------------------------------------------------------


class ProposalSerializer(serializers.ModelSerializer):
    campaign = WorkspaceRelatedField(model=AdCampaign)
    objective = serializers.ChoiceField(choices=["value", "conversions"], default="value")
    status = serializers.CharField(read_only=True, help_text="proposed, applied or discarded")

    class Meta:
        model = OptimizerProposal
        fields = [
            "id",
            "campaign",
            "objective",
            "basis",
            "max_change",
            "total",
            "moves",
            "status",
            "created_by",
            "created_at",
            "applied_by",
            "applied_at",
        ]
        read_only_fields = [name for name in fields if name not in ("campaign", "objective")]


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("campaign", int)]))
class ProposalViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, WorkspaceScopedViewSet
):
    """Budget proposals: POST `{"campaign": id}` proposes a split of its ad set budgets (at most
    10 % of the campaign budget moved, total unchanged, each move explained with its posterior);
    `apply` sends the new budgets to the platform (raises wait while a pause is on)."""

    serializer_class = ProposalSerializer
    queryset = OptimizerProposal.objects.all()
    read_permission = "ads.view"
    write_permission = "ads.manage"

    def scoped_queryset(self, workspace):
        return selectors.proposals(workspace=workspace, campaign=self.request.query_params.get("campaign"))

    def perform_create(self, serializer):
        serializer.instance = services.proposal_create(
            by=self.request.user, request=self.request, **serializer.validated_data
        )

    @extend_schema(request=None, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        proposal = services.proposal_apply(proposal=self.get_object(), by=request.user, request=request)
        return Response(self.get_serializer(proposal).data)

    @extend_schema(request=None, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None):
        proposal = services.proposal_discard(proposal=self.get_object(), by=request.user, request=request)
        return Response(self.get_serializer(proposal).data)


# --- report imports ---------------------------------------------------------------------------------


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
        data["content"] = _text_of(upload) if upload else data["content"]
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


# --- campaign approval ------------------------------------------------------------------------------


class CampaignRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class CampaignApprovalMixin:
    """`submit`, `approve` and `reject` on a campaign whose business unit requires approval before
    launch."""

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        campaign = services.campaign_submit(campaign=self.get_object(), by=request.user, request=request)
        return Response(self.get_serializer(self.get_queryset().get(pk=campaign.pk)).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        campaign = self.get_object()
        try:
            campaign = services.campaign_approve(
                campaign=campaign, membership=request.membership, request=request
            )
        except PermissionError as error:
            raise PermissionDenied(str(error)) from error
        return Response(self.get_serializer(self.get_queryset().get(pk=campaign.pk)).data)

    @extend_schema(request=CampaignRejectSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Send a submitted campaign back to its marketer (an optional `reason` is audited)."""
        body = CampaignRejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            campaign = services.campaign_reject(
                campaign=self.get_object(),
                membership=request.membership,
                reason=body.validated_data.get("reason", ""),
                request=request,
            )
        except PermissionError as error:
            raise PermissionDenied(str(error)) from error
        return Response(self.get_serializer(self.get_queryset().get(pk=campaign.pk)).data)
