"""Meta's app-level webhook endpoint (Pages, Instagram, WhatsApp)."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from cxm.channels import meta_signature
from cxm.channels.services.meta_webhooks import meta_webhook_receive

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
            "ignored": len(result.ignored),
        }
    )
