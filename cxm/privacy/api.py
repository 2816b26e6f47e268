"""/api/v1/privacy/requests/: record a data-subject request (export or erase everything held about
one person), follow it, and download an export. Admins only."""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from cxm.api.viewsets import WorkspaceScopedViewSet
from cxm.privacy import selectors, services
from cxm.privacy.models import PrivacyRequest


class PrivacyRequestSerializer(serializers.ModelSerializer):
    identity = serializers.CharField(source="identity_masked", read_only=True)
    download_url = serializers.SerializerMethodField()
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = PrivacyRequest
        fields = [
            "id",
            "kind",
            "identity",
            "status",
            "progress",
            "counts",
            "created_at",
            "due_at",
            "overdue",
            "started_at",
            "completed_at",
            "error",
            "download_url",
        ]

    def get_download_url(self, privacy_request) -> str | None:
        if privacy_request.kind != PrivacyRequest.Kind.EXPORT or not privacy_request.export_file:
            return None
        path = reverse("privacy-request-download", kwargs={"pk": privacy_request.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class PrivacyRequestCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PrivacyRequest.Kind.values)
    identity = serializers.CharField(
        max_length=services.MAX_IDENTITY_LENGTH,
        help_text="An email address, a handle on any platform or a phone number.",
    )


class PrivacyRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, WorkspaceScopedViewSet
):
    """Data-subject requests of the workspace, newest first. POST records one and starts it."""

    serializer_class = PrivacyRequestSerializer
    queryset = PrivacyRequest.objects.all()
    read_permission = "workspace.manage"
    write_permission = "workspace.manage"

    def scoped_queryset(self, workspace):
        return selectors.privacy_requests(workspace=workspace)

    @extend_schema(request=PrivacyRequestCreateSerializer, responses={201: PrivacyRequestSerializer})
    def create(self, request, *args, **kwargs):
        incoming = PrivacyRequestCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        privacy_request = services.request_create(
            workspace=request.workspace,
            kind=incoming.validated_data["kind"],
            identity=incoming.validated_data["identity"],
            by=request.user,
            request=request,
        )
        body = PrivacyRequestSerializer(privacy_request, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        privacy_request = self.get_object()
        path = selectors.export_path(privacy_request)
        if path is None or not path.exists():
            raise exceptions.NotFound("No export file for this request.")
        return FileResponse(
            path.open("rb"), as_attachment=True, filename=f"privacy-export-{privacy_request.pk}.zip"
        )
