from __future__ import annotations

from django.db import transaction
from django_filters import rest_framework as filters
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import (
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from cxm.api.contract import ContractJSONParser
from cxm.api.viewsets import WorkspaceCrudViewSet, WorkspaceRelatedField
from cxm.channels import selectors
from cxm.channels.connectors import REGISTRY
from cxm.channels.models import AccountStatus, ChannelAccount, Platform
from cxm.channels.services.accounts import (
    account_create,
    account_delete,
    account_pause,
    account_resume,
    account_update,
)
from cxm.channels.services.health import account_check
from cxm.channels.services.imports import accounts_import_csv
from cxm.tenancy.models import Brand, BusinessUnit

# A website chat is made with its widget under Admin → Accounts → Website chat, never here.
NOT_CONNECTED_HERE = {Platform.WEBCHAT.value: "Create a website chat under Admin → Accounts → Website chat."}


class PlatformField(serializers.ChoiceField):
    """Every platform an account may be on when read; only those this API connects when written."""

    def __init__(self, **kwargs):
        super().__init__(choices=sorted(REGISTRY), **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value in NOT_CONNECTED_HERE:
            raise serializers.ValidationError(NOT_CONNECTED_HERE[value])
        return value


# Named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"], so requests get an enum of their own.
CONNECTABLE_PLATFORMS = [name for name in sorted(REGISTRY) if name not in NOT_CONNECTED_HERE]


class PlatformFieldSchema(OpenApiSerializerFieldExtension):
    target_class = PlatformField

    def map_serializer_field(self, auto_schema, direction):
        platforms = CONNECTABLE_PLATFORMS if direction == "request" else sorted(REGISTRY)
        return {"type": "string", "enum": platforms}


class ChannelAccountSerializer(serializers.ModelSerializer):
    platform = PlatformField()
    business_unit = WorkspaceRelatedField(model=BusinessUnit, allow_null=True, required=False)
    brand = WorkspaceRelatedField(model=Brand, allow_null=True, required=False)
    # Write-only: credentials are never shown again once entered.
    # A null value is the same as leaving that credential out.
    credentials = serializers.DictField(
        child=serializers.JSONField(allow_null=True), write_only=True, required=False
    )
    country = serializers.RegexField(
        r"^[A-Za-z]{2}$",
        required=False,
        allow_blank=True,
        error_messages={"invalid": "Use the two-letter ISO code, e.g. ID or GB."},
    )
    options = serializers.DictField(child=serializers.JSONField(allow_null=True), required=False)
    has_credentials = serializers.SerializerMethodField()

    class Meta:
        model = ChannelAccount
        fields = [
            "id",
            "platform",
            "handle",
            "display_name",
            "base_url",
            "business_unit",
            "brand",
            "country",
            "language",
            "status",
            "options",
            "credentials",
            "has_credentials",
            "last_synced_at",
            "next_sync_at",
            "rate_limited_until",
            "error_text",
            "items_received",
            "last_item_at",
            "sync_interval_seconds",
            "created_at",
        ]
        read_only_fields = [
            "status",
            "last_synced_at",
            "next_sync_at",
            "rate_limited_until",
            "error_text",
            "items_received",
            "last_item_at",
            "created_at",
        ]
        # A week at most: longer intervals overflow the schedule and mean "never" anyway.
        extra_kwargs = {"sync_interval_seconds": {"min_value": 10, "max_value": 7 * 24 * 3600}}

    def get_has_credentials(self, account) -> bool:
        return bool(account.credentials)

    def validate_country(self, value: str) -> str:
        return value.upper()


class ChannelAccountFilter(filters.FilterSet):
    platform = filters.CharFilter()
    business_unit = filters.NumberFilter()
    brand = filters.NumberFilter()
    country = filters.CharFilter(lookup_expr="iexact")
    status = filters.ChoiceFilter(choices=AccountStatus.choices)

    class Meta:
        model = ChannelAccount
        fields = ["platform", "business_unit", "brand", "country", "status"]


API_ERROR = inline_serializer(
    "ApiError",
    {
        "status": serializers.IntegerField(),
        "code": serializers.CharField(),
        "detail": serializers.CharField(),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False
        ),
    },
)
ACCOUNT_IMPORT_RESULT = inline_serializer(
    "AccountImportResult",
    {
        "created": serializers.ListField(child=serializers.IntegerField()),
        "errors": serializers.ListField(child=serializers.DictField()),
    },
)


@extend_schema_field({"type": "string", "format": "binary", "minLength": 1})
class CsvFileField(serializers.FileField):
    """The CSV to import: an empty file is refused (there is nothing to import)."""


class CheckResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    status = serializers.CharField()


class ChannelAccountViewSet(WorkspaceCrudViewSet):
    """The brand's connected accounts. Everyone in the workspace sees them; admins manage them."""

    serializer_class = ChannelAccountSerializer
    queryset = ChannelAccount.objects.all()
    filterset_class = ChannelAccountFilter
    read_permission = "workspace.view"
    write_permission = "channels.manage"
    permission_by_action = {
        "check": "channels.manage",
        "pause": "channels.manage",
        "resume": "channels.manage",
        "import_csv": "channels.manage",
    }

    def scoped_queryset(self, workspace):
        return selectors.channel_accounts(workspace=workspace)

    def perform_create(self, serializer):
        serializer.instance = account_create(
            workspace=self.request.workspace,
            by=self.request.user,
            request=self.request,
            **serializer.validated_data,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("platform", None)
        credentials = data.pop("credentials", None)
        serializer.instance = account_update(
            account=serializer.instance,
            credentials=credentials,
            by=self.request.user,
            request=self.request,
            **data,
        )

    def perform_destroy(self, instance):
        account_delete(account=instance, by=self.request.user, request=self.request)

    @extend_schema(request=None, responses=CheckResultSerializer)
    @action(detail=True, methods=["post"])
    def check(self, request, pk=None):
        """Try the account's credentials against its platform now."""
        account = self.get_object()
        result = account_check(account=account, by=request.user, request=request)
        return Response({"ok": result.ok, "message": result.message, "status": account.status})

    @extend_schema(request=None, responses=ChannelAccountSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        account = account_pause(account=self.get_object(), by=request.user, request=request)
        return Response(self.get_serializer(account).data)

    @extend_schema(request=None, responses=ChannelAccountSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        account = account_resume(account=self.get_object(), by=request.user, request=request)
        return Response(self.get_serializer(account).data)

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer("AccountImport", {"file": CsvFileField()}),
            "text/csv": None,
        },
        # 201 when some rows were created, 400 when none was (both list the bad rows), or the
        # usual 400 error when no CSV came at all.
        responses={
            201: ACCOUNT_IMPORT_RESULT,
            400: PolymorphicProxySerializer(
                component_name="AccountImportRejected",
                serializers=[ACCOUNT_IMPORT_RESULT, API_ERROR],
                resource_type_field_name=None,
            ),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser, ContractJSONParser],
    )
    def import_csv(self, request):
        """Bulk import from CSV: good rows are created, each bad row is reported with its number."""
        upload = request.FILES.get("file")
        if upload is not None:
            text = upload.read().decode("utf-8-sig", errors="replace")
        else:
            text = request.data.get("csv", "") if hasattr(request.data, "get") else ""
        if not text:
            raise serializers.ValidationError(
                {"file": ["Upload a CSV file (field `file`) or send `csv` text."]}
            )
        with transaction.atomic():
            result = accounts_import_csv(
                workspace=request.workspace, text=text, by=request.user, request=request
            )
        code = status.HTTP_201_CREATED if result.created else status.HTTP_400_BAD_REQUEST
        return Response({"created": result.created, "errors": result.errors}, status=code)
