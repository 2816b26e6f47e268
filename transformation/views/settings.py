"""The workspace's transformation settings (admins): the money figures the value and ROI models
use, the baseline period and an imported earlier one, and the workspace's own KPI bands."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cxm.tenancy.decorators import workspace_view
from transformation import selectors as live
from transformation import services, setup


class SettingsForm(forms.Form):
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3)
    operating_margin = forms.DecimalField(
        label=gettext_lazy("Operating margin"),
        max_digits=5,
        decimal_places=4,
        help_text=gettext_lazy("Revenue benefits count at this margin (0.15 = 15 %)."),
    )
    loaded_hourly_cost = forms.DecimalField(
        label=gettext_lazy("Loaded hourly cost of an agent"), max_digits=10, decimal_places=2
    )
    discount_rate = forms.DecimalField(
        label=gettext_lazy("Discount rate"), max_digits=5, decimal_places=4, help_text="0.10 = 10 %"
    )
    baseline_start = forms.DateField(
        label=gettext_lazy("Onboarding day"),
        required=False,
        help_text=gettext_lazy(
            "The baseline is the 28 days from this day; empty: from the first measured day."
        ),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class BaselineForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Earlier period (CSV: kpi,value,n,since,until)"),
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "placeholder": "kpi,value,n,since,until\nenjoy_resolution_time,30.5,1200,2026-01-01,2026-01-28",
            }
        ),
    )


class BandForm(forms.Form):
    kpi = forms.CharField()
    edges = forms.CharField(label=gettext_lazy("Edges, worst to best"))

    def cleaned_edges(self) -> list[float]:
        try:
            return [
                float(part)
                for part in self.cleaned_data["edges"].replace(";", ",").split(",")
                if part.strip()
            ]
        except ValueError:
            raise ValidationError({"edges": _("Six numbers separated by commas.")}) from None


def _page(
    request, *, settings_form=None, baseline_form=None, baseline_errors=None, band_errors=None, status=200
):
    row = live.transformation_settings(workspace=request.workspace)
    settings_form = settings_form or SettingsForm(
        initial={
            "currency": row.currency,
            "operating_margin": row.operating_margin,
            "loaded_hourly_cost": row.loaded_hourly_cost,
            "discount_rate": row.discount_rate,
            "baseline_start": row.baseline_start,
        }
    )
    imported = [{"kpi": key, **figure} for key, figure in sorted((row.baseline_imported or {}).items())]
    context = {
        "section": "settings",
        "settings_form": settings_form,
        "baseline_form": baseline_form or BaselineForm(),
        "baseline_errors": baseline_errors or [],
        "imported": imported,
        "bands": live.bands_effective(workspace=request.workspace),
        "band_errors": band_errors or {},
    }
    return render(request, "transformation/settings.html", context, status=status)


@workspace_view("transformation.manage")
def settings_page(request):
    if request.method != "POST":
        return _page(request)
    form = SettingsForm(request.POST)
    if form.is_valid():
        try:
            setup.settings_update(
                workspace=request.workspace, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("transformation:settings")
    return _page(request, settings_form=form, status=400)


@workspace_view("transformation.manage")
@require_POST
def baseline_import(request):
    if request.POST.get("clear"):
        setup.baseline_import_clear(workspace=request.workspace, by=request.user, request=request)
        messages.success(request, _("Imported baseline removed."))
        return redirect("transformation:settings")
    form = BaselineForm(request.POST)
    if not form.is_valid():
        return _page(request, baseline_form=form, status=400)
    kept, errors = setup.baseline_import(
        workspace=request.workspace, text=form.cleaned_data["text"], by=request.user, request=request
    )
    if errors:
        messages.warning(
            request, _("%(kept)s rows kept, %(bad)s with errors.") % {"kept": kept, "bad": len(errors)}
        )
        return _page(request, baseline_form=form, baseline_errors=errors, status=400 if not kept else 200)
    messages.success(request, _("%(kept)s baseline figures imported.") % {"kept": kept})
    return redirect("transformation:settings")


@workspace_view("transformation.manage")
@require_POST
def band_update(request):
    form = BandForm(request.POST)
    if not form.is_valid():
        return _page(
            request, band_errors={request.POST.get("kpi", ""): _("Give the KPI and its edges.")}, status=400
        )
    kpi = form.cleaned_data["kpi"]
    try:
        if request.POST.get("reset"):
            services.band_override_clear(
                workspace=request.workspace, kpi=kpi, by=request.user, request=request
            )
        else:
            services.band_override_set(
                workspace=request.workspace,
                kpi=kpi,
                edges=form.cleaned_edges(),
                by=request.user,
                request=request,
            )
    except ValidationError as error:
        return _page(request, band_errors={kpi: " ".join(error.messages)}, status=400)
    messages.success(request, _("Band saved."))
    return redirect(f"{reverse('transformation:settings')}#band-{kpi}")


urlpatterns = [
    path("settings/", settings_page, name="settings"),
    path("settings/baseline/", baseline_import, name="baseline-import"),
    path("settings/bands/", band_update, name="band-update"),
]
