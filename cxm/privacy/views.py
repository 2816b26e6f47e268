"""/admin/privacy/: find a person by any identity and see what is held, export or erase it, follow
the requests against their due dates, and set how long mentions and closed cases are kept."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cxm.privacy import selectors, services
from cxm.privacy.models import PrivacyRequest
from cxm.tenancy.decorators import workspace_view
from cxm.web.errors import validation_message

RECENT = 50
KIND_LABELS = {
    "mentions": gettext_lazy("Mentions"),
    "archived_mentions": gettext_lazy("Mentions in archived months"),
    "ad_comments": gettext_lazy("Comments on ads"),
    "cases": gettext_lazy("Cases"),
    "messages": gettext_lazy("Messages"),
    "notes": gettext_lazy("Internal notes"),
    "csat_answers": gettext_lazy("CSAT answers"),
    "case_events": gettext_lazy("Case events"),
    "notifications": gettext_lazy("Notifications"),
    "website_chat_visitors": gettext_lazy("Website chat visitors"),
    "website_chat_messages": gettext_lazy("Website chat messages"),
    "posts": gettext_lazy("Posts naming them"),
    "post_comments": gettext_lazy("Review comments on posts naming them"),
    "post_media": gettext_lazy("Post media whose description or name names them"),
    "posts_on_platforms": gettext_lazy("Published posts naming them, still on the platforms"),
    "audit_entries": gettext_lazy("Audit entries"),
    "customer_profiles": gettext_lazy("Customer profiles"),
    "identities": gettext_lazy("Identities"),
}


class SettingsForm(forms.Form):
    due_days = forms.IntegerField(label=gettext_lazy("Requests due after (days)"), min_value=1, max_value=365)
    mention_retention_days = forms.IntegerField(
        label=gettext_lazy("Keep mentions for (days, empty keeps them)"), min_value=1, required=False
    )
    closed_case_retention_days = forms.IntegerField(
        label=gettext_lazy("Keep closed cases for (days, empty keeps them)"), min_value=1, required=False
    )


def _requests_context(workspace) -> dict:
    recent = list(selectors.privacy_requests(workspace=workspace)[:RECENT])
    return {"requests": recent, "polling": any(item.is_open for item in recent)}


@workspace_view("workspace.manage")
def privacy_home(request):
    """The search is posted, not put in the address: identities stay out of access logs and history."""
    identity = request.POST.get("identity", "").strip() if request.method == "POST" else ""
    return _home(request, identity)


def _home(request, identity: str, *, status: int = 200):
    workspace = request.workspace
    holdings = None
    subject = None
    if identity:
        subject = selectors.subject_resolve(workspace_id=workspace.pk, identity=identity)
        holdings = selectors.subject_holdings(workspace_id=workspace.pk, subject=subject)
    current = selectors.privacy_settings(workspace_id=workspace.pk)
    context = {
        "tab": "privacy",
        "identity": identity,
        "subject": subject,
        "holdings": [(kind, KIND_LABELS.get(kind, kind), count) for kind, count in (holdings or {}).items()]
        if holdings is not None
        else None,
        "held_total": sum(holdings.values()) if holdings else 0,
        "platform_copies": (holdings or {}).get("posts_on_platforms", 0),
        "settings_form": SettingsForm(
            initial={
                "due_days": current.due_days,
                "mention_retention_days": current.mention_retention_days,
                "closed_case_retention_days": current.closed_case_retention_days,
            }
        ),
        **_requests_context(workspace),
    }
    return render(request, "web/admin/privacy.html", context, status=status)


@workspace_view("workspace.manage")
def privacy_requests(request):
    """The list of requests alone: the page polls it while any request is still running."""
    return render(request, "web/admin/_privacy_requests.html", _requests_context(request.workspace))


@require_POST
@workspace_view("workspace.manage")
def privacy_request_create(request):
    kind = request.POST.get("kind", "")
    identity = request.POST.get("identity", "").strip()
    if kind == PrivacyRequest.Kind.ERASE and request.POST.get("confirm", "").strip() != identity:
        messages.error(request, _("Type the identity exactly to confirm the erasure."))
        return _home(request, identity, status=400)
    try:
        services.request_create(
            workspace=request.workspace, kind=kind, identity=identity, by=request.user, request=request
        )
    except ValidationError as error:
        messages.error(request, validation_message(error))
    else:
        messages.success(
            request,
            _("Erasure requested; it runs in the background.")
            if kind == PrivacyRequest.Kind.ERASE
            else _("Export requested; it runs in the background."),
        )
    return redirect("privacy:home")


@workspace_view("workspace.manage")
def privacy_request_download(request, request_id: int):
    privacy_request = selectors.privacy_request_get(workspace=request.workspace, request_id=request_id)
    if privacy_request is None:
        raise Http404
    path = selectors.export_path(privacy_request)
    if path is None or not path.exists():
        raise Http404
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=f"privacy-export-{privacy_request.pk}.zip"
    )


@require_POST
@workspace_view("workspace.manage")
def privacy_settings_update(request):
    form = SettingsForm(request.POST)
    if form.is_valid():
        try:
            services.privacy_settings_update(
                workspace=request.workspace, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            messages.error(request, validation_message(error))
        else:
            messages.success(request, _("Privacy settings saved."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("privacy:home")
