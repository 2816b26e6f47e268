from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cxm.api.contract import ContractJSONParser
from cxm.api.errors import error_response
from cxm.api.permissions import IsAuthenticatedUser, resolve_workspace
from cxm.api.selectors import api_tokens_of
from cxm.api.services import api_token_issue, api_token_revoke, token_expires_at
from cxm.audit.services import audit_record
from cxm.tenancy import two_factor
from cxm.tenancy.login_throttle import login_attempt_claim, login_failure_record, login_success_clear
from cxm.tenancy.permissions import PERMISSIONS
from cxm.tenancy.selectors import memberships_for_user
from cxm.tenancy.services import user_default_workspace_set


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    # Required when the user has two-factor authentication: a TOTP code or a recovery code.
    code = serializers.CharField(required=False, allow_blank=True)


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    # Also a plain form post, as scripts and `curl -d` send a login.
    parser_classes = [ContractJSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=TokenRequestSerializer,
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["username"]
        lockout = login_attempt_claim(username=username, request=request)
        if lockout is not None:
            return _throttled(lockout, request=request, username=username)
        user = authenticate(request, username=username, password=serializer.validated_data["password"])
        if user is not None and user.is_active and two_factor.has_two_factor(user):
            code = serializer.validated_data.get("code") or ""
            if not code:
                login_success_clear(username=username)  # the password was right, as on the web
                raise serializers.ValidationError(
                    {"code": ["This account has two-factor authentication: send a code."]}
                )
            if not two_factor.two_factor_verify(user=user, code=code, request=request):
                user = None
        if user is None or not user.is_active:
            audit_record(
                workspace=None,
                actor=None,
                action="auth.login_failed",
                request=request,
                object_repr=username[:150],
            )
            lockout = login_failure_record(username=username, request=request)
            if lockout is not None:
                return _throttled(lockout, request=request, username=username)
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with those credentials."]}
            )
        login_success_clear(username=username)
        key = api_token_issue(user=user)
        audit_record(workspace=None, actor=user, action="api_token.issue", target=user, request=request)
        return Response({"token": key})


def _throttled(lockout, *, request, username: str) -> Response:
    audit_record(
        workspace=None, actor=None, action="auth.login_throttled", request=request, object_repr=username[:150]
    )
    response = error_response(
        lockout.message, code="throttled", status_code=status.HTTP_429_TOO_MANY_REQUESTS
    )
    response["Retry-After"] = str(lockout.retry_after)
    return response


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
    # Where a request acts: X-Workspace, else the default workspace, else the only one; null when
    # the user belongs to several, chose no default and sent no header.
    current_workspace = serializers.IntegerField(allow_null=True)
    default_workspace = serializers.IntegerField(allow_null=True)


class MeUpdateSerializer(serializers.Serializer):
    # The id of a workspace the user belongs to (else 400 naming this field), or null for none.
    default_workspace = serializers.IntegerField(
        allow_null=True, required=False, min_value=1, max_value=2**63 - 1
    )


class MeView(APIView):
    """The signed-in user, the workspaces they belong to and their role in each; PATCH chooses
    the default workspace, where calls without X-Workspace act."""

    permission_classes = [IsAuthenticatedUser]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(self._me(request))

    @extend_schema(request=MeUpdateSerializer, responses=MeSerializer)
    def patch(self, request):
        serializer = MeUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if "default_workspace" in serializer.validated_data:
            user_default_workspace_set(
                user=request.user,
                workspace_id=serializer.validated_data["default_workspace"],
                request=request,
            )
        return Response(self._me(request))

    @staticmethod
    def _me(request) -> dict:
        resolve_workspace(request, choice_required=False)
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
            "default_workspace": user.default_workspace_id,
        }
        return MeSerializer(data).data


class ApiTokenSerializer(serializers.Serializer):
    """A token as its owner sees it later: never its key."""

    id = serializers.IntegerField()
    prefix = serializers.CharField(help_text="The key's first 8 characters, to tell tokens apart.")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.SerializerMethodField()

    def get_expires_at(self, token) -> str | None:
        expires_at = token_expires_at(token)
        return serializers.DateTimeField().to_representation(expires_at) if expires_at else None


class TokenListView(APIView):
    """Your own API tokens, newest first (the keys themselves are never shown again)."""

    permission_classes = [IsAuthenticatedUser]

    @extend_schema(responses=ApiTokenSerializer(many=True))
    def get(self, request):
        return Response(ApiTokenSerializer(api_tokens_of(user=request.user), many=True).data)


class TokenDetailView(APIView):
    """Revoke one of your own API tokens; another user's token id answers 404."""

    permission_classes = [IsAuthenticatedUser]

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        token = api_tokens_of(user=request.user).filter(pk=pk).first() if pk < 2**63 else None
        if token is None:
            raise NotFound()
        api_token_revoke(token=token, by=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
