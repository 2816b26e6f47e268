"""Every API request is resolved to one workspace membership, then checked against the role table."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions, status

from cxm.tenancy import two_factor
from cxm.tenancy.permissions import has_permission
from cxm.tenancy.selectors import membership_resolve, memberships_for_user

WORKSPACE_HEADER = "HTTP_X_WORKSPACE"


class TwoFactorRequired(exceptions.PermissionDenied):
    default_code = "two_factor_required"


def _refuse_without_two_factor(request, membership) -> None:
    """The API side of the workspace's "two-factor for admins": the pages send such an admin to
    enrolment, a client gets a 403 that says where to go."""
    if two_factor.two_factor_required(membership):
        raise TwoFactorRequired(
            _(
                "Two-factor authentication is required for admins of this workspace. "
                "Enrol at %(url)s, then try again."
            )
            % {"url": reverse("two-factor-setup")}
        )
    # A token stands on its own (the token endpoint asks anyone with two-factor for a code); a
    # session must itself have passed the code step.
    authenticator = getattr(request, "successful_authenticator", None)
    by_session = isinstance(authenticator, authentication.SessionAuthentication)
    if by_session and two_factor.second_factor_missing(membership, session=request.session):
        raise TwoFactorRequired(
            _(
                "Two-factor authentication is required for admins of this workspace, and this "
                "sign-in did not use it. Sign out, then sign in again at %(url)s with your code."
            )
            % {"url": reverse("login")}
        )


def _refuse_pending_sign_in(request) -> None:
    """A browser that gave the password but not yet the code is told to finish signing in."""
    if two_factor.session_sign_in_pending(getattr(request, "session", None)):
        raise TwoFactorRequired(
            _("Sign-in is not complete: enter your two-factor code at %(url)s.")
            % {"url": reverse("two-factor-verify")}
        )


class WorkspaceRequired(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "workspace_required"


def resolve_workspace(request, *, choice_required: bool = True) -> None:
    """Attach the membership the request acts in: the `X-Workspace` header's, else the browser
    session's, else the user's default workspace, else their only one. Someone in several
    workspaces with no default gets a 400 asking for the header (unless `choice_required` is
    off, as for /me/, which they read to learn their workspaces)."""
    if getattr(request, "_cxm_resolved", False):
        return
    asked = request.META.get(WORKSPACE_HEADER)
    if not asked:
        session = getattr(request, "session", None)
        asked = session.get("workspace_id") if session is not None else None
    membership = membership_resolve(user=request.user, workspace_id=asked)
    if membership is None and request.META.get(WORKSPACE_HEADER):
        # Asking for a workspace one does not belong to reads as "no such workspace".
        raise exceptions.NotFound("No such workspace.")
    if membership is None and choice_required and memberships_for_user(user=request.user).exists():
        raise WorkspaceRequired(
            _(
                "You belong to several workspaces and have chosen no default: send the header "
                "X-Workspace: <workspace id>, or set default_workspace with PATCH /api/v1/me/."
            )
        )
    if membership is not None:
        _refuse_without_two_factor(request, membership)
    request.membership = membership
    request.workspace = membership.workspace if membership else None
    request._cxm_resolved = True


class IsWorkspaceMember(permissions.BasePermission):
    """Authenticated, a member of the request's workspace, and holding the view's permission.

    Views name what they need with `read_permission` (safe methods) and `write_permission`
    (everything else), or `permission_by_action` for viewset actions.
    """

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            _refuse_pending_sign_in(request)
            raise exceptions.NotAuthenticated()
        resolve_workspace(request)
        if request.membership is None:
            raise exceptions.PermissionDenied("You are not a member of any workspace.")
        needed = self.required(request, view)
        return needed is None or has_permission(request.membership, needed)

    @staticmethod
    def required(request, view) -> str | None:
        by_action = getattr(view, "permission_by_action", {})
        action = getattr(view, "action", None)
        if action in by_action:
            return by_action[action]
        if request.method in permissions.SAFE_METHODS:
            return getattr(view, "read_permission", "workspace.view")
        return getattr(view, "write_permission", "workspace.manage")


class IsAuthenticatedUser(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            _refuse_pending_sign_in(request)
            raise exceptions.NotAuthenticated()
        return True
