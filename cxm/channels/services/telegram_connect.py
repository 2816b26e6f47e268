"""Connecting a Telegram bot: the bot names itself, and its updates are routed to us.

A bot token is all an admin gives. `telegram_bot_identify` asks Telegram who the token belongs to
(`getMe`): that bot's username becomes the account's handle (a handle the admin typed must name the
same bot) and its id `options.bot_id`. `telegram_updates_route` then decides how updates reach us:
by webhook when CXM_BASE_URL is an https address Telegram can call (`setWebhook` to
`<CXM_BASE_URL>/hooks/telegram/<account id>/` with a new random `secret_token`, stored encrypted
with the credentials), else by polling (`deleteWebhook`, then the scheduled sync calls
`getUpdates`). `accounts.account_create` calls both; `account_update` calls
`telegram_bot_reconnect` (both again, for the same bot) when a new token, server or handle is
typed; the `telegram_route` command routes every bot again after CXM_BASE_URL changed.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from cxm.channels.connectors.base import AuthError, ConnectorError, RateLimited
from cxm.channels.connectors.telegram import DELIVERY_POLLING, DELIVERY_WEBHOOK, TelegramConnector
from cxm.channels.models import ChannelAccount
from cxm.channels.outbound import address_is_public

# Options the connection keeps for itself; an edit of the account's options leaves them as they are.
TELEGRAM_OWN_OPTIONS = ("bot_id", "delivery")
# setWebhook: "Ports currently supported for webhooks: 443, 80, 88, 8443."
WEBHOOK_PORTS = {443, 80, 88, 8443}


@dataclass(frozen=True)
class TelegramBot:
    handle: str  # the username getMe answers (without @), or the id of a bot without one
    bot_id: str
    name: str


def telegram_bot_identify(*, connector: TelegramConnector, typed_handle: str = "") -> TelegramBot:
    """Who the token belongs to; a ValidationError naming the credentials when Telegram refuses
    the token or cannot be asked, or the handle when the admin typed another bot's."""
    try:
        me = connector.bot()
    except AuthError as exc:
        raise ValidationError({"credentials": f"Telegram did not accept the bot_token: {exc}"}) from None
    except RateLimited as exc:
        raise ValidationError(
            {"credentials": f"Telegram could not check the bot_token now; try again in a minute ({exc})."}
        ) from None
    except ConnectorError as exc:
        raise ValidationError(
            {"credentials": f"Telegram could not check the bot_token now; try again ({exc})."}
        ) from None
    bot = TelegramBot(
        handle=str(me.get("username") or me["id"]),
        bot_id=str(me["id"]),
        name=" ".join(str(me[k]) for k in ("first_name", "last_name") if me.get(k)),
    )
    typed = _bare_handle(typed_handle)
    if typed and typed not in (bot.handle.lower(), bot.bot_id):
        raise ValidationError(
            {
                "handle": f"This bot_token belongs to @{bot.handle}, not {typed_handle.strip()}; give that handle."
            }
        )
    return bot


def telegram_bot_reconnect(
    *,
    account: ChannelAccount,
    connector_for: Callable[[ChannelAccount], TelegramConnector],
    typed_handle: str = "",
) -> None:
    """After a new token, server or handle was typed: it must still name the same bot, whose
    updates are then routed again (a new token may belong to a bot whose webhook is not ours)."""
    bot = telegram_bot_identify(connector=connector_for(account), typed_handle=typed_handle)
    known = str((account.options or {}).get("bot_id") or "")
    if known and bot.bot_id != known:
        message = f"This bot_token belongs to another bot (@{bot.handle}); connect it as a new account."
        raise ValidationError({"credentials": message})
    account.handle = bot.handle
    account.options = {**(account.options or {}), "bot_id": bot.bot_id}
    account.save()
    telegram_updates_route(account=account, connector=connector_for(account))


def telegram_updates_route(*, account: ChannelAccount, connector: TelegramConnector) -> str:
    """Point the bot's updates at us, by webhook or by polling (see the module docstring), and
    save the way chosen; "webhook" or "polling". A refusal by Telegram is a ValidationError."""
    url = telegram_webhook_url(account)
    credentials = dict(account.credentials or {})
    try:
        if url:
            secret = secrets.token_urlsafe(32)  # A-Z, a-z, 0-9, _ and -, as setWebhook requires
            connector.set_webhook(url=url, secret_token=secret)
            credentials["webhook_secret"] = secret
        else:
            connector.delete_webhook()
            credentials.pop("webhook_secret", None)
    except ConnectorError as exc:
        where = f"to {url}" if url else "by polling"
        raise ValidationError(f"Telegram refused to send this bot's updates {where}: {exc}") from None
    delivery = DELIVERY_WEBHOOK if url else DELIVERY_POLLING
    account.credentials = credentials
    account.options = {**(account.options or {}), "delivery": delivery}
    account.save(update_fields=["credentials", "options", "updated_at"])
    return delivery


def telegram_webhook_url(account: ChannelAccount) -> str:
    """Our endpoint for the bot's updates, or "" when Telegram could not call CXM_BASE_URL (not
    https, a loopback or private address, a port Telegram does not call)."""
    base = (settings.CXM_BASE_URL or "").rstrip("/")
    parts = urlsplit(base)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or 443
    except ValueError:
        return ""
    if parts.scheme != "https" or not host or host == "localhost" or host.endswith(".localhost"):
        return ""
    if port not in WEBHOOK_PORTS:
        return ""
    try:
        if not address_is_public(ipaddress.ip_address(host)):
            return ""
    except ValueError:
        pass  # a name: Telegram resolves it itself, and says so if it cannot
    return base + reverse("telegram-webhook", args=[account.pk])


def _bare_handle(value: str) -> str:
    """A handle as typed ("@Acme_Bot", "https://t.me/acme_bot", "acme_bot") in getMe's form."""
    value = value.strip()
    for prefix in ("https://t.me/", "http://t.me/", "t.me/", "@"):
        value = value.removeprefix(prefix)
    return value.strip("/").lower()
