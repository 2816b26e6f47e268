"""What every publishing page shares: the viewer's time zone, the permission decorator, and
small helpers for reading requests and showing a service's errors."""

from __future__ import annotations

from functools import wraps
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from cxm.tenancy.decorators import workspace_view
from cxm.web.errors import validation_message
from publishing import calendar_grid, selectors


def viewer_zone(request) -> ZoneInfo:
    return calendar_grid.user_zone(request.user)


def publishing_view(permission: str, *, write_permission: str | None = None):
    """`workspace_view`, with the viewer's time zone active while the page is built."""

    def decorator(view):
        @wraps(view)
        def in_viewer_zone(request, *args, **kwargs):
            with timezone.override(viewer_zone(request)):
                return view(request, *args, **kwargs)

        return workspace_view(permission, write_permission=write_permission)(in_viewer_zone)

    return decorator


def post_or_404(request, post_id: int):
    post = selectors.post_get(workspace=request.workspace, post_id=post_id)
    if post is None:
        raise Http404
    return post


def next_url(request, default: str) -> str:
    target = request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return default
    return target


def add_service_errors(form, error: ValidationError) -> None:
    """A service's ValidationError on the form: under the field it names, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, validation_message(error))
        return
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


def to_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
