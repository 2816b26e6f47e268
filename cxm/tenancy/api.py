from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from cxm.api.permissions import IsAuthenticatedUser, IsWorkspaceMember
from cxm.api.viewsets import WorkspaceCrudViewSet, WorkspaceRelatedField, WorkspaceScopedViewSet
from cxm.tenancy import invitations, selectors, services
from cxm.tenancy.models import Brand, BusinessUnit, Invitation, Membership, Role, Workspace


class WorkspaceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Workspace
        fields = ["id", "name", "slug", "created_at"]


class WorkspaceCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    slug = serializers.SlugField(max_length=50, required=False, allow_blank=True)
    # The workspace's first admin is invited at this address; without one, the platform owner
    # who creates it becomes its admin.
    admin_email = serializers.EmailField(required=False, allow_blank=True)
    admin_name = serializers.CharField(max_length=150, required=False, allow_blank=True)


class IsPlatformOwner(IsAuthenticatedUser):
    message = "Only a platform owner (superuser) can create workspaces."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request.user.is_superuser


class WorkspaceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """The workspaces the user belongs to. A platform owner (superuser) creates workspaces."""

    serializer_class = WorkspaceSerializer
    queryset = Workspace.objects.all()
    pagination_class = None

    def get_permissions(self):
        if self.action == "create":
            return [IsPlatformOwner()]
        return super().get_permissions()

    def get_queryset(self):
        user = self.request.user
        if not getattr(user, "is_authenticated", False):
            return Workspace.objects.none()
        return Workspace.objects.filter(
            pk__in=selectors.memberships_for_user(user=user).values("workspace_id")
        )

    @extend_schema(request=WorkspaceCreateSerializer, responses={201: WorkspaceSerializer})
    def create(self, request):
        serializer = WorkspaceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        workspace = invitations.workspace_provision(
            name=data["name"],
            slug=data.get("slug", ""),
            admin_email=data.get("admin_email", ""),
            admin_name=data.get("admin_name", ""),
            by=request.user,
            request=request,
        )
        return Response(WorkspaceSerializer(workspace).data, status=status.HTTP_201_CREATED)


class BusinessUnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessUnit
        fields = ["id", "name", "created_at"]


class BusinessUnitViewSet(WorkspaceCrudViewSet):
    serializer_class = BusinessUnitSerializer
    duplicate_actions = ("create",)  # a name taken at the same moment answers 409
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
    duplicate_actions = ("create",)  # a name taken at the same moment answers 409
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
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ["id", "username", "email", "role", "created_at"]


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationSerializer(serializers.ModelSerializer):
    """A pending membership: the person becomes a member when they accept the e-mailed link."""

    role = serializers.ChoiceField(choices=Role.choices)
    status = serializers.ChoiceField(choices=Invitation.Status.choices, read_only=True)
    invited_by = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "name",
            "role",
            "status",
            "invited_by",
            "created_at",
            "sent_at",
            "expires_at",
        ]

    def get_invited_by(self, invitation) -> str | None:
        return invitation.invited_by.get_username() if invitation.invited_by else None


class MemberViewSet(WorkspaceCrudViewSet):
    """Who belongs to the workspace and with which role. Admins invite people (they join when
    they accept), change roles and remove members."""

    serializer_class = MemberSerializer
    queryset = Membership.objects.all()
    read_permission = "workspace.view"
    write_permission = "workspace.manage"

    def scoped_queryset(self, workspace):
        return selectors.workspace_members(workspace=workspace)

    @extend_schema(request=InvitationCreateSerializer, responses={201: InvitationSerializer})
    def create(self, request, *args, **kwargs):
        """Invite a person by e-mail. The answer is the pending membership, the same whether the
        address has an account somewhere or not; nobody joins until they accept the link."""
        serializer = InvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = invitations.invitation_create(
            workspace=request.workspace, by=request.user, request=request, **serializer.validated_data
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

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


class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """The workspace's pending invitations (admins): list, re-send (a new link, the old one stops
    working) and revoke (DELETE)."""

    serializer_class = InvitationSerializer
    queryset = Invitation.objects.all()
    read_permission = "workspace.manage"
    write_permission = "workspace.manage"

    def scoped_queryset(self, workspace):
        return selectors.invitations_pending(workspace=workspace)

    @extend_schema(request=None, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        invitation = invitations.invitation_resend(
            invitation=self.get_object(), by=request.user, request=request
        )
        return Response(InvitationSerializer(invitation).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        invitations.invitation_revoke(invitation=self.get_object(), by=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
