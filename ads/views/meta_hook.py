"""Meta's Page webhook for an ad account."""

from __future__ import annotations

import json

from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from ads import selectors, webhooks


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
