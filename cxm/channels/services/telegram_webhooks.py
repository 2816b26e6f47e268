"""A Telegram bot's webhook deliveries: one Update per request, for the account in the URL.

Telegram sends the `secret_token` given to `setWebhook` in the X-Telegram-Bot-Api-Secret-Token
header of every delivery; it is compared in constant time with the one stored (encrypted) with the
account. A delivery without it, or for a bot that polls (no secret stored), is refused, and so is
a wrong one. A good one is read by the account's connector and delivered to the sinks in one
transaction, as polled items are; sinks key items on platform and external id, so an update
Telegram delivers again (it retries until it gets a 2xx) or that also came by polling is one item.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cxm.channels.connectors.base import ConnectorError
from cxm.channels.models import AccountStatus, ChannelAccount
from cxm.channels.services.accounts import account_connector
from cxm.channels.services.sync import inbound_context
from cxm.channels.sinks import deliver

logger = logging.getLogger(__name__)


class SecretTokenRefused(Exception):
    """The delivery does not carry the bot's secret token; `missing` tells which case it is."""

    def __init__(self, message: str, *, missing: bool) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class TelegramDelivery:
    accepted: int  # items handed to the sinks
    ignored: str = ""  # why nothing was delivered, when nothing was


def telegram_secret_check(*, account: ChannelAccount, header: str | None) -> None:
    """Raise SecretTokenRefused unless `header` is the secret token set with the bot's webhook."""
    expected = str((account.credentials or {}).get("webhook_secret") or "")
    if not header:
        raise SecretTokenRefused("The X-Telegram-Bot-Api-Secret-Token header is missing.", missing=True)
    if not expected:
        raise SecretTokenRefused("This bot receives its updates by polling, not by webhook.", missing=False)
    if not hmac.compare_digest(header.encode(), expected.encode()):
        raise SecretTokenRefused("The X-Telegram-Bot-Api-Secret-Token header is wrong.", missing=False)


def telegram_update_receive(*, account: ChannelAccount, update: Any) -> TelegramDelivery:
    """Deliver the item of a verified update (a message in a private chat, or one that mentions
    the bot in a group); other updates and a paused account's are acknowledged and dropped."""
    if account.status == AccountStatus.PAUSED:
        logger.info("telegram webhook: account %s is paused; update dropped", account.pk)
        return TelegramDelivery(accepted=0, ignored="paused")
    if not isinstance(update, dict):
        return TelegramDelivery(accepted=0, ignored="not an update")
    try:
        items = account_connector(account).update_items(update)
    except ConnectorError as exc:
        # Acknowledged all the same: Telegram would only send it again and again.
        logger.warning("telegram webhook: account %s cannot read an update: %s", account.pk, exc)
        return TelegramDelivery(accepted=0, ignored="unreadable")
    if not items:
        return TelegramDelivery(accepted=0, ignored="nothing to keep")
    with transaction.atomic():
        deliver(inbound_context(account, source="webhook"), items)
        ChannelAccount.objects.filter(pk=account.pk).update(
            items_received=F("items_received") + len(items), last_item_at=timezone.now()
        )
    return TelegramDelivery(accepted=len(items))
