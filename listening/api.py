"""`/api/v1/mentions/`, `/api/v1/topics/`, saved searches, alerts and the dashboard data."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from cxm.api.contract import BatchJSONParser
from cxm.api.pagination import page_size_from
from cxm.api.permissions import IsWorkspaceMember
from cxm.api.viewsets import WorkspaceRelatedField, WorkspaceScopedViewSet
from cxm.channels import signing
from cxm.replica import read_alias
from cxm.spreadsheet import csv_writer
from cxm.tenancy.models import Brand
from listening import services
from listening.models import Alert, Mention, SavedSearch, Topic
from listening.query import QuerySyntaxError
from listening.selectors.dashboard import dashboard as dashboard_figures
from listening.selectors.explorer import ExplorerFilters, mentions_search, query_error, saved_searches
from listening.selectors.mention_detail import author_history, mention_get, mention_thread
from listening.selectors.spikes import alerts
from listening.selectors.topic_setup import topic_names, topics

FILTER_PARAMETERS = [
    OpenApiParameter(
        "q",
        str,
        description='Query: words, "phrases", prefix*, AND/OR/NOT, (), lang:id, '
        "platform:mastodon, author:@x, sentiment:negative, country:ID, kind:comment, media:paid",
    ),
    *[OpenApiParameter(name, str) for name in ("platform", "language", "country", "media_type", "kind")],
    OpenApiParameter(
        "sentiment",
        str,
        description="positive, neutral, negative or unknown (the classifier abstained: too little "
        "in the text to call).",
    ),
    OpenApiParameter("sort", str, enum=["recent", "engagement"], description="Default recent."),
    # Topic ids are stored as PostgreSQL integers (each mention's topic_ids), the others as bigints.
    OpenApiParameter("topic", {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}),
    *[OpenApiParameter(name, int) for name in ("brand", "business_unit", "customer")],
    OpenApiParameter("since", OpenApiTypes.DATETIME),
    OpenApiParameter("until", OpenApiTypes.DATETIME),
    OpenApiParameter("answered", bool),
    OpenApiParameter("cursor", str),
]
# A page of mentions holds up to 200: each row carries its text, and the facets come with it.
MENTION_PAGE_DEFAULT = 25
MENTION_PAGE_MAX = 200
PAGE_SIZE_PARAMETER = OpenApiParameter(
    "page_size",
    {"type": "integer", "minimum": 1},
    description=f"Mentions per page, up to {MENTION_PAGE_MAX} (default {MENTION_PAGE_DEFAULT}).",
)


def _ad_id(row: dict[str, Any]) -> int | None:
    if "ad_id" in row:
        return row["ad_id"]
    raw = row.get("raw")
    ad_id = raw.get("ad_id") if isinstance(raw, dict) else None
    return int(ad_id) if ad_id else None


def mention_json(row: dict[str, Any], topic_names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "platform": row["platform"],
        "external_id": row["external_id"],
        "text": row["text"],
        "language": row["language"] or None,
        "sentiment": {"label": row["sentiment"], "score": row["sentiment_score"]},
        "author": {
            "handle": row["author_handle"],
            "name": row["author_name"],
            "customer_id": row["customer_id"],
        },
        "created_at": row["created_at"].isoformat().replace("+00:00", "Z"),
        "topics": [{"id": t, "name": topic_names.get(t, "")} for t in row["topic_ids"]],
        "answered": row["answered"],
        "needs_answer": row["needs_answer"],
        # Why it needs an answer or none (docs/care.md); null for mentions stored before it was kept.
        "answer_reason": row.get("answer_reason") or None,
        "media_type": row["media_type"],
        # The ad a comment on an ad was written under (comments on ads only).
        "ad": _ad_id(row),
        "kind": row["kind"],
        "url": row["url"],
        "country": row["country"] or None,
        "brand": row["brand_id"],
        "engagement": row["engagement"],
        "tags": row["tags"],
        "thread_id": row["thread_id"],
        "in_reply_to": row["in_reply_to"],
    }


def _filters(request) -> ExplorerFilters:
    """Explorer filters from the query string; bad ones become field errors."""
    try:
        filters = ExplorerFilters.from_params(request.query_params)
    except ValueError as exc:
        name, _sep, message = str(exc).partition(": ")
        raise serializers.ValidationError({name: [message]}) from exc
    error = query_error(filters.q) if filters.q else None
    if error is not None:
        raise serializers.ValidationError({"q": [f"{error} (at character {error.position + 1})"]})
    return filters


class IngestRequestSerializer(serializers.Serializer):
    # Any JSON per item: a malformed item is reported by its index in `errors`, never fails the batch.
    items = serializers.ListField(
        child=serializers.JSONField(),
        max_length=1000,
        help_text="Up to 1,000 mentions: platform, external_id, text, created_at, author, url, ...",
    )


class IngestResponseSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())


class MentionViewSet(viewsets.ViewSet):
    """Search and ingest mentions. The Explorer shows exactly what `GET` answers."""

    permission_classes = [IsWorkspaceMember]
    read_permission = "listening.view"
    write_permission = "listening.manage"
    queryset = Mention.objects.none()  # only so the schema knows ids are integers
    parser_classes = [BatchJSONParser]

    @extend_schema(
        parameters=[*FILTER_PARAMETERS, PAGE_SIZE_PARAMETER],
        # One page object, not an array, although this is a list action.
        responses=extend_schema_serializer(many=False)(
            inline_serializer(
                "MentionPage",
                {
                    "results": serializers.ListField(child=serializers.DictField()),
                    "next": serializers.CharField(allow_null=True),
                    "facets": serializers.DictField(),
                    "facets_sampled": serializers.BooleanField(),
                },
            )
        ),
    )
    def list(self, request):
        filters = _filters(request)
        using = read_alias(reader=request.user)
        try:
            page = mentions_search(
                workspace=request.workspace,
                filters=filters,
                cursor=request.query_params.get("cursor"),
                limit=page_size_from(
                    request.query_params, default=MENTION_PAGE_DEFAULT, maximum=MENTION_PAGE_MAX
                ),
                using=using,
            )
        except QuerySyntaxError as exc:
            raise serializers.ValidationError({"q": [f"{exc} (at character {exc.position + 1})"]}) from exc
        except ValueError as exc:
            raise serializers.ValidationError({"cursor": [str(exc)]}) from exc
        names = topic_names(workspace=request.workspace, using=using)
        next_url = None
        if page.next_cursor:
            params = request.query_params.copy()
            params["cursor"] = page.next_cursor
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        return Response(
            {
                "results": [mention_json(row, names) for row in page.results],
                "next": next_url,
                "facets": page.facets,
                "facets_sampled": page.facets_sampled,
            }
        )

    @extend_schema(request=IngestRequestSerializer, responses={200: IngestResponseSerializer})
    def create(self, request):
        """Ingest a batch of up to 1,000 items; each bad item is reported by index, the rest kept."""
        items = request.data.get("items") if isinstance(request.data, dict) else None
        try:
            result = services.mentions_ingest_payload(workspace_id=request.workspace.pk, items=items)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return Response(
            {"accepted": result.accepted, "duplicates": result.duplicates, "errors": result.errors},
            status=status.HTTP_200_OK,
        )

    @extend_schema(
        responses=inline_serializer(
            "MentionDetail",
            {
                "mention": serializers.DictField(),
                "thread": serializers.ListField(child=serializers.DictField()),
                "author_history": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def retrieve(self, request, pk=None):
        try:
            mention = mention_get(workspace=request.workspace, mention_id=int(pk))
        except ValueError:
            mention = None
        if mention is None:
            raise NotFound()
        names = topic_names(workspace=request.workspace)

        def as_json(m):
            return mention_json(m.__dict__, names)

        return Response(
            {
                "mention": as_json(mention),
                "thread": [as_json(m) for m in mention_thread(workspace=request.workspace, mention=mention)],
                "author_history": [
                    as_json(m)
                    for m in author_history(
                        workspace=request.workspace, customer_id=mention.customer_id, exclude=mention.pk
                    )
                ],
            }
        )

    @extend_schema(parameters=FILTER_PARAMETERS, responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The whole result set as CSV, streamed page by page: any size, constant memory."""
        try:
            return mentions_csv_response(
                workspace=request.workspace, filters=_filters(request), using=read_alias(reader=request.user)
            )
        except QuerySyntaxError as exc:
            raise serializers.ValidationError({"q": [f"{exc} (at character {exc.position + 1})"]}) from exc


def mentions_csv_response(*, workspace, filters, using: str = DEFAULT_DB_ALIAS) -> StreamingHttpResponse:
    """The mentions matching `filters` as a streamed CSV download, every page read through the
    alias `using`. Everything that can refuse the request (the filters, the query, the first
    page's search) runs before the response starts, so a refusal is an error answer, never a
    download cut off after its first bytes."""
    names = topic_names(workspace=workspace, using=using)
    first = mentions_search(
        workspace=workspace, filters=filters, limit=EXPORT_PAGE, facets=False, using=using
    )
    return StreamingHttpResponse(
        export_rows(workspace, filters, names, first, using),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="mentions.csv"'},
    )


class _Echo:
    def write(self, value):
        return value


EXPORT_COLUMNS = [
    "id",
    "created_at",
    "platform",
    "external_id",
    "author_handle",
    "author_name",
    "language",
    "sentiment",
    "sentiment_score",
    "media_type",
    "kind",
    "country",
    "answered",
    "topics",
    "url",
    "text",
]


EXPORT_PAGE = 2000


def export_rows(workspace, filters, names, first, using: str = DEFAULT_DB_ALIAS):
    """CSV lines of the matches, from the page already read (`first`) on."""
    writer = csv_writer(_Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    page = first
    while True:
        for row in page.results:
            yield writer.writerow(
                [
                    row["id"],
                    row["created_at"].isoformat(),
                    row["platform"],
                    row["external_id"],
                    row["author_handle"],
                    row["author_name"],
                    row["language"],
                    row["sentiment"],
                    row["sentiment_score"],
                    row["media_type"],
                    row["kind"],
                    row["country"],
                    row["answered"],
                    "|".join(names.get(t, str(t)) for t in row["topic_ids"]),
                    row["url"],
                    row["text"],
                ]
            )
        if not page.next_cursor:
            return
        page = mentions_search(
            workspace=workspace,
            filters=filters,
            cursor=page.next_cursor,
            limit=EXPORT_PAGE,
            facets=False,
            using=using,
        )


class TopicSerializer(serializers.ModelSerializer):
    brand = WorkspaceRelatedField(model=Brand, allow_null=True, required=False)
    alert_recipients = serializers.ListField(
        child=serializers.EmailField(), required=False, max_length=services.MAX_ALERT_RECIPIENTS
    )
    alert_webhook_secret = serializers.RegexField(
        signing.STANDARD_SECRET_PATTERN,
        error_messages={"invalid": "Expected a Standard Webhooks secret: whsec_ and base64."},
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="Standard Webhooks signing secret, whsec_<base64>. Write-only; generated when a "
        "webhook URL is set without one (topic managers see it on the topic's page).",
    )
    alert_webhook_secret_set = serializers.SerializerMethodField()

    class Meta:
        model = Topic
        fields = [
            "id",
            "name",
            "query",
            "brand",
            "created_at",
            "backfill_status",
            "backfill_scanned",
            "backfill_total",
            "backfill_matched",
            "alert_volume_factor",
            "alert_negative_factor",
            "alert_min_volume",
            "alert_email",
            "alert_webhook_url",
            "alert_recipients",
            "alert_webhook_secret",
            "alert_webhook_secret_set",
        ]
        read_only_fields = [
            "created_at",
            "backfill_status",
            "backfill_scanned",
            "backfill_total",
            "backfill_matched",
        ]

    def get_alert_webhook_secret_set(self, topic: Topic) -> bool:
        return bool(topic.alert_webhook_secret)


# Topic fields written through `topic_alert_delivery_set`, by its argument names.
DELIVERY_FIELDS = {
    "alert_recipients": "recipients",
    "alert_email": "email",
    "alert_webhook_url": "webhook_url",
    "alert_webhook_secret": "webhook_secret",
}


def _split_delivery(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    delivery = {DELIVERY_FIELDS[k]: v for k, v in data.items() if k in DELIVERY_FIELDS}
    return {k: v for k, v in data.items() if k not in DELIVERY_FIELDS}, delivery


class TopicViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    WorkspaceScopedViewSet,
):
    """Saved listening queries. Creating one back-fills it over history (progress in backfill_*)."""

    serializer_class = TopicSerializer
    queryset = Topic.objects.all()
    read_permission = "listening.view"
    write_permission = "listening.manage"
    duplicate_actions = ("create",)  # a name taken at the same moment answers 409

    def scoped_queryset(self, workspace):
        return topics(workspace=workspace)

    @transaction.atomic
    def perform_create(self, serializer):
        data, delivery = _split_delivery(dict(serializer.validated_data))
        keys = {"name", "query", "brand"}
        topic = services.topic_create(
            workspace=self.request.workspace,
            by=self.request.user,
            request=self.request,
            **{k: v for k, v in data.items() if k in keys},
        )
        extra = {k: v for k, v in data.items() if k not in keys}
        if extra:
            topic = services.topic_update(topic=topic, by=self.request.user, **extra)
        if delivery:
            topic = services.topic_alert_delivery_set(
                topic=topic, by=self.request.user, request=self.request, **delivery
            )
        serializer.instance = topic

    @transaction.atomic
    def perform_update(self, serializer):
        data, delivery = _split_delivery(dict(serializer.validated_data))
        topic = serializer.instance
        if data:
            topic = services.topic_update(topic=topic, by=self.request.user, request=self.request, **data)
        if delivery:
            topic = services.topic_alert_delivery_set(
                topic=topic, by=self.request.user, request=self.request, **delivery
            )
        serializer.instance = topic

    def perform_destroy(self, instance):
        services.topic_delete(topic=instance, by=self.request.user, request=self.request)


class SavedSearchSerializer(serializers.ModelSerializer):
    params = serializers.DictField(help_text="Explorer filters, as the Explorer's query string has them.")

    class Meta:
        model = SavedSearch
        fields = ["id", "name", "params", "created_at"]
        read_only_fields = ["created_at"]

    def validate_params(self, value):
        # A form field's JSON text "null" passes the null check as text and only then becomes None.
        if not isinstance(value, dict):
            raise serializers.ValidationError("An object of search parameters.")
        # PostgreSQL's jsonb cannot hold U+0000.
        if "\\u0000" in json.dumps(value):
            raise serializers.ValidationError("Null characters are not allowed.")
        return value


class SavedSearchViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    WorkspaceScopedViewSet,
):
    """The signed-in user's saved Explorer searches."""

    serializer_class = SavedSearchSerializer
    queryset = SavedSearch.objects.all()
    read_permission = "listening.view"
    write_permission = "listening.view"

    def scoped_queryset(self, workspace):
        return saved_searches(workspace=workspace, user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.saved_search_create(
            workspace=self.request.workspace,
            user=self.request.user,
            **{"params": {}, **serializer.validated_data},
        )


class AlertSerializer(serializers.ModelSerializer):
    topic_name = serializers.CharField(source="topic.name", read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "topic",
            "topic_name",
            "kind",
            "day",
            "observed",
            "baseline",
            "created_at",
            "acknowledged_at",
            "email_status",
            "emailed_at",
            "email_error",
            "webhook_status",
            "webhook_delivered_at",
            "webhook_error",
            "delivery_attempts",
        ]


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    serializer_class = AlertSerializer
    queryset = Alert.objects.all()
    read_permission = "listening.view"

    def scoped_queryset(self, workspace):
        return alerts(workspace=workspace)


class DashboardView(viewsets.ViewSet):
    permission_classes = [IsWorkspaceMember]
    read_permission = "listening.view"

    @extend_schema(
        parameters=[*FILTER_PARAMETERS, OpenApiParameter("days", int)],
        responses=extend_schema_serializer(many=False)(
            inline_serializer("ListeningDashboard", {"volume": serializers.ListField()})
        ),
    )
    def list(self, request):
        filters = _filters(request)
        raw_days = request.query_params.get("days") or "30"
        if not raw_days.isdigit():
            raise serializers.ValidationError({"days": ["A whole number of days."]})
        days = max(1, min(int(raw_days), 366))
        using = read_alias(reader=request.user)
        return Response(
            dashboard_figures(workspace=request.workspace, filters=filters, days=days, using=using)
        )
