"""Meta's app-level webhook endpoint (Pages, Instagram, WhatsApp), and "Connect Facebook &
Instagram" (Facebook Login, then a picker of what to add)."""

from __future__ import annotations

import hmac
import json
import logging
import secrets

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from cxm.channels import meta_signature
from cxm.channels.models import Platform
from cxm.channels.services import meta_connect
from cxm.channels.services.meta_webhooks import meta_webhook_receive
from cxm.tenancy import selectors as tenancy_selectors
from cxm.tenancy.decorators import workspace_view
from cxm.web.errors import validation_message

logger = logging.getLogger(__name__)


@csrf_exempt
def meta_webhook(request):
    """The subscription handshake, then signed deliveries for every Page, Instagram account and
    WhatsApp number of the app. Answers at once: Meta retries what is not answered 200 quickly."""
    if request.method == "GET":
        challenge = meta_signature.subscription_challenge(
            expected_token=settings.CXM_META_VERIFY_TOKEN,
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
        meta_signature.signature_check(
            secret=settings.CXM_META_APP_SECRET,
            body=request.body,
            header=request.headers.get(meta_signature.SIGNATURE_HEADER, ""),
            when_unset="CXM_META_APP_SECRET is not set, so no delivery can be verified",
        )
    except meta_signature.SignatureRefused as exc:
        logger.warning("meta webhook refused: %s", exc)
        return JsonResponse({"error": "invalid_signature", "detail": str(exc)}, status=401)
    try:
        payload = json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return JsonResponse({"error": "invalid_json", "detail": "The body is not JSON."}, status=400)
    result = meta_webhook_receive(payload=payload)
    return JsonResponse(
        {
            "events": result.events,
            "accepted": result.accepted,
            "statuses": result.statuses,
            "deferred": result.deferred,
            "ignored": len(result.ignored),
        }
    )


# --- Connect Facebook & Instagram ------------------------------------------------------------------

NONCE_KEY = "channels.meta_connect.nonce"
DISCOVERY_KEY = "channels.meta_connect.discovery"
STATE_SALT = "channels.meta-connect.state"
STATE_MAX_AGE = 15 * 60  # seconds a person may spend on Facebook's dialog


class PickForm(forms.Form):
    accounts = forms.MultipleChoiceField(
        label=gettext_lazy("Accounts to add"), widget=forms.CheckboxSelectMultiple, choices=()
    )
    business_unit = forms.ModelChoiceField(label=gettext_lazy("Business unit"), queryset=None, required=False)
    brand = forms.ModelChoiceField(label=gettext_lazy("Brand"), queryset=None, required=False)

    def __init__(self, *args, workspace, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accounts"].choices = [(c.key, c.name) for c in candidates]
        self.fields["business_unit"].queryset = tenancy_selectors.business_units(workspace=workspace)
        self.fields["brand"].queryset = tenancy_selectors.brands(workspace=workspace)


@require_GET
@workspace_view("channels.manage")
def meta_connect_start(request):
    """Send the browser to Facebook's login dialog with a state bound to this session."""
    if not settings.CXM_META_APP_ID:
        messages.error(
            request, _("Connecting Facebook & Instagram needs CXM_META_APP_ID and CXM_META_APP_SECRET.")
        )
        return redirect("channels:accounts")
    nonce = secrets.token_urlsafe(32)
    request.session[NONCE_KEY] = nonce
    request.session.pop(DISCOVERY_KEY, None)
    state = signing.dumps(nonce, salt=STATE_SALT)
    return redirect(meta_connect.dialog_url(state=state))


def _state_matches(request) -> bool:
    nonce = request.session.pop(NONCE_KEY, None)
    try:
        signed = signing.loads(request.GET.get("state", ""), salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.BadSignature:
        return False
    return bool(nonce) and isinstance(signed, str) and hmac.compare_digest(signed, nonce)


@require_GET
@workspace_view("channels.manage")
def meta_connect_callback(request):
    """Facebook sends the browser back here with a code (or an error) and our state."""
    if not _state_matches(request):
        messages.error(
            request,
            _(
                "The sign-in with Facebook could not be verified (it expired or was not started here). Try again."
            ),
        )
        return redirect("channels:accounts")
    if request.GET.get("error") or not request.GET.get("code"):
        messages.error(request, _("Facebook did not grant access: nothing was connected."))
        return redirect("channels:accounts")
    try:
        discovery = meta_connect.meta_discover(code=request.GET["code"])
    except meta_connect.MetaConnectError as exc:
        logger.warning("meta connect: %s", exc)
        messages.error(request, _("Meta refused the sign-in: %(reason)s") % {"reason": exc})
        return redirect("channels:accounts")
    request.session[DISCOVERY_KEY] = meta_connect.discovery_seal(discovery)
    return redirect("channels:meta-connect-pick")


@workspace_view("channels.manage")
def meta_connect_pick(request):
    """The Pages, Instagram accounts, ad accounts and WhatsApp numbers found; the admin ticks some."""
    sealed = request.session.get(DISCOVERY_KEY)
    if not sealed:
        messages.error(request, _("Sign in with Facebook first."))
        return redirect("channels:accounts")
    discovery = meta_connect.discovery_open(sealed)
    form = PickForm(request.POST or None, workspace=request.workspace, candidates=discovery.candidates)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = meta_connect.meta_accounts_connect(
                workspace=request.workspace,
                discovery=discovery,
                keys=data["accounts"],
                business_unit=data["business_unit"],
                brand=data["brand"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, validation_message(error))
        else:
            request.session.pop(DISCOVERY_KEY, None)
            count = len(created)
            messages.success(
                request,
                ngettext("%(count)s account connected.", "%(count)s accounts connected.", count)
                % {"count": count},
            )
            return redirect("channels:accounts")
    labels = dict(Platform.choices)
    rows = [
        {
            "key": c.key,
            "platform": labels.get(c.platform, c.platform),
            "name": c.name,
            "detail": c.detail,
            "handle": c.handle,
        }
        for c in discovery.candidates
    ]
    context = {"form": form, "rows": rows, "chosen": form["accounts"].value() or [], "tab": "accounts"}
    return render(request, "channels/meta_connect_pick.html", context)
