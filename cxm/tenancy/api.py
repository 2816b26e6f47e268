from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cxm.api.permissions import IsWorkspaceMember
from cxm.api.viewsets import WorkspaceCrudViewSet, WorkspaceRelatedField, WorkspaceScopedViewSet
from cxm.tenancy import selectors, services
from cxm.tenancy.models import Brand, BusinessUnit, Membership, Role, User, Workspace


class WorkspaceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Workspace
        fields = ["id", "name", "slug", "created_at"]


class WorkspaceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """The workspaces the user belongs to."""

    serializer_class = WorkspaceSerializer
    queryset = Workspace.objects.all()
    pagination_class = None

    def get_queryset(self):
        user = self.request.user
        if not getattr(user, "is_authenticated", False):
            return Workspace.objects.none()
        return Workspace.objects.filter(
            pk__in=selectors.memberships_for_user(user=user).values("workspace_id")
        )


class BusinessUnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessUnit
        fields = ["id", "name", "created_at"]


class BusinessUnitViewSet(WorkspaceCrudViewSet):
    serializer_class = BusinessUnitSerializer
    queryset = BusinessUnit.objects.all()

    def scoped_queryset(self, workspace):
        return selectors.business_units(workspace=workspace)

    def perform_create(self, serializer):
        serializer.instance = services.business_unit_create(
            workspace=self.request.workspace,
            by=self.request.user,
            request=self.request,
            **serializer.validated_data,
        )

    def perform_update(self, serializer):
        serializer.instance = services.business_unit_update(
            unit=serializer.instance,
            by=self.request.user,
            request=self.request,
            name=serializer.validated_data.get("name", serializer.instance.name),
        )

    def perform_destroy(self, instance):
        services.business_unit_delete(unit=instance, by=self.request.user, request=self.request)


class BrandSerializer(serializers.ModelSerializer):
    business_unit = WorkspaceRelatedField(model=BusinessUnit, allow_null=True, required=False)

    class Meta:
        model = Brand
        fields = ["id", "name", "business_unit", "is_competitor", "created_at"]


class BrandFilter(filters.FilterSet):
    # By id: an unknown unit filters to nothing rather than failing as an invalid choice.
    business_unit = filters.NumberFilter()

    class Meta:
        model = Brand
        fields = ["business_unit", "is_competitor"]


class BrandViewSet(WorkspaceCrudViewSet):
    serializer_class = BrandSerializer
    queryset = Brand.objects.all()
    filterset_class = BrandFilter

    def scoped_queryset(self, workspace):
        return selectors.brands(workspace=workspace)

    def perform_create(self, serializer):
        serializer.instance = services.brand_create(
            workspace=self.request.workspace,
            by=self.request.user,
            request=self.request,
            **serializer.validated_data,
        )

    def perform_update(self, serializer):
        serializer.instance = services.brand_update(
            brand=serializer.instance, by=self.request.user, request=self.request, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.brand_delete(brand=instance, by=self.request.user, request=self.request)


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    user = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), write_only=True, required=False
    )
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ["id", "user", "username", "email", "role", "created_at"]


class MemberCreateSerializer(MemberSerializer):
    user = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), write_only=True
    )


class MemberViewSet(WorkspaceCrudViewSet):
    """Who belongs to the workspace and with which role. Admins add, change and remove members."""

    serializer_class = MemberSerializer
    queryset = Membership.objects.all()
    read_permission = "workspace.view"
    write_permission = "workspace.manage"

    def scoped_queryset(self, workspace):
        return selectors.workspace_members(workspace=workspace)

    def get_serializer_class(self):
        # Adding a member names the user; changing one changes only the role.
        return MemberCreateSerializer if self.action == "create" else MemberSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if "user" not in serializer.validated_data:
            raise serializers.ValidationError({"user": ["This field is required."]})
        membership = services.membership_add(
            workspace=request.workspace,
            user=serializer.validated_data["user"],
            role=serializer.validated_data["role"],
            by=request.user,
            request=request,
        )
        return Response(self.get_serializer(membership).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = services.membership_change_role(
            membership=serializer.instance,
            role=serializer.validated_data.get("role", serializer.instance.role),
            by=self.request.user,
            request=self.request,
        )

    def perform_destroy(self, instance):
        services.membership_remove(membership=instance, by=self.request.user, request=self.request)


class WorkspaceSettingsSerializer(serializers.Serializer):
    """The workspace's security settings; a PATCH names only those it changes."""

    require_two_factor_for_admins = serializers.BooleanField(required=False)
    allow_private_webhook_targets = serializers.BooleanField(required=False)
    allow_admin_self_approval = serializers.BooleanField(required=False)


class WorkspaceSettingsView(APIView):
    """The current workspace's security settings (the API twin of Admin → Security); admins only.
    Every change is audited as `workspace.security` with the values before and after."""

    permission_classes = [IsWorkspaceMember]
    read_permission = "workspace.manage"
    write_permission = "workspace.manage"

    @staticmethod
    def _current(workspace: Workspace) -> dict:
        return {name: getattr(workspace, name) for name in services.SECURITY_SETTINGS}

    @extend_schema(responses=WorkspaceSettingsSerializer)
    def get(self, request):
        return Response(WorkspaceSettingsSerializer(self._current(request.workspace)).data)

    @extend_schema(request=WorkspaceSettingsSerializer, responses=WorkspaceSettingsSerializer)
    def patch(self, request):
        changes = WorkspaceSettingsSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        workspace = services.workspace_security_update(
            workspace=request.workspace, by=request.user, request=request, **changes.validated_data
        )
        return Response(WorkspaceSettingsSerializer(self._current(workspace)).data)
