"""The calendar (the publishing index): month and week views, filters, and dragging a post
to another day or hour."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cxm.tenancy import selectors as tenancy_selectors
from cxm.tenancy.permissions import has_permission
from cxm.web.errors import validation_message
from publishing import calendar_grid, selectors, services
from publishing.models import PostStatus
from publishing.views.common import post_or_404, publishing_view, to_int, viewer_zone

CALENDAR_FILTERS = ("business_unit", "brand", "account", "campaign", "status")


def _calendar_filters(params) -> selectors.PostFilters:
    status = params.get("status", "")
    return selectors.PostFilters(
        business_unit=to_int(params.get("business_unit")),
        brand=to_int(params.get("brand")),
        account=to_int(params.get("account")),
        campaign=to_int(params.get("campaign")),
        status=status if status in {*PostStatus.values, "held"} else "",
    )


def _calendar_context(request, params, *, error: str = "") -> dict:
    workspace = request.workspace
    zone = viewer_zone(request)
    today = timezone.localdate(timezone=zone)
    window = calendar_grid.window_for(
        view=params.get("view"), anchor=params.get("date"), zone=zone, today=today
    )
    filters = _calendar_filters(params)
    posts = selectors.calendar_posts(workspace=workspace, start=window.start, end=window.end, filters=filters)
    kept = {key: params[key] for key in CALENDAR_FILTERS if params.get(key)}

    def page(view: str, day: date) -> str:
        query = QueryDict(mutable=True)
        query.update({"view": view, "date": day.isoformat(), **kept})
        return query.urlencode()

    context = {
        "window": window,
        "today": today,
        "posts": posts,
        "filters": filters,
        "filtered": bool(kept),
        "state_query": page(window.view, window.anchor),
        "pages": {
            "previous": page(window.view, window.previous),
            "today": page(window.view, today),
            "next": page(window.view, window.next),
            "month": page(calendar_grid.MONTH, window.anchor),
            "week": page(calendar_grid.WEEK, window.anchor),
        },
        "error": error,
        "business_units": tenancy_selectors.business_units(workspace=workspace),
        "brands": tenancy_selectors.brands(workspace=workspace),
        "accounts": selectors.publishable_accounts(workspace=workspace),
        "campaigns": selectors.campaigns(workspace=workspace),
        "statuses": [*PostStatus.choices, ("held", _("Held by a pause"))],
        "can_move": has_permission(request.membership, "publishing.compose"),
    }
    if window.view == calendar_grid.WEEK:
        context["rows"] = calendar_grid.week_rows(window, posts)
    else:
        context["weeks"] = calendar_grid.month_weeks(window, posts, today=today)
    return context


@publishing_view("publishing.view")
def calendar(request):
    context = _calendar_context(request, request.GET)
    if request.htmx and request.htmx.target == "calendar":
        return render(request, "publishing/_calendar.html", context)
    return render(request, "publishing/calendar.html", context)


@require_POST
@publishing_view("publishing.compose")
def post_move(request, post_id: int):
    """A card dropped on a day (keeps its time of day) or on a day and hour of the week view."""
    post = post_or_404(request, post_id)
    error = ""
    try:
        day = date.fromisoformat(request.POST.get("date", ""))
        hour = to_int(request.POST.get("hour"))
        if hour is not None and not 0 <= hour <= 23:
            raise ValueError(hour)
    except ValueError:
        error = _("Drop the post on a day of the calendar.")
    else:
        at = calendar_grid.moved_time(
            current=post.scheduled_at, day=day, hour=hour, zone=viewer_zone(request)
        )
        try:
            services.post_reschedule(post=post, at=at, by=request.user, request=request)
        except ValidationError as exc:
            error = validation_message(exc)
    if request.htmx:
        return render(
            request, "publishing/_calendar.html", _calendar_context(request, request.GET, error=error)
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Post moved."))
    return redirect(f"{reverse('publishing:index')}?{request.GET.urlencode()}")
