"""Ads pages: campaigns with spend and ROAS, a campaign's insights over time, comments under ads,
the campaign builder (feed, template, generation), the variant grid and budget proposals."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ads import alert_delivery, comments, selectors, services, webhooks
from ads.compliance import available_countries
from ads.forms import BuilderForm, BulkForm, CommentGuardForm, FeedUploadForm, VariantFilterForm, WaiveForm
from ads.models import Ad, AdCampaign, ProposalStatus
from cxm.channels.connectors.base import ConnectorError
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
def campaign_detail(request, campaign_id: int, *, guard_form=None, status: int = 200):
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
        "comments": _sum_stats(list(stats.values())),
        "chart": _chart(series),
        "section": "campaigns",
        "proposals": list(selectors.proposals(workspace=request.workspace, campaign=campaign.pk)[:3]),
        "can_manage": has_permission(request.membership, "ads.manage"),
        "approval_needed": services.approval_needed(campaign),
        "approve_refusal": services.campaign_approve_refusal(campaign=campaign, membership=request.membership),
        "variant_count": selectors.variants(workspace=request.workspace, campaign=campaign.pk).count(),
        "guard_form": guard_form
        or CommentGuardForm.for_guard(comments.comment_guard_clean(campaign.comment_guard or {})),
    }
    return render(request, "ads/campaign.html", context, status=status)


@workspace_view("ads.manage")
@require_POST
def campaign_guard(request, campaign_id: int):
    """Switch the comment guard on or off and set where negative-comment alerts go (audited)."""
    campaign = _campaign(request, campaign_id)
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
    campaign = _campaign(request, campaign_id)
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
    context = {
        "chart": _chart(series),
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
    campaign = _campaign(request, _int(request.POST["campaign"])) if request.POST.get("campaign") else None
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


def _guard_pause(campaign, ad) -> dict | None:
    """The comment guard's pause of this ad, while the ad is still paused, with its times read."""
    note = (campaign.comment_guard_pauses or {}).get(str(ad.pk))
    if not note or ad.status != "PAUSED" or note.get("state") == "superseded":
        return None
    times = {
        name: parse_datetime(str(note.get(name) or "")) for name in ("paused_at", "confirmed_at", "retry_at")
    }
    return {**note, **times}


def _can_work(request) -> bool:
    return has_permission(request.membership, "care.work")


def _int(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def _errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or on the form when it has none)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


# --- campaign builder -------------------------------------------------------------------------------


def _template_of(request, campaign: AdCampaign):
    """The template the campaign's variants were last generated from, if any."""
    variant = selectors.variants(workspace=request.workspace, campaign=campaign.pk).order_by("-pk").first()
    return variant.template if variant else None


def _builder_initial(request, campaign: AdCampaign, feeds) -> dict:
    template = _template_of(request, campaign)
    locale = selectors.campaign_locale(campaign=campaign)
    initial = {"feed": feeds.first(), "formats": ["feed_square"], "languages": locale.language}
    if locale.country in available_countries():
        initial["country"] = locale.country
    if template is not None:
        names = [name for name in BuilderForm.base_fields if hasattr(template, name)]
        initial.update({name: getattr(template, name) for name in names})
        initial["formats"] = template.formats or ["feed_square"]
    if request.GET.get("feed"):
        initial["feed"] = feeds.filter(pk=_int(request.GET["feed"])).first() or initial["feed"]
    return initial


def _builder_page(request, campaign, *, upload=None, form=None, status=200):
    feeds = selectors.feeds(workspace=request.workspace)
    form = form or BuilderForm(feeds=feeds, initial=_builder_initial(request, campaign, feeds))
    shown = None
    if request.GET.get("feed"):
        shown = feeds.filter(pk=_int(request.GET["feed"])).first()
    context = {
        "campaign": campaign,
        "upload": upload
        or FeedUploadForm(
            initial={"default_currency": selectors.campaign_locale(campaign=campaign).currency}
        ),
        "form": form,
        "feed": shown,
        "section": "campaigns",
    }
    return render(request, "ads/builder.html", context, status=status)


@workspace_view("ads.manage")
def builder(request, campaign_id: int):
    """A template over a product feed; Generate expands it into the campaign's variants."""
    campaign = _campaign(request, campaign_id)
    if request.method != "POST":
        return _builder_page(request, campaign)
    form = BuilderForm(request.POST, feeds=selectors.feeds(workspace=request.workspace))
    if form.is_valid():
        try:
            template = services.template_save(
                workspace=request.workspace,
                template=_template_of(request, campaign),
                by=request.user,
                request=request,
                **form.template_fields(),
            )
            result = services.variants_generate(
                template=template,
                feed=form.cleaned_data["feed"],
                segments=form.cleaned_data["segments"],
                languages=form.cleaned_data["languages"],
                formats=form.cleaned_data["formats"],
                campaign=campaign,
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(
                request,
                _("%(n)s variants generated: %(ready)s ready, %(blocked)s blocked, %(errors)s with errors.")
                % {
                    "n": result.variants,
                    "ready": result.ready,
                    "blocked": result.blocked,
                    "errors": result.with_errors,
                },
            )
            return redirect("ads:variants", campaign_id=campaign.pk)
    return _builder_page(request, campaign, form=form, status=400)


@require_POST
@workspace_view("ads.manage")
def feed_upload(request, campaign_id: int):
    """Store a CSV feed, uploaded or fetched from a URL (then kept fetched on the schedule): good rows
    kept, each bad row shown with its line, field and reason."""
    campaign = _campaign(request, campaign_id)
    upload = FeedUploadForm(request.POST, request.FILES)
    if upload.is_valid():
        data = upload.cleaned_data
        common = {
            "workspace": request.workspace,
            "name": data["name"],
            "default_currency": data["default_currency"]
            or selectors.campaign_locale(campaign=campaign).currency,
            "by": request.user,
            "request": request,
        }
        try:
            if data["url"]:
                feed = services.feed_create_from_url(url=data["url"], **common)
            else:
                feed = services.feed_upload_csv(content=data["file"], **common)
        except ValidationError as error:
            _errors(upload, error)
        else:
            messages.success(request, _("Feed saved."))
            return redirect(f"{reverse('ads:builder', args=[campaign.pk])}?feed={feed.pk}")
    return _builder_page(request, campaign, upload=upload, status=400)


# --- variant grid -----------------------------------------------------------------------------------

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
    campaign = _campaign(request, campaign_id)
    context = _grid(request, campaign)
    if request.htmx:
        return render(request, "ads/_variant_grid.html", context)
    return render(request, "ads/variants.html", {**context, "section": "campaigns"})


@require_POST
@workspace_view("ads.manage")
def variant_bulk(request, campaign_id: int):
    """Find/replace, exclude or include over the ticked rows (or all the filter matches)."""
    campaign = _campaign(request, campaign_id)
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
    campaign = _campaign(request, campaign_id)
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
    campaign = _campaign(request, campaign_id)
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


# --- budget proposals -------------------------------------------------------------------------------


@require_POST
@workspace_view("ads.manage")
def proposal_create(request, campaign_id: int):
    campaign = _campaign(request, campaign_id)
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
    campaign = _campaign(request, campaign_id)
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


@csrf_exempt
def meta_webhook(request, account_id: int):
    """Meta's Page webhook for an ad account: the subscription handshake, then signed `feed`
    changes whose new comments under our ads become paid mentions at once."""
    account = selectors.ad_account_for_webhook(account_id=account_id)
    if account is None:
        return JsonResponse({"error": "not_found", "detail": "No ad account with this id."}, status=404)
    if request.method == "GET":
        challenge = webhooks.subscription_challenge(
            account=account,
            mode=request.GET.get("hub.mode", ""),
            token=request.GET.get("hub.verify_token", ""),
            challenge=request.GET.get("hub.challenge", ""),
        )
        if challenge is None:
            return JsonResponse(
                {"error": "forbidden", "detail": "Wrong or missing verify token."}, status=403
            )
        return HttpResponse(challenge, content_type="text/plain")
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        webhooks.signature_check(
            account=account, body=request.body, header=request.headers.get("X-Hub-Signature-256", "")
        )
    except webhooks.WebhookRefused as exc:
        return JsonResponse({"error": "invalid_signature", "detail": str(exc)}, status=401)
    try:
        payload = json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return JsonResponse({"error": "invalid_json", "detail": "The body is not JSON."}, status=400)
    result = webhooks.comments_receive(account=account, payload=payload)
    return JsonResponse(
        {
            "comments": result.comments,
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "skipped": result.skipped,
        }
    )
