"""The campaign builder: a template over a product feed, generated into variants."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ads import selectors, services
from ads.compliance import available_countries
from ads.forms import BuilderForm, FeedUploadForm
from ads.models import AdCampaign
from ads.views.shared import campaign_or_404, form_errors_add, int_or_404
from cxm.tenancy.decorators import workspace_view


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
        initial["feed"] = feeds.filter(pk=int_or_404(request.GET["feed"])).first() or initial["feed"]
    return initial


def _builder_page(request, campaign, *, upload=None, form=None, status=200):
    feeds = selectors.feeds(workspace=request.workspace)
    form = form or BuilderForm(feeds=feeds, initial=_builder_initial(request, campaign, feeds))
    shown = None
    if request.GET.get("feed"):
        shown = feeds.filter(pk=int_or_404(request.GET["feed"])).first()
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
    campaign = campaign_or_404(request, campaign_id)
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
            form_errors_add(form, error)
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
    campaign = campaign_or_404(request, campaign_id)
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
            form_errors_add(upload, error)
        else:
            messages.success(request, _("Feed saved."))
            return redirect(f"{reverse('ads:builder', args=[campaign.pk])}?feed={feed.pk}")
    return _builder_page(request, campaign, upload=upload, status=400)
