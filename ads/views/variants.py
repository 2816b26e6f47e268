"""The variant grid: 50 a page, filtered; bulk edits, waivers, and the launch gate."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ads import selectors, services
from ads.forms import BulkForm, VariantFilterForm, WaiveForm
from ads.views.shared import campaign_or_404
from cxm.tenancy.decorators import workspace_view
from cxm.tenancy.permissions import has_permission

PAGE_SIZE = 50


def _grid(request, campaign, *, notice: str = "", errors=None) -> dict:
    filters = VariantFilterForm(request.GET)
    chosen = filters.filters()
    rows = selectors.variants(workspace=request.workspace, campaign=campaign.pk, **chosen)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "campaign": campaign,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "here": request.GET.urlencode(),
        "notice": notice,
        "bulk_errors": errors or [],
        "can_manage": has_permission(request.membership, "ads.manage"),
        "can_waive": has_permission(request.membership, "publishing.approve"),
        "text_fields": ("primary_text", "headline", "description", "call_to_action", "link"),
    }


def _grid_answer(request, campaign, *, notice: str = "", errors=None, status: int = 200):
    context = _grid(request, campaign, notice=notice, errors=errors)
    if request.htmx:
        return render(request, "ads/_variant_grid.html", context, status=status)
    if notice:
        messages.success(request, notice)
    if errors:
        context["launch_errors"] = errors
        return render(request, "ads/variants.html", {**context, "section": "campaigns"}, status=status)
    url = reverse("ads:variants", args=[campaign.pk])
    return redirect(f"{url}?{context['here']}" if context["here"] else url)


@workspace_view("ads.view")
def variant_grid(request, campaign_id: int):
    """The campaign's variants, 50 a page, filtered; bulk edits, waivers and the launch."""
    campaign = campaign_or_404(request, campaign_id)
    context = _grid(request, campaign)
    if request.htmx:
        return render(request, "ads/_variant_grid.html", context)
    return render(request, "ads/variants.html", {**context, "section": "campaigns"})


@require_POST
@workspace_view("ads.manage")
def variant_bulk(request, campaign_id: int):
    """Find/replace, exclude or include over the ticked rows (or all the filter matches)."""
    campaign = campaign_or_404(request, campaign_id)
    form = BulkForm(request.POST)
    if not form.is_valid():
        problems = [message for messages_ in form.errors.values() for message in messages_]
        return _grid_answer(request, campaign, errors=problems, status=400)
    data = form.cleaned_data
    chosen = {} if data["ids"] and not data["all_matching"] else VariantFilterForm(request.GET).filters()
    selection = selectors.variants(
        workspace=request.workspace,
        campaign=campaign.pk,
        ids=None if data["all_matching"] else data["ids"],
        **chosen,
    )
    try:
        if data["action"] == "replace":
            extra = {"fields": data["fields"]} if data["fields"] else {}
            count = services.variants_find_replace(
                workspace=request.workspace,
                selection=selection,
                find=data["find"],
                replace_with=data["replace_with"],
                ignore_case=data["ignore_case"],
                by=request.user,
                request=request,
                **extra,
            )
            notice = _("%(n)s variants changed.") % {"n": count}
        else:
            count = services.variants_exclude(
                workspace=request.workspace,
                selection=selection,
                excluded=data["action"] == "exclude",
                by=request.user,
                request=request,
            )
            notice = (
                _("%(n)s variants excluded.")
                if data["action"] == "exclude"
                else _("%(n)s variants included.")
            ) % {"n": count}
    except ValidationError as error:
        return _grid_answer(request, campaign, errors=error.messages, status=400)
    return _grid_answer(request, campaign, notice=notice)


@require_POST
@workspace_view("publishing.approve")
def variant_waive(request, campaign_id: int, variant_id: int):
    """An approver lets one variant break one rule, with a reason (audited)."""
    campaign = campaign_or_404(request, campaign_id)
    variant = get_object_or_404(
        selectors.variants(workspace=request.workspace, campaign=campaign.pk), pk=variant_id
    )
    form = WaiveForm(request.POST)
    if not form.is_valid():
        return _grid_answer(
            request, campaign, errors=[_("Give the rule and a reason to waive it.")], status=400
        )
    try:
        services.variant_waive(
            variant=variant,
            rule_id=form.cleaned_data["rule_id"],
            reason=form.cleaned_data["reason"],
            membership=request.membership,
            request=request,
        )
    except PermissionError as error:
        raise PermissionDenied(str(error)) from error
    except ValidationError as error:
        return _grid_answer(request, campaign, errors=error.messages, status=400)
    notice = _("Rule %(rule)s waived for variant %(key)s.") % {
        "rule": form.cleaned_data["rule_id"],
        "key": variant.key,
    }
    return _grid_answer(request, campaign, notice=notice)


@require_POST
@workspace_view("ads.manage")
def campaign_launch(request, campaign_id: int):
    """Through the launch gate: refused (with why) while a variant is blocked, has errors, or the
    business unit's approval is missing; else the workers put the campaign on the platform."""
    campaign = campaign_or_404(request, campaign_id)
    try:
        services.campaign_launch(campaign=campaign, by=request.user, request=request)
    except ValidationError as error:
        problems = (
            [f"{problem}" for problems in error.message_dict.values() for problem in problems]
            if hasattr(error, "error_dict")
            else error.messages
        )
        context = {**_grid(request, campaign), "launch_errors": problems, "section": "campaigns"}
        return render(request, "ads/variants.html", context, status=400)
    messages.success(request, _("Launch started: the campaign is being put on the platform."))
    return redirect("ads:campaign", campaign_id=campaign.pk)
