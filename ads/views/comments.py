"""Comments under the workspace's ads, and hiding one on the platform."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ads import comments, selectors
from ads.models import Ad
from ads.views.shared import campaign_or_404, comment_totals, int_or_404
from cxm.channels.connectors.base import ConnectorError
from cxm.tenancy.decorators import workspace_view
from cxm.tenancy.permissions import has_permission
from listening import selectors as listening_selectors

SENTIMENTS = [
    ("negative", _("Negative")),
    ("neutral", _("Neutral")),
    ("positive", _("Positive")),
    ("unknown", _("Unknown")),
]


@workspace_view("ads.view")
def comment_list(request):
    """Comments under the workspace's ads, of one campaign or one ad when asked."""
    ads = selectors.ads(workspace=request.workspace)
    campaign = ad = None
    if request.GET.get("campaign"):
        campaign = campaign_or_404(request, int_or_404(request.GET["campaign"]))
        ads = ads.filter(campaign=campaign)
    if request.GET.get("ad"):
        ad = get_object_or_404(ads, pk=int_or_404(request.GET["ad"]))
        ads = ads.filter(pk=ad.pk)
    ads_by_id = {a.pk: a for a in ads}
    sentiment = request.GET.get("sentiment", "")
    rows = listening_selectors.ad_comments(
        workspace_id=request.workspace.pk, ad_ids=list(ads_by_id), sentiment=sentiment
    )
    context = {
        "comments": [{**row, "ad_obj": ads_by_id.get(row["ad_id"])} for row in rows],
        "stats": comment_totals(
            list(
                listening_selectors.ad_comment_stats(
                    workspace_id=request.workspace.pk, ad_ids=list(ads_by_id)
                ).values()
            )
        ),
        "campaign": campaign,
        "ad": ad,
        "sentiment": sentiment,
        "sentiments": SENTIMENTS,
        "alerts": list(
            selectors.comment_alerts(
                workspace=request.workspace,
                campaign=campaign.pk if campaign else None,
                ad=ad.pk if ad else None,
            )[:20]
        ),
        "can_moderate": has_permission(request.membership, "ads.manage"),
        "can_work_cases": _can_work(request),
        "section": "comments",
    }
    return render(request, "ads/comments.html", context)


@require_POST
@workspace_view("ads.manage")
def comment_hide(request, ad_id: int, mention_id: int):
    ad = get_object_or_404(
        Ad.objects.for_workspace(request.workspace).select_related("campaign__account"), pk=ad_id
    )
    error = ""
    try:
        comments.ad_comment_hide(
            workspace=request.workspace, ad=ad, mention_id=mention_id, by=request.user, request=request
        )
    except ValidationError as exc:
        raise Http404(str(exc)) from exc
    except ConnectorError as exc:
        # Meta refused or could not be reached: nothing is recorded as hidden; say so in the row.
        error = str(exc)
    mention = listening_selectors.mention_get(workspace=request.workspace, mention_id=mention_id)
    row = {**mention.__dict__, "ad_id": ad.pk, "hidden": not error, "ad_obj": ad, "hide_error": error}
    return render(
        request,
        "ads/_comment_row.html",
        {"c": row, "can_moderate": True, "can_work_cases": _can_work(request)},
    )


def _can_work(request) -> bool:
    return has_permission(request.membership, "care.work")
