"""The unified inbox: views with counts, the case list (keyset pages, live refresh), bulk actions,
and the agent's presence switch."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from care import selectors, services
from care.forms import BulkForm, InboxFilterForm
from care.models import Presence
from care.views.common import can_work, channel_of, safe_next, workspace_context
from cxm.tenancy.decorators import workspace_view
from cxm.web.errors import validation_message

PAGE_SIZE = 50


def _encode(params: dict) -> str:
    query = QueryDict(mutable=True)
    query.update(params)
    return query.urlencode()


def _filter_form(request) -> InboxFilterForm:
    # Agents start on their own cases; analysts and admins without cases on everything open.
    profile = selectors.agent_profile(workspace=request.workspace, user=request.user)
    return InboxFilterForm(request.GET, default_view="mine" if profile is not None else "all")


def _rows_context(request, form: InboxFilterForm) -> dict:
    page = selectors.inbox_page(
        workspace=request.workspace,
        user=request.user,
        filters=form.filters(),
        cursor=request.GET.get("cursor") or None,
        size=PAGE_SIZE,
    )
    rows = selectors.inbox_rows(workspace=request.workspace, cases=page.items)
    for row in rows:
        row.channel = channel_of(row.case.platform, row.case.channel_kind)
    params = form.params()
    return {
        "rows": rows,
        "params": params,
        "query": _encode(params),
        "more_query": _encode({**params, "cursor": page.next_cursor}) if page.next_cursor else "",
        "complete": page.next_cursor is None,
        "can_work": can_work(request),
    }


GROUPS = (
    ("queues", "queue", _("Queues")),
    ("business_units", "business_unit", _("Business units")),
    ("languages", "language", _("Languages")),
    ("channels", "platform", _("Channels")),
    ("priorities", "priority", _("Priorities")),
)


def _views_context(request, form: InboxFilterForm) -> dict:
    params = form.params()
    sidebar = selectors.inbox_sidebar(workspace=request.workspace, user=request.user)
    active_key = next(
        (f"{param}:{params[param]}" for _key, param, _title in GROUPS if param in params), params["view"]
    )
    return {
        "sidebar": sidebar,
        "groups": [(title, sidebar[key]) for key, _param, title in GROUPS],
        "active_key": active_key,
        "query": _encode(params),
    }


@workspace_view("care.view")
def index(request):
    form = _filter_form(request)
    context = {**_rows_context(request, form), **_views_context(request, form)}
    if request.htmx and request.htmx.target == "case-list":
        return render(request, "care/_case_list.html", context)
    return render(
        request,
        "care/inbox.html",
        {
            **workspace_context(request),
            **context,
            "form": form,
            "section": "inbox",
            "assignees": selectors.assignees(workspace=request.workspace) if context["can_work"] else [],
        },
    )


@workspace_view("care.view")
def rows(request):
    """The newest page of a view (polled for the live refresh), or the next page (`cursor`)."""
    form = _filter_form(request)
    context = _rows_context(request, form)
    if request.GET.get("cursor"):
        return render(request, "care/_case_more.html", context)
    return render(request, "care/_case_poll.html", context)


@workspace_view("care.view")
def views_sidebar(request):
    return render(request, "care/_views.html", _views_context(request, _filter_form(request)))


@require_POST
@workspace_view("care.work")
def bulk(request):
    form = BulkForm(request.POST, workspace=request.workspace, user=request.user)
    result, error = None, ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = services.cases_bulk_apply(
                workspace=request.workspace,
                case_ids=data["case"],
                action=data["action"],
                by=request.user,
                assignee=data.get("assignee_user"),
                tag=data.get("tag", ""),
            )
        except ValidationError as exc:
            error = validation_message(exc)
    else:
        error = " ".join(message for messages_ in form.errors.values() for message in messages_)
    summary = _bulk_summary(form.data.get("action", ""), result) if result else ""
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, summary)
        return redirect(safe_next(request, reverse("care:index")))
    response = render(
        request, "care/_bulk_result.html", {"error": error, "summary": summary, "result": result}
    )
    response["HX-Trigger"] = "care-refresh"
    return response


def _bulk_summary(action: str, result: services.BulkResult) -> str:
    count = len(result.done)
    text = {
        "assign": ngettext("%(count)d case assigned.", "%(count)d cases assigned.", count),
        "tag": ngettext("%(count)d case tagged.", "%(count)d cases tagged.", count),
        "resolve": ngettext("%(count)d case resolved.", "%(count)d cases resolved.", count),
    }.get(action, "%(count)d")
    return text % {"count": count}


@require_POST
@workspace_view("care.work")
def presence(request):
    value = request.POST.get("presence", "")
    error = ""
    try:
        services.agent_presence_set(
            workspace=request.workspace, user=request.user, presence=value, create=True
        )
    except ValidationError as exc:
        error = validation_message(exc)
    profile = selectors.agent_profile(workspace=request.workspace, user=request.user)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(safe_next(request, reverse("care:index")))
    return render(
        request,
        "care/_presence.html",
        {"agent": profile, "presences": Presence.choices, "presence_error": error, "can_work": True},
    )
