"""The shell: sign-in, workspace switching, the overview, and the workspace admin pages."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cxm.audit import selectors as audit_selectors
from cxm.audit import services as audit_services
from cxm.tenancy import selectors as tenancy_selectors
from cxm.tenancy import services as tenancy_services
from cxm.tenancy import two_factor
from cxm.tenancy.decorators import workspace_view
from cxm.tenancy.login_throttle import login_success_clear
from cxm.tenancy.middleware import SESSION_KEY
from cxm.tenancy.models import Role
from cxm.web.errors import validation_message
from cxm.web.invitations import InviteForm, invite
from cxm.web.security import SignInForm, two_factor_begin


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    form_class = SignInForm

    def form_valid(self, form):
        user = form.get_user()
        login_success_clear(username=user.get_username())
        if two_factor.has_two_factor(user):
            return two_factor_begin(self.request, user, next_url=self.get_success_url())
        response = super().form_valid(form)
        audit_services.audit_record(workspace=None, actor=user, action="auth.login", request=self.request)
        return response

    def form_invalid(self, form):
        throttled = any(error.code == "throttled" for error in form.errors.as_data().get("__all__", []))
        audit_services.audit_record(
            workspace=None,
            actor=None,
            action="auth.login_throttled" if throttled else "auth.login_failed",
            request=self.request,
            # What was typed, as text PostgreSQL can store (the form itself refuses U+0000).
            object_repr=(form.data.get("username") or "").replace("\x00", "\ufffd")[:150],
        )
        return super().form_invalid(form)


@workspace_view("workspace.view")
def home(request):
    workspace = request.workspace
    context = {
        "business_units": tenancy_selectors.business_units(workspace=workspace),
        "brands": tenancy_selectors.brands(workspace=workspace),
        "members": tenancy_selectors.workspace_members(workspace=workspace),
    }
    return render(request, "web/home.html", context)


@require_POST
def workspace_switch(request):
    if not request.user.is_authenticated:
        return redirect("login")
    membership = tenancy_selectors.membership_resolve(
        user=request.user, workspace_id=request.POST.get("workspace_id")
    )
    if membership is None:
        raise Http404
    request.session[SESSION_KEY] = membership.workspace_id
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


@workspace_view("workspace.manage")
def admin_members(request):
    """Members and their roles, and inviting people: nobody is added without accepting."""
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and invite(request, form):
        return redirect("admin-members")
    context = {
        "form": form,
        "members": tenancy_selectors.workspace_members(workspace=request.workspace),
        "invitations": tenancy_selectors.invitations_pending(workspace=request.workspace),
        "roles": Role.choices,
        "tab": "members",
    }
    return render(request, "web/admin/members.html", context)


def _workspace_membership(request, membership_id: int):
    return get_object_or_404(
        tenancy_selectors.workspace_members(workspace=request.workspace), pk=membership_id
    )


@require_POST
@workspace_view("workspace.manage")
def admin_member_update(request, membership_id: int):
    membership = _workspace_membership(request, membership_id)
    error = ""
    try:
        membership = tenancy_services.membership_change_role(
            membership=membership, role=request.POST.get("role", ""), by=request.user, request=request
        )
    except ValidationError as exc:
        error = validation_message(exc)
        membership.refresh_from_db()
    if request.htmx:
        return render(
            request,
            "web/admin/_member_row.html",
            {"member": membership, "roles": Role.choices, "error": error, "saved": not error},
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Role changed."))
    return redirect("admin-members")


@require_POST
@workspace_view("workspace.manage")
def admin_member_remove(request, membership_id: int):
    membership = _workspace_membership(request, membership_id)
    try:
        tenancy_services.membership_remove(membership=membership, by=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, validation_message(exc))
    else:
        messages.success(request, _("Member removed."))
    return redirect("admin-members")


class BusinessUnitForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)


class BrandForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    business_unit = forms.ModelChoiceField(label=gettext_lazy("Business unit"), queryset=None, required=False)
    is_competitor = forms.BooleanField(label=gettext_lazy("Competitor"), required=False)

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].queryset = tenancy_selectors.business_units(workspace=workspace)


@workspace_view("workspace.manage")
def admin_structure(request):
    workspace = request.workspace
    unit_form = BusinessUnitForm(request.POST if request.POST.get("kind") == "unit" else None, prefix="unit")
    brand_form = BrandForm(
        request.POST if request.POST.get("kind") == "brand" else None, prefix="brand", workspace=workspace
    )
    if request.method == "POST":
        form = unit_form if request.POST.get("kind") == "unit" else brand_form
        if form.is_valid():
            try:
                if form is unit_form:
                    tenancy_services.business_unit_create(
                        workspace=workspace, name=form.cleaned_data["name"], by=request.user, request=request
                    )
                else:
                    tenancy_services.brand_create(
                        workspace=workspace, by=request.user, request=request, **form.cleaned_data
                    )
            except ValidationError as error:
                form.add_error(None, validation_message(error))
            else:
                messages.success(request, _("Saved."))
                return redirect("admin-structure")
    context = {
        "unit_form": unit_form,
        "brand_form": brand_form,
        "business_units": tenancy_selectors.business_units(workspace=workspace),
        "brands": tenancy_selectors.brands(workspace=workspace),
        "tab": "structure",
    }
    return render(request, "web/admin/structure.html", context)


@workspace_view("audit.view")
def admin_audit(request):
    entries = audit_selectors.audit_entries(
        workspace=request.workspace,
        action=request.GET.get("action", ""),
        actor=request.GET.get("actor", ""),
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "actions": audit_selectors.audit_actions(workspace=request.workspace),
        "filters": {"action": request.GET.get("action", ""), "actor": request.GET.get("actor", "")},
        "tab": "audit",
    }
    template = (
        "web/admin/_audit_table.html"
        if request.htmx and request.htmx.target == "audit-table"
        else ("web/admin/audit.html")
    )
    return render(request, template, context)


@require_POST
@workspace_view("audit.view")
def admin_audit_export(request):
    export = audit_services.audit_export_request(
        workspace=request.workspace, by=request.user, request=request
    )
    if request.htmx:
        return render(request, "web/admin/_audit_export.html", {"export": export})
    return redirect("admin-audit-export-status", export_id=export.pk)


@workspace_view("audit.view")
def admin_audit_export_status(request, export_id: int):
    export = audit_selectors.audit_export_get(workspace=request.workspace, export_id=export_id)
    if export is None:
        raise Http404
    template = "web/admin/_audit_export.html" if request.htmx else "web/admin/audit_export.html"
    return render(request, template, {"export": export, "tab": "audit"})


@workspace_view("audit.view")
def admin_audit_export_download(request, export_id: int):
    export = audit_selectors.audit_export_get(workspace=request.workspace, export_id=export_id)
    if export is None or not export.file_name:
        raise Http404
    path = audit_services.audit_export_path(export)
    if not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"audit-log-{export.pk}.csv")
