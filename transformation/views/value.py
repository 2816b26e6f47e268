"""Value and ROI pages: the value drivers with their progress from baseline toward target (admins
add, change and delete them), and the ROI case prefilled from the measured benefits, which anyone
may recompute and admins save; as CSV and as a printable page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cxm.tenancy.decorators import workspace_view
from cxm.tenancy.permissions import has_permission
from transformation import roi as roi_math
from transformation import selectors as live
from transformation.kpis.registry import KPIS
from transformation.models import DriverCategory
from transformation.value import benefits
from transformation.value import selectors as value_selectors
from transformation.value import services as value_services
from transformation.views.overview import unit_display

TREND_DAYS = 90
BLANK_BENEFITS = 1
BLANK_COSTS = 2
TYPED_COST_RISK = 10  # percent: a cost typed in is usually known from a quote


def _may_manage(request) -> bool:
    return has_permission(request.membership, "transformation.manage")


def display(amount: float | None, unit: str) -> str:
    if amount is None:
        return "—"
    return unit_display(amount, unit)


# --- value drivers -----------------------------------------------------------------------------------


class DriverForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=DriverCategory.choices)
    name = forms.CharField(label=gettext_lazy("Value"), max_length=200)
    kpi = forms.ChoiceField(label=gettext_lazy("Measured by"), choices=[(k.key, k.name) for k in KPIS])
    baseline = forms.FloatField(
        label=gettext_lazy("Baseline"),
        required=False,
        help_text=gettext_lazy("Leave empty to use the measured baseline."),
    )
    target = forms.FloatField(label=gettext_lazy("Target"))


def _value_context(request, *, form: DriverForm | None = None, editing: int | None = None) -> dict[str, Any]:
    grouped = value_selectors.drivers_progress(workspace=request.workspace, days=TREND_DAYS)
    categories = []
    for key, label in DriverCategory.choices:
        rows = []
        for progress in grouped[key]:
            unit = progress.kpi.unit if progress.kpi else ""
            rows.append(
                {
                    "progress": progress,
                    "chart": value_selectors.trend_chart(progress),
                    "baseline": display(progress.baseline, unit),
                    "current": display(progress.current, unit),
                    "target": display(progress.driver.target, unit),
                    "edit_form": DriverForm(initial=_driver_initial(progress.driver))
                    if editing == progress.driver.pk
                    else None,
                }
            )
        categories.append({"key": key, "label": label, "rows": rows})
    return {
        "section": "value",
        "categories": categories,
        "has_drivers": any(c["rows"] for c in categories),
        "suggestions": value_selectors.driver_suggestions(workspace=request.workspace),
        "form": form or DriverForm(),
        "may_manage": _may_manage(request),
        "period": benefits.baseline_period(workspace=request.workspace),
        "editing": editing,
        "trend_days": TREND_DAYS,
    }


def _driver_initial(driver) -> dict[str, Any]:
    return {
        "category": driver.category,
        "name": driver.name,
        "kpi": driver.kpi,
        "baseline": driver.baseline,
        "target": driver.target,
    }


@workspace_view("transformation.view")
def value_page(request):
    return render(request, "transformation/value.html", _value_context(request))


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    for name, messages_ in error.message_dict.items():
        form.add_error(name if name in form.fields else None, messages_)


@workspace_view("transformation.manage")
@require_POST
def driver_add(request):
    if "suggestion" in request.POST:
        raw = request.POST["suggestion"]
        try:
            value_services.driver_suggestion_add(
                workspace=request.workspace,
                index=int(raw) if raw.isdigit() else -1,
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("transformation:value")
    form = DriverForm(request.POST)
    if form.is_valid():
        try:
            value_services.driver_create(
                workspace=request.workspace, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Value driver added."))
            return redirect("transformation:value")
    return render(request, "transformation/value.html", _value_context(request, form=form), status=400)


def _driver(request, driver_id: int):
    driver = value_selectors.driver_get(workspace=request.workspace, driver_id=driver_id)
    if driver is None:
        raise Http404
    return driver


@workspace_view("transformation.manage")
def driver_edit(request, driver_id: int):
    driver = _driver(request, driver_id)
    if request.method != "POST":
        return render(request, "transformation/value.html", _value_context(request, editing=driver.pk))
    form = DriverForm(request.POST)
    if form.is_valid():
        try:
            value_services.driver_update(driver=driver, by=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Value driver saved."))
            return redirect("transformation:value")
    context = _value_context(request, editing=driver.pk)
    for category in context["categories"]:
        for row in category["rows"]:
            if row["progress"].driver.pk == driver.pk:
                row["edit_form"] = form
    return render(request, "transformation/value.html", context, status=400)


@workspace_view("transformation.manage")
@require_POST
def driver_delete(request, driver_id: int):
    value_services.driver_delete(driver=_driver(request, driver_id), by=request.user, request=request)
    messages.success(request, _("Value driver deleted."))
    return redirect("transformation:value")


# --- ROI ---------------------------------------------------------------------------------------------


def _percent(raw: str, default: float) -> Any:
    """A percent field as a ratio; what is not a number goes through as typed, for the error."""
    raw = (raw or "").strip().replace(",", ".")
    if raw == "":
        return default
    try:
        return round(float(raw) / 100, 6)
    except ValueError:
        return raw


def _amount(raw: str) -> Any:
    raw = (raw or "").strip().replace(",", "")
    if raw == "":
        return 0
    try:
        return float(raw)
    except ValueError:
        return raw


def _form_lines(post, kind: str) -> list[dict[str, Any]]:
    """The rows of one kind as typed; a row without a name and without any amount is left out."""
    lines = []
    count = int(post.get(f"{kind}-count", "0") or 0) if post.get(f"{kind}-count", "").isdigit() else 0
    for index in range(min(count, 100)):
        prefix = f"{kind}-{index}-"
        name = post.get(prefix + "name", "").strip()
        amounts = [post.get(f"{prefix}y{year}", "") for year in (1, 2, 3)]
        initial = post.get(prefix + "initial", "")
        if not name and not any(a.strip() for a in [*amounts, initial]):
            continue
        source = "measured" if post.get(prefix + "source") == "measured" else "typed"
        line: dict[str, Any] = {"name": name, "annual": [_amount(a) for a in amounts], "source": source}
        if kind == "cost":
            line["initial"] = _amount(initial)
            line["risk"] = _percent(post.get(prefix + "risk", ""), TYPED_COST_RISK / 100)
        elif source == "measured":
            line["risk"] = _percent(post.get(prefix + "risk", ""), float(roi_math.RISK_MEASURED))
            for extra in ("kpi", "evidence", "source_url"):
                line[extra] = post.get(prefix + extra, "")
        else:
            line["risk"] = float(roi_math.RISK_TYPED)
        lines.append(line)
    return lines


def _form_data(post) -> dict[str, Any]:
    return {
        "discount_rate": _percent(post.get("discount_rate", ""), float(roi_math.DEFAULT_DISCOUNT_RATE)),
        "benefits": _form_lines(post, "benefit"),
        "costs": _form_lines(post, "cost"),
    }


def _as_percent(ratio: Any) -> Any:
    return round(ratio * 100, 4) if isinstance(ratio, int | float) else ratio


def _rows(
    lines: list[dict[str, Any]], kind: str, errors: dict[str, list[str]], blanks: int
) -> list[dict[str, Any]]:
    plural = "benefits" if kind == "benefit" else "costs"
    rows = []
    for index, line in enumerate(lines):
        path_ = f"{plural}[{index}]"
        rows.append(
            {
                **line,
                "risk_percent": _as_percent(line.get("risk")),
                "errors": [
                    m for key, ms in errors.items() if key == path_ or key.startswith(path_ + ".") for m in ms
                ],
            }
        )
    default_risk = roi_math.RISK_TYPED * 100 if kind == "benefit" else TYPED_COST_RISK
    rows += [
        {
            "name": "",
            "annual": ["", "", ""],
            "initial": "",
            "source": "typed",
            "risk_percent": default_risk,
            "errors": [],
        }
        for _blank in range(blanks)
    ]
    return rows


def _roi_context(
    request,
    data: dict[str, Any],
    *,
    extra_benefits: int = BLANK_BENEFITS,
    extra_costs: int = BLANK_COSTS,
    case=None,
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    results = table = None
    try:
        parsed = roi_math.roi_parse(data)
    except roi_math.RoiInputError as error:
        errors = error.translated(_)
    else:
        results = roi_math.roi_compute(parsed)
        table = roi_math.yearly_table(parsed)
    settings = live.transformation_settings(workspace=request.workspace)
    measured = benefits.measured_benefits(workspace=request.workspace)
    return {
        "section": "roi",
        "data": data,
        "discount_percent": _as_percent(data.get("discount_rate")),
        "benefit_rows": _rows(data.get("benefits", []), "benefit", errors, extra_benefits),
        "cost_rows": _rows(data.get("costs", []), "cost", errors, extra_costs),
        "errors": errors,
        "top_errors": [
            m for key in ("discount_rate", "name", "non_field_errors") for m in errors.get(key, [])
        ],
        "results": results,
        "table": table,
        "currency": settings.currency,
        "settings": settings,
        "unpriced": [b for b in measured if not b.annual],
        "measured": measured,
        "cases": value_selectors.roi_cases(workspace=request.workspace)[:20],
        "case": case,
        "may_manage": _may_manage(request),
        "period": benefits.baseline_period(workspace=request.workspace),
        "risk_typed": int(roi_math.RISK_TYPED * 100),
    }


def _case_data(request) -> tuple[dict[str, Any], Any]:
    """The input to show: a saved case (?case=), else the measured benefits."""
    raw = request.GET.get("case", "")
    if raw:
        case = value_selectors.roi_case_get(workspace=request.workspace, case_id=int(raw)) if raw.isdigit() else None
        if case is None:
            raise Http404
        return {"discount_rate": float(case.discount_rate), **case.inputs}, case
    return value_selectors.roi_prefill(workspace=request.workspace), None


@workspace_view("transformation.view")
def roi_page(request):
    """GET opens the measured (or a saved) case; POST recomputes what is in the form: htmx asks for
    the results only, a plain submit (adding a line) gets the whole page back."""
    if request.method == "POST":
        data = _form_data(request.POST)
        add = request.POST.get("add", "")
        context = _roi_context(
            request,
            data,
            extra_benefits=BLANK_BENEFITS + (add == "benefit"),
            extra_costs=BLANK_COSTS + (add == "cost"),
        )
        if request.htmx:
            return render(request, "transformation/_roi_results.html", context)
        return render(request, "transformation/roi.html", context)
    data, case = _case_data(request)
    return render(request, "transformation/roi.html", _roi_context(request, data, case=case))


@workspace_view("transformation.manage")
@require_POST
def roi_save(request):
    data = _form_data(request.POST)
    try:
        case = value_services.roi_case_save(
            workspace=request.workspace,
            name=request.POST.get("case_name", ""),
            data=data,
            by=request.user,
            request=request,
        )
    except roi_math.RoiInputError as error:
        context = _roi_context(request, data)
        context["errors"] = {**context["errors"], **error.translated(_)}
        context["top_errors"] = [
            m for key in ("discount_rate", "name") for m in context["errors"].get(key, [])
        ]
        return render(request, "transformation/roi.html", context, status=400)
    messages.success(request, _("ROI case saved."))
    return redirect(f"{reverse('transformation:roi')}?case={case.pk}")


def _export_data(request) -> tuple[dict[str, Any], Any]:
    if request.method == "POST":
        return _form_data(request.POST), None
    return _case_data(request)


@workspace_view("transformation.view")
def roi_export(request):
    data, case = _export_data(request)
    try:
        body = value_selectors.roi_csv(
            data=data, currency=live.transformation_settings(workspace=request.workspace).currency
        )
    except roi_math.RoiInputError:
        return HttpResponse(
            _("The case has invalid figures; correct them on the ROI page first."), status=400
        )
    name = slugify(case.name) if case else "measured"
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="roi-{name or "case"}.csv"'
    return response


@workspace_view("transformation.view")
def roi_print(request):
    data, case = _export_data(request)
    context = _roi_context(request, data, extra_benefits=0, extra_costs=0, case=case)
    return render(request, "transformation/roi_print.html", context, status=400 if context["errors"] else 200)


@workspace_view("transformation.view")
def roi_source(request, kpi: str):
    source = benefits.kpi_source(workspace=request.workspace, kpi=kpi)
    if source is None:
        raise Http404
    unit = source["kpi"].unit
    return render(
        request,
        "transformation/roi_source.html",
        {
            "section": "roi",
            "source": source,
            "baseline": display(source["baseline"].value, unit) if source["baseline"] else None,
            "current": display(source["current"].value, unit) if source["current"] else None,
        },
    )


urlpatterns = [
    path("value/", value_page, name="value"),
    path("value/drivers/add/", driver_add, name="driver-add"),
    path("value/drivers/<int:driver_id>/", driver_edit, name="driver-edit"),
    path("value/drivers/<int:driver_id>/delete/", driver_delete, name="driver-delete"),
    path("roi/", roi_page, name="roi"),
    path("roi/save/", roi_save, name="roi-save"),
    path("roi/export.csv", roi_export, name="roi-export"),
    path("roi/print/", roi_print, name="roi-print"),
    path("roi/sources/<str:kpi>/", roi_source, name="roi-source"),
]
