"""Ads pages: campaigns with spend and ROAS, a campaign's insights over time, comments under ads."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ads import comments, selectors
from ads.models import Ad, AdCampaign
from cxm.tenancy.decorators import workspace_view
from cxm.tenancy.permissions import has_permission
from listening import selectors as listening_selectors

SENTIMENTS = [("negative", _("Negative")), ("neutral", _("Neutral")), ("positive", _("Positive"))]


def _campaign(request, campaign_id: int) -> AdCampaign:
    return get_object_or_404(AdCampaign.objects.for_workspace(request.workspace), pk=campaign_id)


@workspace_view("ads.view")
def index(request):
    campaigns = list(selectors.campaigns(workspace=request.workspace, search=request.GET.get("q", "")))
    summary = {row["key"]: row for row in selectors.insights_summary(workspace=request.workspace)}
    ads_by_campaign: dict[int, list[int]] = {}
    for ad_id, campaign_id in selectors.ads(workspace=request.workspace).values_list("pk", "campaign_id"):
        ads_by_campaign.setdefault(campaign_id, []).append(ad_id)
    per_ad = listening_selectors.ad_comment_stats(
        workspace_id=request.workspace.pk, ad_ids=[a for ids in ads_by_campaign.values() for a in ids]
    )
    rows = [
        {
            "campaign": campaign,
            "insights": summary.get(campaign.pk),
            "comments": _sum_stats([per_ad[a] for a in ads_by_campaign.get(campaign.pk, []) if a in per_ad]),
        }
        for campaign in campaigns
    ]
    return render(
        request, "ads/index.html", {"rows": rows, "section": "campaigns", "q": request.GET.get("q", "")}
    )


def _sum_stats(stats: list[dict]) -> dict:
    comments_total = sum(s["comments"] for s in stats)
    negative = sum(s["negative"] for s in stats)
    return {
        "comments": comments_total,
        "negative": negative,
        "negative_share": round(negative / comments_total, 3) if comments_total else None,
        "unanswered": sum(s["unanswered"] for s in stats),
    }


@workspace_view("ads.view")
def campaign_detail(request, campaign_id: int):
    campaign = _campaign(request, campaign_id)
    ads = list(selectors.ads(workspace=request.workspace, campaign=campaign.pk))
    stats = listening_selectors.ad_comment_stats(
        workspace_id=request.workspace.pk, ad_ids=[a.pk for a in ads]
    )
    by_ad = {
        row["key"]: row
        for row in selectors.insights_summary(
            workspace=request.workspace, group_by="ad", campaign=campaign.pk
        )
    }
    series = selectors.insights_summary(workspace=request.workspace, group_by="date", campaign=campaign.pk)
    ad_sets = []
    for ad_set in selectors.ad_sets(workspace=request.workspace, campaign=campaign.pk):
        ad_sets.append(
            {
                "ad_set": ad_set,
                "ads": [
                    {"ad": ad, "insights": by_ad.get(ad.pk), "comments": stats.get(ad.pk)}
                    for ad in ads
                    if ad.ad_set_id == ad_set.pk
                ],
            }
        )
    context = {
        "campaign": campaign,
        "ad_sets": ad_sets,
        "comments": _sum_stats(list(stats.values())),
        "chart": _chart(series),
        "section": "campaigns",
    }
    return render(request, "ads/campaign.html", context)


def _chart(series: list[dict]) -> dict:
    return {
        "days": [row["key"] for row in series],
        "spend": [row["spend_display"] for row in series],
        "value": [row["conversion_value_display"] for row in series],
        "roas": [row["roas"] for row in series],
        "clicks": [row["clicks"] for row in series],
    }


@workspace_view("ads.view")
def insights(request):
    series = selectors.insights_summary(workspace=request.workspace, group_by="date")
    campaigns = selectors.insights_summary(workspace=request.workspace, group_by="campaign")
    return render(
        request, "ads/insights.html", {"chart": _chart(series), "campaigns": campaigns, "section": "insights"}
    )


@workspace_view("ads.view")
def comment_list(request):
    """Comments under the workspace's ads, of one campaign or one ad when asked."""
    ads = selectors.ads(workspace=request.workspace)
    campaign = ad = None
    if request.GET.get("campaign"):
        campaign = _campaign(request, _int(request.GET["campaign"]))
        ads = ads.filter(campaign=campaign)
    if request.GET.get("ad"):
        ad = get_object_or_404(ads, pk=_int(request.GET["ad"]))
        ads = ads.filter(pk=ad.pk)
    ads_by_id = {a.pk: a for a in ads}
    sentiment = request.GET.get("sentiment", "")
    rows = listening_selectors.ad_comments(
        workspace_id=request.workspace.pk, ad_ids=list(ads_by_id), sentiment=sentiment
    )
    context = {
        "comments": [{**row, "ad_obj": ads_by_id.get(row["ad_id"])} for row in rows],
        "stats": _sum_stats(
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
    try:
        comments.ad_comment_hide(
            workspace=request.workspace, ad=ad, mention_id=mention_id, by=request.user, request=request
        )
    except ValidationError as exc:
        raise Http404(str(exc)) from exc
    mention = listening_selectors.mention_get(workspace=request.workspace, mention_id=mention_id)
    row = {**mention.__dict__, "ad_id": ad.pk, "hidden": True, "ad_obj": ad}
    return render(
        request,
        "ads/_comment_row.html",
        {"c": row, "can_moderate": True, "can_work_cases": _can_work(request)},
    )


def _can_work(request) -> bool:
    return has_permission(request.membership, "care.work")


def _int(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None
