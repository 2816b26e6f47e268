"""A person's own settings (their default workspace), their API tokens, and, for the platform
owner, the list of workspaces with a form to create one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cxm.api.selectors import api_tokens_of
from cxm.api.services import api_token_issue, api_token_revoke, token_expires_at
from cxm.audit import services as audit_services
from cxm.tenancy import invitations as invitation_services
from cxm.tenancy import selectors as tenancy_selectors
from cxm.tenancy import services as tenancy_services
from cxm.web.errors import validation_message
from cxm.web.time_zone import TimeZoneForm


class DefaultWorkspaceForm(forms.Form):
    default_workspace = forms.TypedChoiceField(
        label=gettext_lazy("Default workspace"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=gettext_lazy(
            "Where you start after signing in, and where API calls without X-Workspace act."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (m.workspace_id, m.workspace.name) for m in tenancy_selectors.memberships_for_user(user=user)
        ]
        self.fields["default_workspace"].choices = [("", _("None chosen")), *choices]


@login_required
def account_settings(request):
    user = request.user
    form = DefaultWorkspaceForm(
        request.POST or None, user=user, initial={"default_workspace": user.default_workspace_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            tenancy_services.user_default_workspace_set(
                user=user, workspace_id=form.cleaned_data["default_workspace"], request=request
            )
        except ValidationError as error:
            form.add_error("default_workspace", validation_message(error))
        else:
            messages.success(request, _("Settings saved."))
            return redirect("account-settings")
    return render(
        request,
        "web/account/settings.html",
        {"form": form, "time_zone_form": TimeZoneForm(initial={"time_zone": user.time_zone})},
    )


@login_required
def account_tokens(request):
    """The caller's API tokens; POST issues a new one, whose key this answer shows once."""
    new_key = ""
    if request.method == "POST":
        new_key = api_token_issue(user=request.user)
        audit_services.audit_record(
            workspace=None, actor=request.user, action="api_token.issue", target=request.user, request=request
        )
    tokens = [
        {"token": token, "expires_at": token_expires_at(token)} for token in api_tokens_of(user=request.user)
    ]
    return render(request, "web/account/tokens.html", {"tokens": tokens, "new_key": new_key})


@require_POST
@login_required
def account_token_revoke(request, token_id: int):
    token = api_tokens_of(user=request.user).filter(pk=token_id).first() if token_id < 2**63 else None
    if token is None:
        raise Http404
    api_token_revoke(token=token, by=request.user, request=request)
    messages.success(request, _("Token revoked."))
    return redirect("account-tokens")


class WorkspaceCreateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    admin_email = forms.EmailField(
        label=gettext_lazy("First admin's email"),
        required=False,
        help_text=gettext_lazy("They are invited as admin. Leave empty to become the admin yourself."),
    )
    admin_name = forms.CharField(label=gettext_lazy("First admin's name"), max_length=150, required=False)


@login_required
def platform_workspaces(request):
    """Every workspace, and a new one: for the platform owner (a superuser) only."""
    if not request.user.is_superuser:
        raise PermissionDenied
    form = WorkspaceCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workspace = invitation_services.workspace_provision(
                by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, validation_message(error))
        else:
            messages.success(request, _("Workspace %(name)s created.") % {"name": workspace.name})
            return redirect("platform-workspaces")
    context = {"form": form, "workspaces": tenancy_selectors.workspaces_all()}
    return render(request, "web/platform/workspaces.html", context)
