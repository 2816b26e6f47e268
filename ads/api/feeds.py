"""Product feeds: a CSV uploaded, given as text, or fetched from a URL."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from ads import selectors, services
from ads.api.shared import upload_text
from ads.models import Feed
from cxm.api.contract import ContractJSONParser
from cxm.api.viewsets import WorkspaceScopedViewSet


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
            content = upload_text(data["file"]) if data.get("file") else data["content"]
            feed = services.feed_upload_csv(
                content=content, default_currency=data["default_currency"], **common
            )
        return Response(FeedSerializer(feed).data, status=status.HTTP_201_CREATED)
