"""The campaigns list with spend and ROAS, a campaign's page, and its comment guard."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ads import alert_delivery, comments, selectors, services
from ads.forms import CommentGuardForm
from ads.views.shared import campaign_or_404, comment_totals, insights_chart
from cxm.tenancy.decorators import workspace_view
from cxm.tenancy.permissions import has_permission
from listening import selectors as listening_selectors


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
            "comments": comment_totals(
                [per_ad[a] for a in ads_by_campaign.get(campaign.pk, []) if a in per_ad]
            ),
        }
        for campaign in campaigns
    ]
    return render(
        request, "ads/index.html", {"rows": rows, "section": "campaigns", "q": request.GET.get("q", "")}
    )


@workspace_view("ads.view")
def campaign_detail(request, campaign_id: int, *, guard_form=None, status: int = 200):
    campaign = campaign_or_404(request, campaign_id)
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
                    {
                        "ad": ad,
                        "insights": by_ad.get(ad.pk),
                        "comments": stats.get(ad.pk),
                        "guard_pause": _guard_pause(campaign, ad),
                    }
                    for ad in ads
                    if ad.ad_set_id == ad_set.pk
                ],
            }
        )
    context = {
        "campaign": campaign,
        "ad_sets": ad_sets,
        "comments": comment_totals(list(stats.values())),
        "chart": insights_chart(series),
        "section": "campaigns",
        "proposals": list(selectors.proposals(workspace=request.workspace, campaign=campaign.pk)[:3]),
        "can_manage": has_permission(request.membership, "ads.manage"),
        "approval_needed": services.approval_needed(campaign),
        "approve_refusal": services.campaign_approve_refusal(
            campaign=campaign, membership=request.membership
        ),
        "variant_count": selectors.variants(workspace=request.workspace, campaign=campaign.pk).count(),
        "guard_form": guard_form
        or CommentGuardForm.for_guard(comments.comment_guard_clean(campaign.comment_guard or {})),
    }
    return render(request, "ads/campaign.html", context, status=status)


def _guard_pause(campaign, ad) -> dict | None:
    """The comment guard's pause of this ad, while the ad is still paused, with its times read."""
    note = (campaign.comment_guard_pauses or {}).get(str(ad.pk))
    if not note or ad.status != "PAUSED" or note.get("state") == "superseded":
        return None
    times = {
        name: parse_datetime(str(note.get(name) or "")) for name in ("paused_at", "confirmed_at", "retry_at")
    }
    return {**note, **times}


@workspace_view("ads.manage")
@require_POST
def campaign_guard(request, campaign_id: int):
    """Switch the comment guard on or off and set where negative-comment alerts go (audited)."""
    campaign = campaign_or_404(request, campaign_id)
    form = CommentGuardForm(request.POST)
    if form.is_valid():
        try:
            comments.campaign_comment_guard_set(
                campaign=campaign, guard=form.guard(), by=request.user, request=request
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    # The rule's own problems read "webhook_url: …"; each goes next to its field.
                    key, _sep, text = problem.partition(": ")
                    if field == "comment_guard" and key in form.fields:
                        form.add_error(key, text)
                    else:
                        form.add_error(None, f"{field}: {problem}")
        else:
            messages.success(request, _("Comment guard saved."))
            return redirect("ads:campaign", campaign.pk)
    return campaign_detail(request, campaign_id, guard_form=form, status=400)


@workspace_view("ads.manage")
@require_POST
def campaign_guard_secret_rotate(request, campaign_id: int):
    """A fresh signing secret for the campaign's alert webhook; the previous one keeps signing
    beside it for the grace period (audited)."""
    campaign = campaign_or_404(request, campaign_id)
    try:
        alert_delivery.campaign_comment_alert_secret_rotate(
            campaign=campaign, by=request.user, request=request
        )
    except ValidationError:
        messages.error(request, _("Set a webhook URL before rotating its secret."))
    else:
        messages.success(
            request,
            _("New webhook signing secret. For %(hours)s hours alerts are signed with the previous one too.")
            % {"hours": settings.CXM_WEBHOOK_SECRET_GRACE_HOURS},
        )
    return redirect("ads:campaign", campaign.pk)
