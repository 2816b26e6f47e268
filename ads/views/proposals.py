"""Budget proposals from a campaign's page: propose, apply."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ads import selectors, services
from ads.models import ProposalStatus
from ads.views.shared import campaign_or_404
from cxm.tenancy.decorators import workspace_view


@require_POST
@workspace_view("ads.manage")
def proposal_create(request, campaign_id: int):
    campaign = campaign_or_404(request, campaign_id)
    objective = (
        request.POST.get("objective")
        if request.POST.get("objective") in ("value", "conversions")
        else "value"
    )
    try:
        services.proposal_create(campaign=campaign, objective=objective, by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Budget proposal ready: review it below."))
    return redirect(f"{reverse('ads:campaign', args=[campaign.pk])}#proposal")


@require_POST
@workspace_view("ads.manage")
def proposal_apply(request, campaign_id: int, proposal_id: int):
    campaign = campaign_or_404(request, campaign_id)
    proposal = get_object_or_404(
        selectors.proposals(workspace=request.workspace, campaign=campaign.pk), pk=proposal_id
    )
    if proposal.status != ProposalStatus.PROPOSED:
        messages.error(
            request, _("This proposal was already %(status)s.") % {"status": proposal.get_status_display()}
        )
    else:
        try:
            services.proposal_apply(proposal=proposal, by=request.user, request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("New ad set budgets applied."))
    return redirect(f"{reverse('ads:campaign', args=[campaign.pk])}#proposal")
