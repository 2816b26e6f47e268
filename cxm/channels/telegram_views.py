"""A Telegram bot's webhook endpoint: Telegram POSTs each update of the bot here."""

from __future__ import annotations

import json
import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cxm.channels import selectors
from cxm.channels.connectors.telegram import SECRET_HEADER
from cxm.channels.services.telegram_webhooks import (
    SecretTokenRefused,
    telegram_secret_check,
    telegram_update_receive,
)

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def telegram_webhook(request, account_id: int):
    """One update, answered at once: Telegram sends it again until it is answered 2xx. The
    secret token set with the webhook, not a session, is the credential."""
    account = selectors.telegram_account(account_id=account_id)
    if account is None:
        return JsonResponse({"error": "not_found", "detail": "No Telegram bot with this id."}, status=404)
    try:
        telegram_secret_check(account=account, header=request.headers.get(SECRET_HEADER))
    except SecretTokenRefused as exc:
        logger.warning("telegram webhook refused for account %s: %s", account.pk, exc)
        if exc.missing:
            return JsonResponse({"error": "missing_secret_token", "detail": str(exc)}, status=401)
        return JsonResponse({"error": "invalid_secret_token", "detail": str(exc)}, status=403)
    try:
        update = json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return JsonResponse({"error": "invalid_json", "detail": "The body is not JSON."}, status=400)
    result = telegram_update_receive(account=account, update=update)
    return JsonResponse({"accepted": result.accepted, "ignored": result.ignored})
