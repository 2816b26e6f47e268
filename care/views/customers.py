"""Customers as care sees them: search, a profile with its identities across channels, attributes,
timeline and cases; merging another profile in and undoing a merge."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from care import selectors
from care.forms import IdentityLinkForm, MergeForm
from care.views.common import can_work, safe_next, workspace_context
from cxm.customers import selectors as customer_selectors
from cxm.customers import services as customer_services
from cxm.tenancy.decorators import workspace_view
from cxm.web.errors import validation_message

LIST_SIZE = 50
TIMELINE_SIZE = 15


def _profile_or_404(request, profile_id: int):
    profile = customer_selectors.customer_get(workspace=request.workspace, profile_id=profile_id)
    if profile is None:
        raise Http404
    return profile


def _panel_context(
    request,
    profile,
    *,
    case_id: int | None = None,
    error: str = "",
    link_form: IdentityLinkForm | None = None,
) -> dict:
    workspace = request.workspace
    merged_into = None
    if profile.merged_into_id is not None:
        # A profile merged away lives on in the one it went into: show that one.
        merged_into = profile
        while profile.merged_into_id is not None:
            profile = _profile_or_404(request, profile.merged_into_id)
    family = customer_selectors.customer_profile_ids(workspace_id=workspace.pk, profile_id=profile.pk)
    identities = list(customer_selectors.customer_identities(workspace=workspace, profile_id=profile.pk))
    return {
        "profile": profile,
        "merged_from": merged_into,
        "identities": identities,
        "link_form": link_form or IdentityLinkForm(identities=identities),
        "timeline": customer_selectors.customer_timeline(
            workspace=workspace, profile_id=profile.pk, limit=TIMELINE_SIZE
        ),
        "merges": customer_selectors.customer_merges(workspace=workspace, profile_id=profile.pk)[:10],
        "cases": selectors.customer_cases(workspace=workspace, profile_ids=family, limit=10),
        "case_id": case_id,
        "merge_error": error,
        "can_work": can_work(request),
    }


def _case_id(request) -> int | None:
    try:
        return int(request.GET.get("case") or request.POST.get("case") or 0) or None
    except ValueError:
        return None


@workspace_view("care.view")
def index(request):
    q = request.GET.get("q", "").strip()[:200]
    profiles = customer_selectors.customers_search(workspace=request.workspace, q=q)
    try:
        before = int(request.GET.get("before") or 0)
    except ValueError:
        before = 0
    if before:
        profiles = profiles.filter(pk__lt=before)
    page = list(profiles.prefetch_related("identities")[: LIST_SIZE + 1])
    more = page[LIST_SIZE - 1].pk if len(page) > LIST_SIZE else None
    return render(
        request,
        "care/customers.html",
        {
            **workspace_context(request),
            "section": "customers",
            "profiles": page[:LIST_SIZE],
            "q": q,
            "more": more,
        },
    )


@workspace_view("care.view")
def detail(request, profile_id: int):
    profile = _profile_or_404(request, profile_id)
    return render(
        request,
        "care/customer.html",
        {**workspace_context(request), **_panel_context(request, profile), "section": "customers"},
    )


@workspace_view("care.view")
def panel(request, profile_id: int):
    profile = _profile_or_404(request, profile_id)
    return render(
        request, "care/_customer_panel.html", _panel_context(request, profile, case_id=_case_id(request))
    )


@workspace_view("care.work")
def merge_candidates(request, profile_id: int):
    """Other profiles matching the search, to merge into this one."""
    profile = _profile_or_404(request, profile_id)
    q = request.GET.get("q", "").strip()[:200]
    found = []
    if q:
        found = list(
            customer_selectors.customers_search(workspace=request.workspace, q=q)
            .exclude(pk=profile.pk)
            .prefetch_related("identities")[:10]
        )
    return render(
        request,
        "care/_merge_candidates.html",
        {"profile": profile, "candidates": found, "q": q, "case_id": _case_id(request)},
    )


def _form_message(form) -> str:
    return " ".join(message for messages in form.errors.values() for message in messages)


def _after_change(request, profile, *, error: str = "", done: str):
    """The customer panel after a merge, its undo or a link, saying it happened (or why not)."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, done)
        return redirect(safe_next(request, reverse("care:customer", args=[profile.pk])))
    context = _panel_context(request, profile, case_id=_case_id(request), error=error)
    return render(request, "care/_customer_panel.html", {**context, "merge_done": "" if error else done})


@require_POST
@workspace_view("care.work")
def merge(request, profile_id: int):
    target = _profile_or_404(request, profile_id)
    form = MergeForm(request.POST, workspace=request.workspace)
    error = ""
    if form.is_valid():
        try:
            customer_services.customer_merge(
                workspace=request.workspace,
                source=form.cleaned_data["source"],
                target=target,
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            error = validation_message(exc)
    else:
        error = _form_message(form)
    return _after_change(
        request, _profile_or_404(request, profile_id), error=error, done=_("Profiles merged.")
    )


@require_POST
@workspace_view("care.work")
def merge_undo(request, merge_id: int):
    merge = customer_selectors.customer_merge_get(workspace=request.workspace, merge_id=merge_id)
    if merge is None:
        raise Http404
    error = ""
    try:
        customer_services.customer_merge_undo(merge=merge, by=request.user, request=request)
    except ValidationError as exc:
        error = validation_message(exc)
    return _after_change(
        request, _profile_or_404(request, merge.target_id), error=error, done=_("Merge undone.")
    )


@require_POST
@workspace_view("care.work")
def link(request, profile_id: int):
    """Link an identity by hand, or record an email address or phone number on one; profiles that
    share it are merged automatically (undoable like any merge)."""
    profile = _profile_or_404(request, profile_id)
    identities = customer_selectors.customer_identities(workspace=request.workspace, profile_id=profile.pk)
    form = IdentityLinkForm(request.POST, identities=identities)
    if form.is_valid():
        try:
            customer_services.identity_link(
                workspace=request.workspace,
                profile=profile,
                by=request.user,
                request=request,
                **form.link_fields(),
            )
        except ValidationError as exc:
            refused = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, errors in refused.items():
                form.add_error(field if field in form.fields else None, errors)
    if not form.errors:
        return _after_change(request, _profile_or_404(request, profile_id), done=_("Identity linked."))
    if not request.htmx:
        error = _form_message(form)
        return _after_change(request, profile, error=error, done="")
    # The form comes back with what was typed and its errors in place.
    context = _panel_context(request, profile, case_id=_case_id(request), link_form=form)
    return render(request, "care/_customer_panel.html", context)
