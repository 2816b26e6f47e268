from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from cxm.tenancy.selectors import membership_first_joined, membership_resolve

SESSION_KEY = "workspace_id"


def _membership(request):
    membership = membership_resolve(user=request.user, workspace_id=request.session.get(SESSION_KEY))
    if membership is None and request.session.get(SESSION_KEY):
        # The remembered workspace is gone (membership removed): fall back to another one.
        request.session.pop(SESSION_KEY, None)
        membership = membership_resolve(user=request.user, workspace_id=None)
    if membership is None and getattr(request.user, "is_authenticated", False):
        membership = membership_first_joined(user=request.user)
    return membership


class WorkspaceMiddleware:
    """Attach the user's current membership and workspace to every web request.

    The API resolves its own (token users have no session), see cxm.api.permissions.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: _membership(request))
        request.workspace = SimpleLazyObject(
            lambda: request.membership.workspace if request.membership else None
        )
        return self.get_response(request)
