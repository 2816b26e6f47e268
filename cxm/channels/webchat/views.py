"""Admin → Accounts → Website chat: make a brand's chat, list the sites allowed to show it, copy
the snippet; and the demo site a person can try the demo brand's chat on."""

from __future__ import annotations

from urllib.parse import urljoin

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cxm.channels.webchat import selectors, services
from cxm.tenancy import selectors as tenancy_selectors
from cxm.tenancy.decorators import workspace_view

DEMO_WORKSPACE = "demo"  # the slug platform_bootstrap gives the Demo workspace


class OriginsField(forms.CharField):
    """One origin per line (or separated by spaces or commas)."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "https://shop.example.com"})

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [part for part in text.replace(",", " ").split() if part]


class WidgetForm(forms.Form):
    brand = forms.ModelChoiceField(label=gettext_lazy("Brand"), queryset=None)
    allowed_origins = OriginsField(
        label=gettext_lazy("Sites allowed to show the chat"),
        required=False,
        help_text=gettext_lazy("One origin per line, e.g. https://shop.example.com."),
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["brand"].queryset = tenancy_selectors.brands(workspace=workspace).filter(
            is_competitor=False
        )


class OriginsForm(forms.Form):
    allowed_origins = WidgetForm.base_fields["allowed_origins"]


def _errors_on(form: forms.Form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


def script_url() -> str:
    """Where brands' pages load the widget from: this server, at the address people open it at."""
    return urljoin(f"{settings.CXM_BASE_URL}/", static("webchat/widget.js"))


def _saved(request, form: forms.Form, write, message: str):
    """Run the service: its refusal goes on the form (None), its success back to the chat's page."""
    try:
        widget = write()
    except ValidationError as error:
        _errors_on(form, error)
        return None
    messages.success(request, message)
    return redirect("channels:webchat-detail", widget_id=widget.pk)


@workspace_view("channels.manage")
def widget_list(request):
    form = WidgetForm(request.POST or None, workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        done = _saved(
            request,
            form,
            lambda: services.widget_create(
                workspace=request.workspace,
                brand=form.cleaned_data["brand"],
                allowed_origins=form.cleaned_data["allowed_origins"],
                by=request.user,
                request=request,
            ),
            _("Website chat created: paste its snippet into the brand's pages."),
        )
        if done:
            return done
    context = {"widgets": selectors.widgets(workspace=request.workspace), "form": form, "tab": "accounts"}
    return render(request, "channels/webchat_list.html", context)


@workspace_view("channels.manage")
def widget_detail(request, widget_id: int):
    widget = selectors.widget_get(workspace=request.workspace, widget_id=widget_id)
    if widget is None:
        raise Http404
    form = OriginsForm(request.POST or None, initial={"allowed_origins": "\n".join(widget.allowed_origins)})
    if request.method == "POST" and form.is_valid():
        done = _saved(
            request,
            form,
            lambda: services.widget_origins_set(
                widget=widget,
                allowed_origins=form.cleaned_data["allowed_origins"],
                by=request.user,
                request=request,
            ),
            _("Saved."),
        )
        if done:
            return done
    context = {
        "widget": widget,
        "form": form,
        "snippet": services.widget_snippet(widget, script_url=script_url()),
        "tab": "accounts",
    }
    return render(request, "channels/webchat_detail.html", context)


def demo_site(request):
    """A page of a pretend shop embedding the Demo workspace's website chat (with CXM_DEMO on)."""
    widget = selectors.demo_widget(workspace_slug=DEMO_WORKSPACE) if settings.CXM_DEMO else None
    if widget is None:
        raise Http404
    return render(request, "channels/webchat_demo.html", {"widget": widget})
