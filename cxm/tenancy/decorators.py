from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse

from cxm.tenancy.permissions import has_permission
from cxm.tenancy.two_factor import two_factor_required

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def workspace_view(permission: str, *, write_permission: str | None = None):
    """Login, a membership in the current workspace and `permission` are required to see the view.

    A page that also takes a form (GET shows it, POST acts) names what acting needs in
    `write_permission`, so the requirement stays on the decorator rather than inside the view.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = request.membership
            if not membership:
                return render(request, "web/no_workspace.html", status=403)
            if two_factor_required(membership):
                # The workspace asks its admins for two-factor: enrol first, then come back.
                return redirect_to_login(request.get_full_path(), login_url=reverse("two-factor-setup"))
            needed = permission
            if write_permission is not None and request.method not in SAFE_METHODS:
                needed = write_permission
            if not has_permission(membership, needed):
                raise PermissionDenied(needed)
            return view(request, *args, **kwargs)

        wrapper.required_permission = permission
        wrapper.write_permission = write_permission
        return wrapper

    return decorator
