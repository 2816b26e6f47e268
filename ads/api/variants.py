"""Creative variants: generated from a template over a feed, checked, edited in bulk, waived.

Variants are selected for bulk actions by `ids`, or by the same filters as the list (`template`,
`campaign`, `status`, `segment`, `language`, `format`, `excluded`, `contains`, `rule_id`)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from ads import selectors, services
from ads.models import AdCampaign, AdSet, CreativeTemplate, Feed, Variant, VariantStatus
from ads.variants import FORMATS, TEXT_FIELDS
from cxm.api.viewsets import WorkspaceRelatedField, WorkspaceScopedViewSet


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
