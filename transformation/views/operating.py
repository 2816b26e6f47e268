"""Operating model and reference architecture: who owns each capability (members by role, and the
RACI the admins keep), and the workspace as configured, drawn from channels to outputs."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cxm.tenancy.decorators import workspace_view
from cxm.tenancy.models import Role
from cxm.tenancy.permissions import has_permission
from transformation import architecture
from transformation.capabilities import BY_KEY
from transformation.models import Raci
from transformation.value import selectors as value_selectors
from transformation.value import services as value_services


def _may_manage(request) -> bool:
    return has_permission(request.membership, "transformation.manage")


def _operating_context(request, *, errors: dict | None = None, error_capability: str = "") -> dict:
    by_role = value_selectors.members_by_role(workspace=request.workspace)
    return {
        "section": "operating",
        "matrix": value_selectors.raci_matrix(workspace=request.workspace),
        "roles": [
            {"key": key, "label": label, "members": [m.user.get_username() for m in by_role.get(key, [])]}
            for key, label in Role.choices
        ],
        "members": [m for key in Role.values for m in by_role.get(key, [])],
        "letters": Raci.choices,
        "may_manage": _may_manage(request),
        "errors": errors or {},
        "error_capability": error_capability,
    }


@workspace_view("transformation.view")
def operating(request):
    return render(request, "transformation/operating.html", _operating_context(request))


def _who(raw: str) -> tuple[int | None, str]:
    """`user:<id>` or `role:<role>` from the picker."""
    kind, _sep, rest = (raw or "").partition(":")
    if kind == "user" and rest.isdigit():
        return int(rest), ""
    if kind == "role":
        return None, rest
    return None, ""


def _capability_partial(request, capability: str, **context_extra):
    context = _operating_context(request, **context_extra)
    row = next(r for r in context["matrix"] if r["capability"].key == capability)
    return render(request, "transformation/_operating_capability.html", {**context, "row": row})


@workspace_view("transformation.manage")
@require_POST
def raci_assign(request):
    capability = request.POST.get("capability", "")
    user_id, role = _who(request.POST.get("who", ""))
    try:
        value_services.raci_assign(
            workspace=request.workspace,
            capability=capability,
            letter=request.POST.get("letter", ""),
            user_id=user_id,
            role=role,
            by=request.user,
            request=request,
        )
    except ValidationError as error:
        if capability not in BY_KEY:
            raise Http404 from None
        errors = dict(error.message_dict)
        if request.htmx:
            return _capability_partial(request, capability, errors=errors, error_capability=capability)
        return render(
            request,
            "transformation/operating.html",
            _operating_context(request, errors=errors, error_capability=capability),
            status=400,
        )
    if request.htmx:
        return _capability_partial(request, capability)
    messages.success(request, _("Assignment added."))
    return redirect(f"{reverse('transformation:operating')}#capability-{capability}")


@workspace_view("transformation.manage")
@require_POST
def raci_remove(request, assignment_id: int):
    assignment = value_selectors.raci_get(workspace=request.workspace, assignment_id=assignment_id)
    if assignment is None:
        raise Http404
    capability = assignment.capability
    value_services.raci_remove(assignment=assignment, by=request.user, request=request)
    if request.htmx:
        return _capability_partial(request, capability)
    messages.success(request, _("Assignment removed."))
    return redirect("transformation:operating")


@workspace_view("transformation.view")
def architecture_page(request):
    diagram = architecture.architecture_diagram(workspace=request.workspace)
    return render(
        request,
        "transformation/architecture.html",
        {"section": "architecture", "diagram": diagram, "days": architecture.DAYS},
    )


urlpatterns = [
    path("operating/", operating, name="operating"),
    path("operating/raci/", raci_assign, name="raci-assign"),
    path("operating/raci/<int:assignment_id>/remove/", raci_remove, name="raci-remove"),
    path("architecture/", architecture_page, name="architecture"),
]
