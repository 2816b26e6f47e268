"""Every API request is resolved to one workspace membership, then checked against the role table."""

from __future__ import annotations

from rest_framework import exceptions, permissions

from cxm.tenancy.permissions import has_permission
from cxm.tenancy.selectors import membership_resolve

WORKSPACE_HEADER = "HTTP_X_WORKSPACE"


def resolve_workspace(request) -> None:
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
            raise exceptions.NotAuthenticated()
        return True
