"""Insights over time for the workspace's campaigns, and pulling them again now."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ads import selectors, services
from ads.views.shared import campaign_or_404, insights_chart, int_or_404
from cxm.replica import read_alias
from cxm.tenancy.decorators import workspace_view
from cxm.tenancy.permissions import has_permission


@workspace_view("ads.view")
def insights(request):
    using = read_alias(reader=request.user)
    series = selectors.insights_summary(workspace=request.workspace, group_by="date", using=using)
    campaigns = selectors.insights_summary(workspace=request.workspace, group_by="campaign", using=using)
    context = {
        "chart": insights_chart(series),
        "campaigns": campaigns,
        "accounts": selectors.ad_account_states(workspace=request.workspace),
        "can_manage": has_permission(request.membership, "ads.manage"),
        "section": "insights",
    }
    return render(request, "ads/insights.html", context)


@require_POST
@workspace_view("ads.manage")
def insights_refresh(request):
    """Pull insights now for the workspace's ad accounts, or for one campaign's account."""
    campaign = (
        campaign_or_404(request, int_or_404(request.POST["campaign"]))
        if request.POST.get("campaign")
        else None
    )
    count = services.insights_refresh_request(
        workspace=request.workspace,
        account_ids=[campaign.account_id] if campaign else None,
        by=request.user,
        request=request,
    )
    if count:
        messages.success(
            request,
            _("Refreshing insights of %(count)s ad accounts; the numbers update when the pull is done.")
            % {"count": count},
        )
    else:
        messages.error(request, _("No ad account has been read in yet; nothing to refresh."))
    return redirect("ads:campaign", campaign.pk) if campaign else redirect("ads:insights")
