"""/api/v1/cases/: the inbox (views and counts), a case and its conversation, replies and notes,
assignment and resolution. Reading needs care.view (agents, analysts, admins); changing anything
needs care.work (agents, admins)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from care import selectors, services
from care.models import (
    ACTIVE_STATUSES,
    Case,
    CaseStatus,
    CaseType,
    Macro,
    Message,
    Priority,
    Queue,
)
from cxm.api.pagination import CursorPagination
from cxm.api.viewsets import WorkspaceRelatedField, WorkspaceScopedViewSet
from cxm.channels.models import ChannelAccount
from cxm.customers.models import CustomerProfile
from cxm.replica import read_alias
from cxm.tenancy.models import BusinessUnit, User


class CasePagination(CursorPagination):
    ordering = ("-last_message_at", "-id")


class MessagePagination(CursorPagination):
    ordering = ("-occurred_at", "-id")


class MemberField(serializers.PrimaryKeyRelatedField):
    """A user id that must belong to a member of the request's workspace."""

    def __init__(self, **kwargs):
        super().__init__(queryset=User.objects.all(), **kwargs)

    def get_queryset(self):
        workspace = getattr(self.context.get("request"), "workspace", None)
        if workspace is None:
            return User.objects.none()
        return User.objects.filter(memberships__workspace=workspace)


class CustomerBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerProfile
        fields = ["id", "display_name"]


class ReplyWindowSerializer(serializers.Serializer):
    """When the platform lets the case be answered: `open` (any answer until `closes_at`),
    `human_agent_only` (only a person's answer until `closes_at`) or `closed` (`reason` says why)."""

    platform = serializers.CharField()
    state = serializers.ChoiceField(choices=["open", "human_agent_only", "closed"])
    closes_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()


class CaseSerializer(serializers.ModelSerializer):
    customer = CustomerBriefSerializer(read_only=True)
    reply_window = serializers.SerializerMethodField()
    assignee_name = serializers.SerializerMethodField()
    sla_breached = serializers.SerializerMethodField()
    missing_for_resolution = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "customer",
            "channel_account",
            "platform",
            "channel_kind",
            "business_unit",
            "language",
            "subject",
            "status",
            "reopened",
            "reopen_count",
            "priority",
            "queue",
            "assignee",
            "assignee_name",
            "tags",
            "case_type",
            "checklist_done",
            "fields",
            "missing_for_resolution",
            "reply_window",
            "sentiment",
            "first_response_due_at",
            "resolution_due_at",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "sla_breached",
            "last_message_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_assignee_name(self, case) -> str:
        return case.assignee.get_username() if case.assignee_id else ""

    def get_sla_breached(self, case) -> bool:
        return bool(case.first_response_breached_at or case.resolution_breached_at)

    def get_missing_for_resolution(self, case) -> dict:
        return case.missing_for_resolution()

    @extend_schema_field(ReplyWindowSerializer(allow_null=True))
    def get_reply_window(self, case) -> dict | None:
        window = services.reply_window(case)
        if window is None:
            return None
        return ReplyWindowSerializer(window).data


class CaseCreateSerializer(serializers.Serializer):
    customer = WorkspaceRelatedField(model=CustomerProfile)
    subject = serializers.CharField(max_length=500, required=False, default="")
    text = serializers.CharField(required=False, default="", help_text="Kept as the first internal note.")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, default=Priority.NORMAL)
    channel_account = WorkspaceRelatedField(model=ChannelAccount, required=False, allow_null=True)
    queue = WorkspaceRelatedField(model=Queue, required=False, allow_null=True)
    business_unit = WorkspaceRelatedField(model=BusinessUnit, required=False, allow_null=True)
    case_type = WorkspaceRelatedField(model=CaseType, required=False, allow_null=True)
    language = serializers.CharField(max_length=16, required=False, default="")


class CaseUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    assignee = MemberField(required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=64, min_length=1), required=False)
    queue = WorkspaceRelatedField(model=Queue, required=False, allow_null=True)
    case_type = WorkspaceRelatedField(model=CaseType, required=False, allow_null=True)
    subject = serializers.CharField(max_length=500, required=False, allow_blank=True)
    language = serializers.CharField(max_length=16, required=False, allow_blank=True)


class AssignSerializer(serializers.Serializer):
    assignee = MemberField(
        required=False, allow_null=True, help_text="A colleague's user id; null unassigns."
    )
    auto = serializers.BooleanField(
        required=False, default=False, help_text="Route to the least-loaded agent."
    )
    force = serializers.BooleanField(
        required=False, default=False, help_text="Assign beyond the agent's capacity."
    )


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "direction",
            "platform",
            "external_id",
            "url",
            "author",
            "subject",
            "text",
            "language",
            "sentiment",
            "occurred_at",
            "mentions",
            "status",
            "attempts",
            "error",
            "sent_at",
            "platform_status",
            "platform_status_at",
            "platform_error",
        ]
        read_only_fields = fields

    def get_author(self, message) -> dict:
        return {
            "user": message.author_user_id,
            "name": message.author_name,
            "handle": message.author_handle,
        }


class MessageCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("reply", "Reply to the customer"), ("note", "Internal note")])
    text = serializers.CharField(required=False, allow_blank=True, default="")
    macro = WorkspaceRelatedField(
        model=Macro, required=False, allow_null=True, help_text="Reply with a macro."
    )
    status = serializers.ChoiceField(
        choices=[CaseStatus.OPEN, CaseStatus.PENDING_CUSTOMER, CaseStatus.RESOLVED],
        required=False,
        help_text="Move the case on with the reply.",
    )
    mentions = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    template = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=600,
        help_text="WhatsApp, once the 24-hour window is closed: reply with this approved template, "
        'as "name:language" (e.g. "order_delivery_update:en_US").',
    )
    parameters = serializers.DictField(
        child=serializers.CharField(max_length=1024, allow_blank=True),
        required=False,
        default=dict,
        help_text='The template\'s placeholders: {"1": "Ana"} or {"first_name": "Ana"} for the body, '
        '"header.1" for the header.',
    )


def _template_values(parameters: dict[str, str]) -> dict[str, str]:
    """The API's {"1": "Ana", "header.1": "..."} as the reply box's field names."""
    values = {}
    for key, value in parameters.items():
        component, _, name = key.rpartition(".")
        values[f"param-{(component or 'body').lower()}-{name}"] = value
    return values


class RetrySerializer(serializers.Serializer):
    message = serializers.IntegerField()


class CsatSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


_STATUS = "|".join(CaseStatus.values)
STATUS_PARAMETER = re.compile(rf"|any|(?:{_STATUS})(?:,(?:{_STATUS}))*")
LIST_PARAMETERS = [
    OpenApiParameter("view", str, enum=list(selectors.VIEWS), description="Inbox view (default all)"),
    OpenApiParameter(
        "status",
        {"type": "string", "pattern": f"^(?:{STATUS_PARAMETER.pattern})$"},
        description="Comma-separated statuses; `any` for all (default: active)",
    ),
    OpenApiParameter("queue", int),
    OpenApiParameter("business_unit", int),
    OpenApiParameter("language", str),
    OpenApiParameter("platform", str),
    OpenApiParameter("account", int),
    OpenApiParameter("priority", str, enum=["", *Priority.values]),
    OpenApiParameter("assignee", int),
    OpenApiParameter("customer", int),
    OpenApiParameter("tag", str),
    OpenApiParameter(
        "q",
        str,
        description="Search as the inbox's search box does: case number (#12), subject, the "
        "customer's name, handle or email, or words in the conversation.",
    ),
]


def _int(params, name: str) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise serializers.ValidationError({name: ["A whole number."]}) from None


def inbox_filters(params) -> selectors.InboxFilters:
    view = params.get("view") or "all"
    if view not in selectors.VIEWS:
        raise serializers.ValidationError({"view": [f"One of {', '.join(selectors.VIEWS)}."]})
    raw_status = params.get("status") or ""
    if raw_status == "any":
        statuses: list[str] = []
    elif raw_status:
        if not STATUS_PARAMETER.fullmatch(raw_status):
            raise serializers.ValidationError(
                {"status": [f"Statuses are {', '.join(CaseStatus.values)}, separated by commas, or any."]}
            )
        statuses = raw_status.split(",")
    else:
        statuses = list(ACTIVE_STATUSES)
    priority = params.get("priority") or ""
    if priority and priority not in Priority.values:
        raise serializers.ValidationError({"priority": [f"One of {', '.join(Priority.values)}."]})
    return selectors.InboxFilters(
        view=view,
        statuses=statuses,
        queue_id=_int(params, "queue"),
        business_unit_id=_int(params, "business_unit"),
        language=params.get("language") or "",
        platform=params.get("platform") or "",
        account_id=_int(params, "account"),
        priority=priority,
        assignee_id=_int(params, "assignee"),
        customer_id=_int(params, "customer"),
        tag=params.get("tag") or "",
        q=params.get("q") or "",
    )


class CaseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    WorkspaceScopedViewSet,
):
    """Cases of the workspace. The list is the inbox: pick a `view` and narrow it with filters."""

    queryset = Case.objects.all()
    serializer_class = CaseSerializer
    pagination_class = CasePagination
    filter_backends: list = []
    read_permission = "care.view"
    write_permission = "care.work"

    def scoped_queryset(self, workspace):
        if self.action == "list":
            return selectors.inbox_cases(
                workspace=workspace, user=self.request.user, filters=inbox_filters(self.request.query_params)
            )
        return selectors.inbox_cases(
            workspace=workspace, user=self.request.user, filters=selectors.InboxFilters(statuses=[])
        )

    @extend_schema(parameters=LIST_PARAMETERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=CaseCreateSerializer, responses={201: CaseSerializer})
    def create(self, request, *args, **kwargs):
        """Open a case by hand for a customer."""
        data = CaseCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        case = services.case_create(workspace=request.workspace, by=request.user, **data.validated_data)
        return Response(CaseSerializer(case).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CaseUpdateSerializer, responses=CaseSerializer)
    def update(self, request, *args, **kwargs):
        """Change status, priority, assignee, tags, queue, case type (PUT and PATCH both patch)."""
        case = self.get_object()
        data = CaseUpdateSerializer(data=request.data, context={"request": request}, partial=True)
        data.is_valid(raise_exception=True)
        case = services.case_update(case=case, by=request.user, **data.validated_data)
        return Response(CaseSerializer(case).data)

    @extend_schema(request=CaseUpdateSerializer, responses=CaseSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    @extend_schema(request=AssignSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign to a colleague, unassign (null), or route automatically (`auto`)."""
        case = self.get_object()
        data = AssignSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        if data.validated_data["auto"]:
            services.case_assign(case=case, assignee=None, by=request.user)
            services.case_route(case_id=case.pk, workspace_id=case.workspace_id)
        elif "assignee" in data.validated_data:
            services.case_assign(
                case=case,
                assignee=data.validated_data["assignee"],
                by=request.user,
                force=data.validated_data["force"],
            )
        else:
            raise serializers.ValidationError({"assignee": ["Give a colleague's id, null, or auto: true."]})
        return Response(CaseSerializer(self.get_object()).data)

    @extend_schema(request=None, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Resolve the case (its case type's checklist and fields must be complete)."""
        case = services.case_resolve(case=self.get_object(), by=request.user)
        return Response(CaseSerializer(case).data)

    @extend_schema(
        methods=["GET"],
        parameters=[
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", {"type": "integer", "minimum": 1}),
        ],
        # A cursor page, as every list: {"next", "previous", "results": [message, ...]}.
        responses=extend_schema_serializer(many=False)(
            inline_serializer(
                "MessagePage",
                {
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": MessageSerializer(many=True),
                },
            )
        ),
    )
    @extend_schema(methods=["POST"], request=MessageCreateSerializer, responses={201: MessageSerializer})
    @action(detail=True, methods=["get", "post"])
    def messages(self, request, pk=None):
        """GET: the conversation, newest first. POST: a reply to the customer or an internal note."""
        case = self.get_object()
        if request.method == "GET":
            paginator = MessagePagination()
            rows = selectors.case_messages(workspace=request.workspace, case_id=case.pk)
            page = paginator.paginate_queryset(rows, request, view=self)
            return paginator.get_paginated_response(MessageSerializer(page, many=True).data)
        data = MessageCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["kind"] == "note":
            message = services.case_note(
                case=case, text=values["text"], by=request.user, mentions=values["mentions"]
            )
        elif values["template"]:
            message = services.case_template_send(
                case=case,
                template=values["template"],
                values=_template_values(values["parameters"]),
                status=values.get("status"),
                by=request.user,
            )
        else:
            message = services.case_reply(
                case=case,
                text=values["text"],
                macro=values.get("macro"),
                status=values.get("status"),
                by=request.user,
            )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RetrySerializer, responses=MessageSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Send a failed reply of this case again."""
        case = self.get_object()
        data = RetrySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = selectors.case_message_get(
            workspace=request.workspace, case_id=case.pk, message_id=data.validated_data["message"]
        )
        if message is None:
            raise serializers.ValidationError({"message": ["No such message on this case."]})
        message = services.message_retry(message=message, by=request.user)
        return Response(MessageSerializer(message).data)

    @extend_schema(
        request=CsatSerializer,
        responses=inline_serializer(
            "CsatRecorded", {"id": serializers.IntegerField(), "score": serializers.IntegerField()}
        ),
    )
    @action(detail=True, methods=["post"])
    def csat(self, request, pk=None):
        """Record the customer's satisfaction answer (1-5) for this case."""
        case = self.get_object()
        data = CsatSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        response = services.csat_record(case=case, **data.validated_data)
        return Response({"id": response.pk, "score": response.score}, status=status.HTTP_201_CREATED)

    @extend_schema(responses=inline_serializer("InboxCounts", {"all": serializers.IntegerField()}))
    @action(detail=False, methods=["get"])
    def counts(self, request):
        """How many active cases each inbox view holds."""
        return Response(selectors.inbox_counts(workspace=request.workspace, user=request.user))

    @extend_schema(
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Default: 30 days ago"),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Default: now"),
            OpenApiParameter("queue", int),
            OpenApiParameter("business_unit", int),
        ],
        responses=inline_serializer("CareMetrics", {"cases": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["get"])
    def metrics(self, request):
        """First response and resolution times, share answered, SLA breaches, CSAT, backlog."""
        params = request.query_params
        field = serializers.DateTimeField()
        until = field.to_internal_value(params["until"]) if params.get("until") else timezone.now()
        since = (
            field.to_internal_value(params["since"]) if params.get("since") else until - timedelta(days=30)
        )
        return Response(
            selectors.care_metrics(
                workspace=request.workspace,
                since=since,
                until=until,
                queue_id=_int(params, "queue"),
                business_unit_id=_int(params, "business_unit"),
                using=read_alias(reader=request.user),
            )
        )
