"""/api/v1/customers/: search and read profiles with their identities, merge, undo a merge, link an
identity by hand, read the timeline. Care agents work with customers; analysts may read them."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from cxm.api.viewsets import WorkspaceRelatedField, WorkspaceScopedViewSet
from cxm.customers import selectors, services
from cxm.customers.models import CustomerMerge, CustomerProfile, Identity


class IdentitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Identity
        fields = [
            "id",
            "platform",
            "platform_id",
            "handle",
            "name",
            "email",
            "phone",
            "verified",
            "created_at",
        ]


class MergeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerMerge
        fields = ["id", "source", "target", "identity_ids", "reason", "created_at", "undone_at"]


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerProfile
        fields = ["id", "display_name", "attributes", "merged_into", "created_at", "updated_at"]
        read_only_fields = ["merged_into", "created_at", "updated_at"]


class CustomerDetailSerializer(CustomerSerializer):
    identities = IdentitySerializer(many=True, read_only=True)
    merges = serializers.SerializerMethodField()

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "identities", "merges"]

    def get_merges(self, profile) -> list[dict]:
        merges = selectors.customer_merges(workspace=profile.workspace_id, profile_id=profile.pk)
        return MergeSerializer(merges, many=True).data


class MergeRequestSerializer(serializers.Serializer):
    source = WorkspaceRelatedField(model=CustomerProfile, help_text="The profile merged into this one.")


class UndoMergeRequestSerializer(serializers.Serializer):
    merge = WorkspaceRelatedField(
        model=CustomerMerge, required=False, help_text="Which merge; the latest one not undone if left out."
    )


class LinkRequestSerializer(serializers.Serializer):
    platform = serializers.CharField(max_length=32)
    platform_id = serializers.CharField(max_length=255)
    handle = serializers.CharField(max_length=255, required=False, default="")
    name = serializers.CharField(max_length=255, required=False, default="")
    email = serializers.CharField(max_length=254, required=False, default="")
    phone = serializers.CharField(
        max_length=40,
        required=False,
        default="",
        help_text="With its country code, e.g. `+62 812-3456-7890`; stored as E.164 (`+6281234567890`). "
        "A number starting with 0 is refused: the country cannot be guessed.",
    )
    verified = serializers.BooleanField(required=False, default=False)


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    source = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField()
    url = serializers.CharField()
    ref = serializers.DictField()


class CustomerViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, WorkspaceScopedViewSet
):
    """Customer profiles of the workspace. `?q=` searches names, handles, emails, phone numbers and
    platform ids."""

    queryset = CustomerProfile.objects.all()
    read_permission = "care.view"
    write_permission = "care.work"

    def scoped_queryset(self, workspace):
        if self.action == "list":
            return selectors.customers_search(workspace=workspace, q=self.request.query_params.get("q", ""))
        # A merged profile still answers by its id (with `merged_into`), so old links keep working.
        return selectors.customers_search(workspace=workspace, include_merged=True).prefetch_related(
            "identities"
        )

    def get_serializer_class(self):
        return CustomerSerializer if self.action == "list" else CustomerDetailSerializer

    @extend_schema(parameters=[OpenApiParameter("q", str, description="Search text")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_update(self, serializer):
        serializer.instance = services.customer_update(
            profile=serializer.instance, by=self.request.user, **serializer.validated_data
        )

    @extend_schema(request=MergeRequestSerializer, responses=MergeSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge another profile (`source`) into this one: its identities move here."""
        target = self.get_object()
        data = MergeRequestSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        merge = services.customer_merge(
            workspace=request.workspace,
            source=data.validated_data["source"],
            target=target,
            by=request.user,
            request=request,
        )
        return Response(MergeSerializer(merge).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UndoMergeRequestSerializer, responses=MergeSerializer)
    @action(detail=True, methods=["post"], url_path="undo-merge")
    def undo_merge(self, request, pk=None):
        """Undo a merge into this profile: the identities it moved go back where they came from."""
        target = self.get_object()
        data = UndoMergeRequestSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        merge = data.validated_data.get("merge")
        if merge is None:
            merge = (
                selectors.customer_merges(workspace=request.workspace, profile_id=target.pk)
                .filter(undone_at__isnull=True)
                .first()
            )
        if merge is None or merge.target_id != target.pk:
            raise serializers.ValidationError({"merge": ["No merge into this customer to undo."]})
        merge = services.customer_merge_undo(merge=merge, by=request.user, request=request)
        return Response(MergeSerializer(merge).data)

    @extend_schema(request=LinkRequestSerializer, responses=IdentitySerializer)
    @action(detail=True, methods=["post"])
    def link(self, request, pk=None):
        """Link an identity to this profile by hand (moving it from another profile if need be)."""
        profile = self.get_object()
        data = LinkRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        identity = services.identity_link(
            workspace=request.workspace,
            profile=profile,
            by=request.user,
            request=request,
            **data.validated_data,
        )
        return Response(IdentitySerializer(identity).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "before",
                OpenApiTypes.DATETIME,
                description="Entries older than this moment (the last entry's `at` reads on); "
                "up to 50 entries, newest first.",
            )
        ],
        responses=TimelineEntrySerializer(many=True),
    )
    # One plain list, read on with `before`: not a cursor page.
    @action(detail=True, methods=["get"], pagination_class=None)
    def timeline(self, request, pk=None):
        """Cases, messages and CSAT answers of this customer (and of profiles merged into it)."""
        profile = self.get_object()
        raw_before = request.query_params.get("before")
        try:
            before = serializers.DateTimeField().to_internal_value(raw_before) if raw_before else None
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"before": exc.detail}) from None
        entries = selectors.customer_timeline(
            workspace=request.workspace, profile_id=profile.pk, before=before
        )
        return Response(TimelineEntrySerializer(entries, many=True).data)
