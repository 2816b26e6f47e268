"""Telegram bots over the Bot API (core.telegram.org/bots/api): customers who write to the brand's
bot in a private chat, and group messages that mention the bot.

Every call is `POST <base>/bot<token>/<method>` with a JSON body; `base` is the account's `base_url`
(a self-hosted Bot API server) or `CXM_TELEGRAM_API_URL` (`https://api.telegram.org`). Every
answer is `{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description",
"parameters"?}` (#making-requests).
The token sits in the URL's path, so no message, log line or exception raised here names the URL:
they name the method only, and httpx's own request log is kept at WARNING (settings.LOGGING).

Credentials: `bot_token` (from @BotFather, `<digits>:<letters>`). The account's handle is the
bot's username as `getMe` answers it; `options.bot_id` its numeric id. `options.delivery` says how
updates arrive, which `cxm.channels.services.telegram_connect` decides when the bot is connected:

- `"webhook"`: Telegram POSTs each update to our endpoint (`setWebhook` with a `secret_token`,
  checked on every delivery); `fetch` then answers nothing and calls nothing.
- `"polling"` (no public address to be called at): `fetch` calls `getUpdates` with
  `offset` = the last update's id + 1, which also confirms the earlier ones to Telegram, and a
  short long-poll `timeout` (`options.poll_timeout`, 5 s) so a worker is not held long.

Items: a message in a private chat is a direct message (one thread per chat); a message in a group
or supergroup is kept only when it mentions the bot (`@username`, a mention of the bot's user, or a
reply to one of the bot's messages), as a post addressed to the brand. Text, or a caption with a
marker for what came with it (`[photo]`, `[document: name.pdf]`, `[location: lat, lon]`...).
External ids are `<chat id>:<message id>`, the same whichever way an update came, so a message
that arrives by webhook and again by polling is one item. Edits, channel posts and service
messages are left out.

Replies: `sendMessage` to the chat of the answered message, quoting it (`reply_parameters`, with
`allow_sending_without_reply` so a reply to a message the customer deleted still goes out). The
Bot API takes no idempotency key and a bot cannot read back what it sent, so what keeps a reply
from going out twice is care's outbox: the message is claimed under a lease before the call and a
redelivered task finds it sent or in flight. A worker that dies after Telegram accepted the message
and before the outcome was recorded leaves a lease that, once expired, sends it again.

Errors: 429 waits `parameters.retry_after`; 401 (and 404: a token Telegram does not recognise)
means the token needs replacing; 403 is a refusal about one chat (the customer blocked the bot, the
bot was removed from the group...), never about the token, so it fails that message with its
meaning and leaves the account connected; 5xx is retried.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
from django.conf import settings

from cxm.channels.connectors.base import (
    AccountConfig,
    AuthError,
    Author,
    ConnectorError,
    FetchPage,
    Item,
    ItemKind,
    Limits,
    NotSupported,
    Outgoing,
    PermanentError,
    PostMetrics,
    Published,
    RateLimited,
    TransientError,
    http_client,
    outbound_check,
)

PLATFORM = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
TOKEN_FORM = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,100}$")
# sendMessage: "Text of the message to be sent, 1-4096 characters after entities parsing".
MAX_TEXT = 4096
POLL_LIMIT = 100  # getUpdates: "Values between 1-100 are accepted"
DEFAULT_POLL_TIMEOUT = 5
MAX_POLL_TIMEOUT = 20
DEFAULT_RETRY_AFTER = 30.0
# Only new messages: edits, channel posts, reactions and the rest are not asked for.
ALLOWED_UPDATES = ["message"]
# Telegram keeps undelivered updates 24 hours, and after a week without updates it numbers the
# next one at random: an older offset could confirm (and so drop) new updates with lower ids.
STALE_OFFSET = timedelta(hours=24)
DELIVERY_WEBHOOK = "webhook"
DELIVERY_POLLING = "polling"
PRIVATE = "private"
GROUPS = ("group", "supergroup")

# What a 403 description means for the reply it refused (descriptions as the Bot API server words them).
FORBIDDEN_MEANINGS = {
    "bot was blocked by the user": (
        "the customer blocked the bot: Telegram delivers nothing to them until they unblock it"
    ),
    "user is deactivated": "the customer's Telegram account was deleted",
    "bot can't initiate conversation with a user": (
        "the customer never started a chat with the bot, so it cannot write to them first"
    ),
    "bot was kicked from the": "the bot was removed from this group",
    "bot is not a member of the": "the bot is no longer a member of this group",
}
MEDIA_KINDS = ("animation", "audio", "video", "video_note", "voice")


class TelegramConnector:
    platform: ClassVar[str] = PLATFORM

    def __init__(self, config: AccountConfig, *, http: httpx.Client | None = None) -> None:
        self.config = config
        self._token = str(config.credentials.get("bot_token") or "").strip()
        self._base_typed = bool(config.base_url.strip())
        self._base = config.base_url.strip().rstrip("/") or settings.CXM_TELEGRAM_API_URL.rstrip("/")
        self.username = config.handle.strip().lstrip("@")
        self.bot_id = str(config.options.get("bot_id") or "")
        self.delivery = str(config.options.get("delivery") or DELIVERY_POLLING)
        try:
            timeout = int(config.options.get("poll_timeout", DEFAULT_POLL_TIMEOUT))
        except (TypeError, ValueError):
            raise PermanentError("options.poll_timeout must be a whole number of seconds") from None
        self.poll_timeout = max(0, min(MAX_POLL_TIMEOUT, timeout))
        # The long poll waits up to poll_timeout before Telegram answers; the read allows for it.
        self._http = http or http_client(base_url=self._base, timeout=15.0 + self.poll_timeout)

    # --- the common connector interface ---------------------------------------------------------------

    def check(self) -> str:
        """`getMe`: the bot's @username as Telegram knows it."""
        bot = self.bot()
        return f"@{bot['username']}" if bot.get("username") else str(bot.get("id") or "")

    def bot(self) -> dict[str, Any]:
        """The bot itself (`getMe`, a User): `id`, `is_bot`, `first_name`, `username`..."""
        result = self._call("getMe", {})
        if not isinstance(result, dict) or not result.get("id"):
            raise TransientError("Telegram answered getMe without the bot")
        return result

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        """New messages since `cursor["offset"]` by `getUpdates`; nothing while a webhook delivers."""
        if self.delivery == DELIVERY_WEBHOOK:
            return FetchPage(items=[], cursor=cursor, more=False)
        payload: dict[str, Any] = {
            "limit": POLL_LIMIT,
            "timeout": self.poll_timeout,
            "allowed_updates": ALLOWED_UPDATES,
        }
        offset = _fresh_offset(cursor, datetime.now(UTC))
        if offset is not None:
            payload["offset"] = offset
        updates = self._call("getUpdates", payload)
        if not isinstance(updates, list):
            raise TransientError("Telegram answered getUpdates without a list of updates")
        updates = [u for u in updates if isinstance(u, dict) and isinstance(u.get("update_id"), int)]
        if not updates:
            # The cursor keeps the time of the last update: after a day without any, the next
            # poll asks without an offset (see STALE_OFFSET).
            return FetchPage(items=[], cursor=cursor, more=False)
        items = [item for update in updates for item in self.update_items(update)]
        next_cursor = {
            "offset": max(update["update_id"] for update in updates) + 1,
            "at": datetime.now(UTC).isoformat(),
        }
        return FetchPage(items=items, cursor=next_cursor, more=len(updates) >= POLL_LIMIT)

    def publish(self, outgoing: Outgoing) -> Published:
        raise NotSupported("a Telegram bot answers the people who write to it; it does not publish posts")

    def reply(self, outgoing: Outgoing) -> Published:
        """`sendMessage` to the answered message's chat, quoting it (see the module docstring for
        why a redelivered reply is not sent twice)."""
        text = outgoing.text.strip()
        if not text:
            raise PermanentError("the reply is empty")
        if len(text) > MAX_TEXT:
            raise PermanentError(f"Telegram takes at most {MAX_TEXT} characters in a message")
        chat_id, message_id = _reply_target(outgoing)
        payload: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if message_id is not None:
            payload["reply_parameters"] = {"message_id": message_id, "allow_sending_without_reply": True}
        sent = self._call("sendMessage", payload)
        if not isinstance(sent, dict) or not sent.get("message_id"):
            raise PermanentError(f"Telegram sent no message: {str(sent)[:200]}")
        chat = sent.get("chat") if isinstance(sent.get("chat"), dict) else {}
        return Published(external_id=f"{chat.get('id', chat_id)}:{sent['message_id']}", raw=sent)

    def fetch_metrics(self, external_ids: list[str]) -> list[PostMetrics]:
        return []

    def limits(self) -> Limits:
        return Limits(max_text_length=MAX_TEXT, max_media=0, can_publish=False, can_reply=True)

    # --- where updates go -----------------------------------------------------------------------------

    def set_webhook(self, *, url: str, secret_token: str) -> None:
        """Have Telegram POST every new message to `url` with `secret_token` in its header."""
        self._call(
            "setWebhook", {"url": url, "secret_token": secret_token, "allowed_updates": ALLOWED_UPDATES}
        )

    def delete_webhook(self) -> None:
        """Remove any webhook (ours or another program's), so `getUpdates` may be used; pending
        updates are kept for the poll to read."""
        self._call("deleteWebhook", {"drop_pending_updates": False})

    # --- updates into items ---------------------------------------------------------------------------

    def update_items(self, update: dict[str, Any]) -> list[Item]:
        """The item of one Update (#update), or none: only `message` updates, from people, in a
        private chat or mentioning the bot in a group."""
        message = update.get("message") if isinstance(update, dict) else None
        if not isinstance(message, dict):
            return []
        chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
        sender = message.get("from") if isinstance(message.get("from"), dict) else {}
        if sender.get("is_bot") or not chat.get("id") or not message.get("message_id"):
            return []
        kind = chat.get("type")
        if kind == PRIVATE:
            item_kind = ItemKind.DM
        elif kind in GROUPS and self._mentions_bot(message):
            item_kind = ItemKind.POST
        else:
            return []
        text, attachments = message_content(message)
        if text is None:
            return []
        chat_id = str(chat["id"])
        raw: dict[str, Any] = {"update_id": update.get("update_id"), "message": message}
        if attachments:
            raw["attachments"] = attachments
        replied = message.get("reply_to_message") if isinstance(message.get("reply_to_message"), dict) else {}
        return [
            Item(
                platform=PLATFORM,
                external_id=f"{chat_id}:{message['message_id']}",
                author=_author(sender, message),
                text=text,
                created_at=_timestamp(message.get("date")),
                kind=item_kind,
                url=_message_url(chat, message["message_id"]),
                in_reply_to=f"{chat_id}:{replied['message_id']}" if replied.get("message_id") else None,
                thread_id=chat_id,  # one conversation per chat
                language_hint=str(sender.get("language_code") or "") or None,
                raw=raw,
            )
        ]

    def _mentions_bot(self, message: dict[str, Any]) -> bool:
        replied = message.get("reply_to_message") if isinstance(message.get("reply_to_message"), dict) else {}
        replied_from = replied.get("from") if isinstance(replied.get("from"), dict) else {}
        if self.bot_id and str(replied_from.get("id") or "") == self.bot_id:
            return True
        text = str(message.get("text") or message.get("caption") or "")
        for entity in message.get("entities") or message.get("caption_entities") or []:
            if not isinstance(entity, dict):
                continue
            if entity.get("type") == "mention" and self.username:
                mentioned = _utf16_slice(text, entity.get("offset"), entity.get("length"))
                if mentioned.lower() == f"@{self.username.lower()}":
                    return True
            user = entity.get("user") if isinstance(entity.get("user"), dict) else {}
            if entity.get("type") == "text_mention" and self.bot_id and str(user.get("id")) == self.bot_id:
                return True
        return False

    # --- HTTP -----------------------------------------------------------------------------------------

    def _call(self, method: str, payload: dict[str, Any]) -> Any:
        if not self._token:
            raise AuthError("no bot token for this Telegram bot")
        if not TOKEN_FORM.match(self._token):
            raise AuthError("the bot token is not in the form @BotFather gives (<digits>:<letters>)")
        if self._base_typed:
            outbound_check(self._base, self.config)
        try:
            response = self._http.post(f"{self._base}/bot{self._token}/{method}", json=payload)
        except httpx.TimeoutException:
            # `from None`: httpx's exception carries the request, whose URL holds the token.
            raise TransientError(f"timed out: Telegram {method}") from None
        except httpx.TransportError as exc:
            raise TransientError(f"connection failed: Telegram {method} ({exc.__class__.__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        error = telegram_error(response.status_code, body, method=method)
        if error is not None:
            raise error
        return body["result"]


def telegram_error(status: int, body: Any, *, method: str = "") -> ConnectorError | None:
    """Map a Bot API answer onto the connector errors (None when `ok` is true)."""
    if isinstance(body, dict) and body.get("ok") is True and "result" in body:
        return None
    details = body if isinstance(body, dict) else {}
    try:
        code = int(details.get("error_code") or status)
    except (TypeError, ValueError):
        code = status
    description = str(details.get("description") or f"HTTP {status}")[:300]
    parameters = details.get("parameters") if isinstance(details.get("parameters"), dict) else {}
    label = f"{description} ({code}{', ' + method if method else ''})"
    if code == 429:
        try:
            wait = float(parameters.get("retry_after"))
        except (TypeError, ValueError):
            wait = DEFAULT_RETRY_AFTER
        return RateLimited(f"rate limited by Telegram: {label}", retry_after=max(0.0, wait))
    if code in (401, 404):
        return AuthError(f"Telegram does not accept the bot token: {label}; paste a new one from @BotFather")
    if code == 403:
        meaning = next((m for key, m in FORBIDDEN_MEANINGS.items() if key in description.lower()), "")
        return PermanentError(f"refused: {meaning}. {label}" if meaning else f"refused: {label}")
    if code == 409:
        return PermanentError(
            "Telegram refuses to hand out updates while a webhook is set for this bot or another program "
            f"reads them; reconnect the bot (cxm manage telegram_route) to route them here. {label}"
        )
    if parameters.get("migrate_to_chat_id"):
        return PermanentError(
            f"the group became a supergroup (now {parameters['migrate_to_chat_id']}); answer there. {label}"
        )
    if code >= 500 or status >= 500 or not details:
        return TransientError(f"Telegram error {status}: {label}")
    return PermanentError(f"refused: {label}")


def message_content(message: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """The text an agent reads for a message, and its media; (None, []) for one left out (service
    messages such as members joining)."""
    text = message.get("text")
    if isinstance(text, str):
        return text, []
    caption = str(message.get("caption") or "")
    label, attachment = _marker(message)
    if label is None:
        return None, []
    attachments = [attachment] if attachment else []
    return (f"{caption}\n{label}" if caption else label), attachments


def _marker(message: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    photos = message.get("photo")
    if isinstance(photos, list) and photos:
        largest = photos[-1] if isinstance(photos[-1], dict) else {}
        return "[photo]", {"kind": "photo", "file_id": str(largest.get("file_id") or "")}
    document = message.get("document")
    if isinstance(document, dict):
        name = str(document.get("file_name") or "")
        attachment = {
            "kind": "document",
            "file_id": str(document.get("file_id") or ""),
            "filename": name,
            "content_type": str(document.get("mime_type") or ""),
        }
        return (f"[document: {name}]" if name else "[document]"), attachment
    venue = message.get("venue") if isinstance(message.get("venue"), dict) else None
    location = message.get("location") if isinstance(message.get("location"), dict) else None
    if location is not None:
        where = f"{location.get('latitude')}, {location.get('longitude')}"
        place = ", ".join(str(venue[k]) for k in ("title", "address") if venue and venue.get(k))
        return (f"[location: {place} ({where})]" if place else f"[location: {where}]"), None
    for kind in MEDIA_KINDS:
        if isinstance(message.get(kind), dict):
            return f"[{kind.replace('_', ' ')}]", {
                "kind": kind,
                "file_id": str(message[kind].get("file_id") or ""),
            }
    sticker = message.get("sticker")
    if isinstance(sticker, dict):
        return " ".join(filter(None, ["[sticker", str(sticker.get("emoji") or "")])) + "]", None
    contact = message.get("contact")
    if isinstance(contact, dict):
        who = " ".join(str(contact[k]) for k in ("first_name", "last_name", "phone_number") if contact.get(k))
        return f"[contact: {who}]", None
    return None, None


def _author(sender: dict[str, Any], message: dict[str, Any]) -> Author:
    if not sender:  # an anonymous group admin speaks as the group (`sender_chat`)
        chat = message.get("sender_chat") if isinstance(message.get("sender_chat"), dict) else {}
        chat_id = str(chat.get("id") or "")
        return Author(platform_id=chat_id, handle=chat_id, name=str(chat.get("title") or ""))
    user_id = str(sender.get("id") or "")
    username = str(sender.get("username") or "")
    name = " ".join(str(sender[k]) for k in ("first_name", "last_name") if sender.get(k))
    return Author(
        platform_id=user_id,
        handle=f"@{username}" if username else user_id,
        name=name,
        url=f"https://t.me/{username}" if username else "",
    )


def _message_url(chat: dict[str, Any], message_id: Any) -> str:
    # Only messages of public groups (those with a username) have an address anyone can open.
    username = chat.get("username")
    return f"https://t.me/{username}/{message_id}" if username and chat.get("type") in GROUPS else ""


def _reply_target(outgoing: Outgoing) -> tuple[int | str, int | None]:
    """The chat to write to and the message to quote, from the answered item's external id
    (`<chat id>:<message id>`), else the conversation's chat."""
    answered = (outgoing.reply_to or "").strip()
    chat, _, message = answered.rpartition(":")
    if chat and re.fullmatch(r"-?\d+", chat) and message.isdigit():
        return int(chat), int(message)
    thread = (outgoing.thread_id or "").strip()
    if re.fullmatch(r"-?\d+", thread):
        return int(thread), None
    raise PermanentError("a Telegram reply names the chat it answers; this one names none")


def _fresh_offset(cursor: dict[str, Any], now: datetime) -> int | None:
    """The offset to ask from, unless the cursor is old enough for update ids to have restarted."""
    offset = cursor.get("offset")
    if not isinstance(offset, int):
        return None
    try:
        at = datetime.fromisoformat(str(cursor.get("at")))
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return offset if now - at < STALE_OFFSET else None


def _utf16_slice(text: str, offset: Any, length: Any) -> str:
    """Entities count in UTF-16 code units (#messageentity)."""
    if not isinstance(offset, int) or not isinstance(length, int):
        return ""
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="ignore")


def _timestamp(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(tz=UTC)
