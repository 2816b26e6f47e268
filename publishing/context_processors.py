"""What every page needs from publishing: the pause button and banner in the shell, and the
sub-navigation's counts. All lazy, so a page (or htmx partial) that shows none of it costs
no query."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from cxm.tenancy.permissions import has_permission
from publishing import selectors
from publishing.calendar_grid import user_zone
from publishing.models import PauseScope


def _membership(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    membership = getattr(request, "membership", None)
    return membership if membership and has_permission(membership, "publishing.view") else None


def _pause_state(request) -> dict:
    membership = _membership(request)
    if membership is None:
        return {}
    active = selectors.pauses_active(workspace=membership.workspace)
    return {
        "active": active,
        "everything_paused": any(pause.scope == PauseScope.GLOBAL for pause in active),
        "can_pause": has_permission(membership, "publishing.pause"),
        "time_zone": user_zone(request.user),
    }


def _counts(request) -> dict:
    membership = _membership(request)
    if membership is None:
        return {}
    counts = selectors.post_counts(workspace=membership.workspace)
    return {"review": counts["in_review"], "held": counts["held"]}


def _can(request) -> dict:
    membership = _membership(request)
    return {
        action: membership is not None and has_permission(membership, permission)
        for action, permission in {
            "compose": "publishing.compose",
            "approve": "publishing.approve",
            "pause": "publishing.pause",
            "manage": "workspace.manage",
        }.items()
    }


def publishing(request) -> dict:
    if getattr(request, "user", None) is None or not request.user.is_authenticated:
        return {}
    return {
        "publishing_pause": SimpleLazyObject(lambda: _pause_state(request)),
        "publishing_counts": SimpleLazyObject(lambda: _counts(request)),
        "publishing_can": SimpleLazyObject(lambda: _can(request)),
    }
