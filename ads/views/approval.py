"""A campaign's approval from its page: the marketer submits it, an approver under the business
unit's rule approves it or sends it back."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ads import services
from ads.views.shared import campaign_or_404
from cxm.tenancy.decorators import workspace_view


def _say_why(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


@require_POST
@workspace_view("ads.manage")
def campaign_submit(request, campaign_id: int):
    campaign = campaign_or_404(request, campaign_id)
    try:
        services.campaign_submit(campaign=campaign, by=request.user, request=request)
    except ValidationError as error:
        _say_why(request, error)
    else:
        messages.success(request, _("Submitted for approval."))
    return redirect("ads:campaign", campaign.pk)


def _review(request, campaign_id: int, act, done: str):
    """Approve or reject: PermissionError from the business unit's rule is a 403."""
    campaign = campaign_or_404(request, campaign_id)
    try:
        act(campaign)
    except PermissionError as error:
        raise PermissionDenied(str(error)) from error
    except ValidationError as error:
        _say_why(request, error)
    else:
        messages.success(request, done)
    return redirect("ads:campaign", campaign.pk)


@require_POST
@workspace_view("publishing.approve")
def campaign_approve(request, campaign_id: int):
    return _review(
        request,
        campaign_id,
        lambda campaign: services.campaign_approve(
            campaign=campaign, membership=request.membership, request=request
        ),
        _("Campaign approved: it can be launched."),
    )


@require_POST
@workspace_view("publishing.approve")
def campaign_reject(request, campaign_id: int):
    reason = request.POST.get("reason", "")[:500]
    return _review(
        request,
        campaign_id,
        lambda campaign: services.campaign_reject(
            campaign=campaign, membership=request.membership, reason=reason, request=request
        ),
        _("Campaign sent back to its marketer."),
    )
