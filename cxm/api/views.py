from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cxm.api.permissions import IsAuthenticatedUser, resolve_workspace
from cxm.api.services import api_token_issue
from cxm.audit.services import audit_record
from cxm.tenancy.permissions import PERMISSIONS
from cxm.tenancy.selectors import memberships_for_user


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with those credentials."]}
            )
        key = api_token_issue(user=user)
        audit_record(workspace=None, actor=user, action="api_token.issue", target=user, request=request)
        return Response({"token": key})


class MembershipSerializer(serializers.Serializer):
    workspace = serializers.SerializerMethodField()
    role = serializers.CharField()
    permissions = serializers.SerializerMethodField()

    def get_workspace(self, membership) -> dict:
        return {
            "id": membership.workspace_id,
            "name": membership.workspace.name,
            "slug": membership.workspace.slug,
        }

    def get_permissions(self, membership) -> list[str]:
        return sorted(name for name, roles in PERMISSIONS.items() if membership.role in roles)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    time_zone = serializers.CharField()
    memberships = MembershipSerializer(many=True)
    current_workspace = serializers.IntegerField(allow_null=True)


class MeView(APIView):
    """The signed-in user, the workspaces they belong to and their role in each."""

    permission_classes = [IsAuthenticatedUser]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        resolve_workspace(request)
        user = request.user
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "time_zone": user.time_zone,
            "memberships": list(memberships_for_user(user=user)),
            "current_workspace": request.workspace.pk if request.workspace else None,
        }
        return Response(MeSerializer(data).data)
