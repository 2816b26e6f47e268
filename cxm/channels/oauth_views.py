"""Connecting an account by signing in with the platform (OAuth 2.0, `services.oauth2`): the start
sends the browser to the platform's consent page, the callback checks the state, and the
platform's own step (`CONNECT`) exchanges the code and connects the account it names."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cxm.channels.services import oauth2, x_connect
from cxm.tenancy.decorators import workspace_view
from cxm.web.errors import validation_message

logger = logging.getLogger(__name__)

# The platform's step after the code comes back: it connects (or re-connects) the account.
CONNECT = {oauth2.X.name: x_connect.x_account_connect}


def _provider_or_404(name: str) -> oauth2.Provider:
    provider = oauth2.provider_get(name)
    if provider is None or name not in CONNECT:
        raise Http404
    return provider


@require_GET
@workspace_view("channels.manage")
def oauth2_connect_start(request, provider: str):
    """Send the browser to the platform's consent page with a state bound to this session."""
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
    return redirect(oauth2.authorization_start(provider=chosen, session=request.session))


@require_GET
@workspace_view("channels.manage")
def oauth2_connect_callback(request, provider: str):
    """The platform sends the browser back here with a code (or an error) and our state."""
    chosen = _provider_or_404(provider)
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
    if connected.created:
        messages.success(request, _("Account connected: %(account)s") % {"account": connected.account})
    else:
        messages.success(request, _("Account re-connected: %(account)s") % {"account": connected.account})
    return redirect("channels:accounts")
