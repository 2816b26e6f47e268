"""Connecting an account by signing in with the platform (OAuth 2.0, `services.oauth2`): the start
asks where the new account belongs when the workspace has a choice to make, then sends the browser
to the platform's consent page; the callback checks the state, and the platform's own step
(`CONNECT`) exchanges the code and connects the account it names there (or re-connects it where
it already is)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from cxm.channels.services import oauth2, x_connect, youtube_connect
from cxm.tenancy import selectors as tenancy_selectors
from cxm.tenancy.decorators import workspace_view
from cxm.web.errors import validation_message
from cxm.web.security import CSP_HEADER, content_security_policy

logger = logging.getLogger(__name__)

# The platform's step after the code comes back: it connects (or re-connects) the account.
CONNECT = {
    oauth2.X.name: x_connect.x_account_connect,
    oauth2.YOUTUBE.name: youtube_connect.youtube_account_connect,
}
# Where the account a sign-in connects is to belong, kept from the start to the callback.
PLACE_KEY = "channels.oauth2.place.{name}"


class PlaceForm(forms.Form):
    business_unit = forms.ModelChoiceField(label=gettext_lazy("Business unit"), queryset=None, required=False)
    brand = forms.ModelChoiceField(label=gettext_lazy("Brand"), queryset=None, required=False)

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].queryset = tenancy_selectors.business_units(workspace=workspace)
        self.fields["brand"].queryset = tenancy_selectors.brands(workspace=workspace)

    def offers_a_choice(self) -> bool:
        """With one business unit and one brand at most, the account goes to them unasked."""
        return any(self.fields[name].queryset.count() > 1 for name in ("business_unit", "brand"))


def _provider_or_404(name: str) -> oauth2.Provider:
    provider = oauth2.provider_get(name)
    if provider is None or name not in CONNECT:
        raise Http404
    return provider


@require_GET
@workspace_view("channels.manage")
def oauth2_connect_start(request, provider: str):
    """Ask where the account belongs (when there is a choice), then send the browser to the
    platform's consent page with a state bound to this session. `go` skips the question: the
    chooser's own submit, and a re-connect, which leaves the account where it is."""
    chosen = _provider_or_404(provider)
    if not chosen.configured:
        messages.error(
            request,
            _("Connecting %(platform)s needs %(id)s and %(secret)s.")
            % {
                "platform": chosen.label,
                "id": chosen.client_id_setting,
                "secret": chosen.client_secret_setting,
            },
        )
        return redirect("channels:accounts")
    form = PlaceForm(request.GET, workspace=request.workspace)
    if "go" not in request.GET and form.offers_a_choice():
        form = PlaceForm(workspace=request.workspace)
    if not form.is_bound or not form.is_valid():
        context = {"form": form, "platform": chosen.label, "tab": "accounts"}
        response = render(request, "channels/oauth2_connect_place.html", context)
        # The form's answer redirects to the consent page, which form-action must allow.
        consent = urlsplit(chosen.authorize_url())
        response[CSP_HEADER] = content_security_policy(
            nonce=request.csp_nonce, form_targets=(f"{consent.scheme}://{consent.netloc}",)
        )
        return response
    place = form.cleaned_data
    request.session[PLACE_KEY.format(name=chosen.name)] = {
        name: place[name].pk if place[name] else None for name in ("business_unit", "brand")
    }
    return redirect(oauth2.authorization_start(provider=chosen, session=request.session))


def _place(request, provider: oauth2.Provider) -> dict:
    """The business unit and brand chosen at the start (used up either way); the workspace's own."""
    kept = request.session.pop(PLACE_KEY.format(name=provider.name), None) or {}
    unit_id, brand_id = kept.get("business_unit"), kept.get("brand")
    units = tenancy_selectors.business_units(workspace=request.workspace)
    brands = tenancy_selectors.brands(workspace=request.workspace)
    return {
        "business_unit": units.filter(pk=unit_id).first() if unit_id else None,
        "brand": brands.filter(pk=brand_id).first() if brand_id else None,
    }


@require_GET
@workspace_view("channels.manage")
def oauth2_connect_callback(request, provider: str):
    """The platform sends the browser back here with a code (or an error) and our state."""
    chosen = _provider_or_404(provider)
    place = _place(request, chosen)
    try:
        verifier = oauth2.authorization_verify(
            provider=chosen, session=request.session, state=request.GET.get("state", "")
        )
    except oauth2.StateRefused as exc:
        logger.warning("%s connect: %s", chosen.name, exc)
        messages.error(
            request,
            _(
                "The sign-in with %(platform)s could not be verified (it expired or was not started "
                "here). Try again."
            )
            % {"platform": chosen.label},
        )
        return redirect("channels:accounts")
    if request.GET.get("error") or not request.GET.get("code"):
        messages.error(
            request,
            _("%(platform)s did not grant access: nothing was connected.") % {"platform": chosen.label},
        )
        return redirect("channels:accounts")
    try:
        connected = CONNECT[chosen.name](
            workspace=request.workspace,
            code=request.GET["code"],
            verifier=verifier,
            **place,
            by=request.user,
            request=request,
        )
    except (oauth2.OAuth2Error, ValidationError) as exc:
        reason = validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
        logger.warning("%s connect: %s", chosen.name, reason)
        messages.error(
            request,
            _("%(platform)s refused the sign-in: %(reason)s") % {"platform": chosen.label, "reason": reason},
        )
        return redirect("channels:accounts")
    account = connected.account
    # A handle may say little to a person (a YouTube channel id): the name goes with it.
    named = (
        f"{account} ({account.display_name})" if account.display_name not in ("", account.handle) else account
    )
    if connected.created:
        messages.success(request, _("Account connected: %(account)s") % {"account": named})
    else:
        messages.success(request, _("Account re-connected: %(account)s") % {"account": named})
    return redirect("channels:accounts")
