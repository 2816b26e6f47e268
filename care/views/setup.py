"""Care settings: queues with their skills, agents (skills, capacity, presence), SLA policies with
business hours, macros, automation rules, case types. Agents may read them and write macros;
the rest is for admins. Every write goes through a care service."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from care import selectors, services
from care.forms import (
    AgentForm,
    CaseTypeForm,
    MacroForm,
    QueueForm,
    RuleForm,
    SkillsMixin,
    SlaPolicyForm,
    format_bodies,
    format_keyed_lines,
)
from care.models import AgentProfile
from care.views.common import add_service_errors, is_admin, workspace_context
from cxm.tenancy.decorators import workspace_view
from cxm.web.errors import validation_message


def _agent_get(workspace, pk):
    return AgentProfile.objects.for_workspace(workspace).select_related("user").filter(pk=pk).first()


def _queue_save(request, form, obj):
    data = form.cleaned_data
    return services.queue_save(
        workspace=request.workspace,
        name=data["name"],
        position=data["position"],
        queue=obj,
        by=request.user,
        **form.skills(),
    )


def _agent_save(request, form, obj):
    data = form.cleaned_data
    user = obj.user if obj is not None else data["user"]
    return services.agent_save(
        workspace=request.workspace,
        user=user,
        capacity=data["capacity"],
        presence=data["presence"],
        queue_ids=[queue.pk for queue in data["queues"]],
        by=request.user,
        **form.skills(),
    )


def _sla_save(request, form, obj):
    data = form.cleaned_data
    if obj is not None and obj.priority != data["priority"]:
        raise ValidationError({"priority": _("The priority of a policy cannot change; add a policy for it.")})
    return services.sla_policy_save(
        workspace=request.workspace,
        priority=data["priority"],
        name=data["name"],
        first_response_minutes=data["first_response_minutes"],
        resolution_minutes=data["resolution_minutes"],
        warn_before_minutes=data["warn_before_minutes"],
        time_zone=data["time_zone"].strip(),
        schedule=form.schedule(),
        holidays=data["holiday_dates"],
        by=request.user,
    )


def _macro_save(request, form, obj):
    data = form.cleaned_data
    return services.macro_save(
        workspace=request.workspace,
        name=data["name"],
        bodies=data["bodies"],
        default_language=data["default_language"].strip() or "en",
        macro=obj,
        by=request.user,
    )


def _rule_save(request, form, obj):
    data = form.cleaned_data
    return services.rule_save(
        workspace=request.workspace,
        name=data["name"],
        event=data["event"],
        conditions=data["conditions"],
        actions=data["actions"],
        is_active=data["is_active"],
        position=data["position"],
        rule=obj,
        by=request.user,
    )


def _case_type_save(request, form, obj):
    data = form.cleaned_data
    return services.case_type_save(
        workspace=request.workspace,
        name=data["name"],
        checklist=data["checklist"],
        required_fields=data["required_fields"],
        case_type=obj,
        by=request.user,
    )


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Kind:
    title: Any
    form: type
    admin_only: bool
    get: Callable
    initial: Callable[[Any], dict]
    save: Callable
    delete: Callable


KINDS: dict[str, Kind] = {
    "queues": Kind(
        gettext_lazy("Queue"),
        QueueForm,
        True,
        lambda ws, pk: selectors.queues(workspace=ws).filter(pk=pk).first(),
        lambda q: {"name": q.name, "position": q.position, **SkillsMixin.skills_initial(q)},
        _queue_save,
        lambda request, q: services.queue_delete(workspace=request.workspace, queue=q, by=request.user),
    ),
    "agents": Kind(
        gettext_lazy("Agent"),
        AgentForm,
        True,
        _agent_get,
        lambda a: {
            "user": a.user_id,
            "capacity": a.capacity,
            "presence": a.presence,
            "queues": list(a.queue_ids or []),
            **SkillsMixin.skills_initial(a),
        },
        _agent_save,
        lambda request, a: services.agent_remove(workspace=request.workspace, agent=a, by=request.user),
    ),
    "sla": Kind(
        gettext_lazy("SLA policy"),
        SlaPolicyForm,
        True,
        lambda ws, pk: selectors.sla_policies(workspace=ws).filter(pk=pk).first(),
        SlaPolicyForm.initial_for,
        _sla_save,
        lambda request, p: services.sla_policy_delete(workspace=request.workspace, policy=p, by=request.user),
    ),
    "macros": Kind(
        gettext_lazy("Macro"),
        MacroForm,
        False,
        lambda ws, pk: selectors.macros(workspace=ws).filter(pk=pk).first(),
        lambda m: {"name": m.name, "default_language": m.default_language, "bodies": format_bodies(m.bodies)},
        _macro_save,
        lambda request, m: services.macro_delete(workspace=request.workspace, macro=m, by=request.user),
    ),
    "rules": Kind(
        gettext_lazy("Automation rule"),
        RuleForm,
        True,
        lambda ws, pk: selectors.rules(workspace=ws).filter(pk=pk).first(),
        lambda r: {
            "name": r.name,
            "event": r.event,
            "conditions": _json(r.conditions),
            "actions": _json(r.actions),
            "is_active": r.is_active,
            "position": r.position,
        },
        _rule_save,
        lambda request, r: services.rule_delete(workspace=request.workspace, rule=r, by=request.user),
    ),
    "case-types": Kind(
        gettext_lazy("Case type"),
        CaseTypeForm,
        True,
        lambda ws, pk: selectors.case_types(workspace=ws).filter(pk=pk).first(),
        lambda t: {
            "name": t.name,
            "checklist": format_keyed_lines(t.checklist),
            "required_fields": format_keyed_lines(t.required_fields),
        },
        _case_type_save,
        lambda request, t: services.case_type_delete(
            workspace=request.workspace, case_type=t, by=request.user
        ),
    ),
}


def _kind_or_404(request, kind: str, *, writing: bool) -> Kind:
    spec = KINDS.get(kind)
    if spec is None:
        raise Http404
    if writing and spec.admin_only and not is_admin(request):
        raise PermissionDenied("workspace.manage")
    return spec


def _make_form(spec: Kind, request, *args, **kwargs):
    if issubclass(spec.form, SkillsMixin):
        return spec.form(*args, workspace=request.workspace, **kwargs)
    return spec.form(*args, **kwargs)


@workspace_view("care.work")
def index(request):
    workspace = request.workspace
    queue_names = dict(selectors.queues(workspace=workspace).values_list("pk", "name"))
    agents = selectors.agents(workspace=workspace)
    for row in agents:
        row["queue_names"] = [queue_names.get(pk, f"#{pk}") for pk in row["agent"].queue_ids or []]
    return render(
        request,
        "care/settings.html",
        {
            **workspace_context(request),
            "section": "settings",
            "queues": selectors.queues(workspace=workspace),
            "agents": agents,
            "policies": selectors.sla_policies(workspace=workspace),
            "macros": selectors.macros(workspace=workspace),
            "rules": selectors.rules(workspace=workspace),
            "case_types": selectors.case_types(workspace=workspace),
        },
    )


@workspace_view("care.work")
def edit(request, kind: str, pk: int | None = None):
    spec = _kind_or_404(request, kind, writing=request.method == "POST")
    obj = None
    if pk is not None:
        obj = spec.get(request.workspace, pk)
        if obj is None:
            raise Http404
    initial = spec.initial(obj) if obj is not None else None
    form = _make_form(spec, request, request.POST if request.method == "POST" else None, initial=initial)
    if obj is not None and kind == "agents":
        form.fields["user"].disabled = True  # an agent profile belongs to one member
    if request.method == "POST" and form.is_valid():
        try:
            spec.save(request, form, obj)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(what)s saved.") % {"what": spec.title})
            return redirect(reverse("care:settings") + f"#{kind}")
    can_write = not spec.admin_only or is_admin(request)
    return render(
        request,
        "care/settings_form.html",
        {
            **workspace_context(request),
            "section": "settings",
            "kind": kind,
            "title": spec.title,
            "form": form,
            "obj": obj,
            "can_write": can_write,
        },
    )


@require_POST
@workspace_view("care.work")
def delete(request, kind: str, pk: int):
    spec = _kind_or_404(request, kind, writing=True)
    obj = spec.get(request.workspace, pk)
    if obj is None:
        raise Http404
    try:
        spec.delete(request, obj)
    except ValidationError as exc:
        messages.error(request, validation_message(exc))
    else:
        messages.success(request, _("%(what)s removed.") % {"what": spec.title})
    return redirect(reverse("care:settings") + f"#{kind}")


@require_POST
@workspace_view("workspace.manage")
def agent_presence(request, pk: int):
    """An admin puts an agent online or away (e.g. someone who forgot to sign off)."""
    agent = _agent_get(request.workspace, pk)
    if agent is None:
        raise Http404
    try:
        services.agent_presence_set(
            workspace=request.workspace, user=agent.user, presence=request.POST.get("presence", "")
        )
    except ValidationError as exc:
        messages.error(request, validation_message(exc))
    else:
        messages.success(request, _("Presence saved."))
    return redirect(reverse("care:settings") + "#agents")
