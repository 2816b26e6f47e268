"""Pausing and resuming publishing, pause windows, and deciding about the posts held meanwhile."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from publishing import selectors, services
from publishing.forms import HeldDecisionForm, PauseWindowForm
from publishing.models import PauseScope
from publishing.views.common import add_service_errors, next_url, publishing_view


@require_POST
@publishing_view("publishing.pause")
def pause(request):
    """The header's button: pause everything now. Returns once nothing more can go out."""
    services.pause_activate(
        workspace=request.workspace,
        scope=PauseScope.GLOBAL,
        reason=request.POST.get("reason", ""),
        stop_running_ads=request.POST.get("stop_running_ads") == "1",
        by=request.user,
        request=request,
    )
    messages.success(request, _("Publishing is paused. Nothing goes out until you resume."))
    return redirect(next_url(request, reverse("publishing:pauses")))


@require_POST
@publishing_view("publishing.pause")
def resume(request, pause_id: int | None = None):
    """Lift one pause (or, without an id, every pause); held posts wait for a decision."""
    pause = None
    if pause_id is not None:
        pause = selectors.pause_get(workspace=request.workspace, pause_id=pause_id)
        if pause is None:
            raise Http404
    services.pause_resume(workspace=request.workspace, pause=pause, by=request.user, request=request)
    held = selectors.held_targets(workspace=request.workspace).count()
    if held:
        messages.success(
            request, _("Resumed. %(count)s held posts wait for your decision under Held.") % {"count": held}
        )
    else:
        messages.success(request, _("Resumed."))
    return redirect(next_url(request, reverse("publishing:pauses")))


def _held_context(request, form=None, *, done: str = "") -> dict:
    return {
        "held": selectors.held_targets(workspace=request.workspace),
        "decision_form": form or HeldDecisionForm(),
        "done": done,
    }


@publishing_view("publishing.view", write_permission="publishing.pause")
def pauses(request):
    workspace = request.workspace
    form = PauseWindowForm(request.POST or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.pause_activate(
                workspace=workspace,
                scope=data["scope"],
                target_id=form.target_id(),
                reason=data["reason"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                stop_running_ads=data["stop_running_ads"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Pause saved."))
            return redirect("publishing:pauses")
    context = {
        "form": form,
        "active": selectors.pauses_active(workspace=workspace),
        "upcoming": selectors.pauses_upcoming(workspace=workspace),
        "history": selectors.pauses_history(workspace=workspace),
        **_held_context(request),
    }
    return render(request, "publishing/pauses.html", context)


@publishing_view("publishing.view")
def held(request):
    return render(request, "publishing/held.html", _held_context(request))


@require_POST
@publishing_view("publishing.pause")
def held_decide(request):
    """Publish now, move or cancel the ticked held posts."""
    held_ids = list(selectors.held_targets(workspace=request.workspace).values_list("pk", flat=True))
    form = HeldDecisionForm(request.POST, target_ids=held_ids)
    done = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            count = services.held_targets_decide(
                workspace=request.workspace,
                target_ids=data["targets"],
                decision=data["decision"],
                at=data["at"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            done = {
                "publish_now": _("%(count)s held posts are being published now."),
                "reschedule": _("%(count)s held posts rescheduled."),
                "cancel": _("%(count)s held posts cancelled."),
            }[data["decision"]] % {"count": count}
            form = None
    if request.htmx:
        return render(request, "publishing/_held_list.html", _held_context(request, form, done=done))
    if done:
        messages.success(request, done)
    elif form is not None:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(next_url(request, reverse("publishing:held")))
