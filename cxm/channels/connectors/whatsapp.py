"""WhatsApp Business Cloud API: answering customers who write to a business phone number, over
the Graph API as Meta documents it (developers.facebook.com/documentation/business-messaging/whatsapp).

The account's handle is the phone number id (not the number itself); `base_url` is the Graph host
(`https://graph.facebook.com`), to which the API version (`options.api_version`, default `v21.0`)
is appended unless the address already names one, as for Meta ad accounts. Credentials:
`access_token` (a system user token with whatsapp_business_messaging, and
whatsapp_business_management to list templates). Options: `waba_id` (the WhatsApp Business
Account the number belongs to, which owns the message templates), `api_version`,
`rate_limit_default_seconds`.

Inbound messages are never polled: WhatsApp pushes them to the app's webhook, whose endpoint hands
each `entry[].changes[].value` of field `messages` to `webhook_items` (customer messages, as direct
messages) and `webhook_statuses` (sent / delivered / read / failed of our own messages). `fetch`
answers nothing and leaves the cursor as it was.

Sending: `reply` sends free text (`type: text`), which WhatsApp accepts only within 24 hours of the
customer's last message (`window_open`); after that only an approved template
(`send_template`) may be sent, and a free text is refused with 131047, which becomes a
PermanentError saying so.

Exactly once: the Cloud API takes no idempotency key and has no way to list the messages a number
has sent, so a send whose answer was lost cannot be looked up and adopted the way the ad
connector does. What protects a reply is the outbox's claim: the message row is locked and leased
before the call, a redelivered task finds it sent or in flight and does nothing, and only a
worker that dies after WhatsApp accepted the message but before the outcome was recorded leaves
a lease that, once expired, sends it again. To let that one case be recognised afterwards, every
message carries its idempotency key as `biz_opaque_callback_data`, which WhatsApp does not act on
but echoes in the status webhooks of that message (`webhook_statuses` hands it back).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

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
)
from cxm.channels.connectors.graph import DEFAULT_RATE_LIMIT_SECONDS, GraphCaller, graph_error
from cxm.channels.sinks import DeliveryStatus

logger = logging.getLogger(__name__)

PLATFORM = "whatsapp"
# "The maximum length of a text message body is 4096 characters."
MAX_TEXT = 4096
# The customer-service window: free text is allowed within 24 hours of the customer's last message.
SERVICE_WINDOW = timedelta(hours=24)
# `biz_opaque_callback_data` holds at most 512 characters.
MAX_CALLBACK_DATA = 512
TEMPLATE_FIELDS = "id,name,language,status,category,components"

# Cloud API error codes (support/error-codes), by what the caller should do about them.
WINDOW_CLOSED = 131047  # Re-engagement message: more than 24 hours since the customer last replied
RATE_LIMIT_CODES = {
    130429,  # Rate limit hit: the number's message throughput was reached
    131048,  # Spam rate limit hit: restrictions on how many messages this number may send
    131056,  # (Business Account, Consumer Account) pair rate limit hit: too many to this customer
}
PAIR_RATE_LIMIT = 131056
AUTH_CODES = {
    0,  # AuthException: the access token expired, was invalidated or the user blocked the app
    10,  # Permission denied: not granted or revoked
    190,  # Access token has expired
}
TRANSIENT_CODES = {
    131000,  # Something went wrong: unknown error, try again
    131016,  # Service unavailable: a service is temporarily unavailable
    133004,  # Server temporarily unavailable
}
MEANINGS = {
    131026: "the message could not be delivered (not a WhatsApp number, old app, or terms not accepted)",
    131049: "not delivered to keep engagement healthy (per-customer marketing limit)",
    131051: "this message type is not supported",
    131052: "the customer's media could not be downloaded",
    131053: "the media could not be uploaded",
    132000: "the template's parameters do not match its placeholders",
    132001: "the template does not exist in this language or is not approved",
    132005: "the template's text is too long once its parameters are filled",
    132007: "the template breaks a formatting policy",
    132012: "a template parameter has the wrong format",
    132015: "the template is paused for low quality",
    132016: "the template is disabled for low quality",
    133010: "the phone number is not registered with the Cloud API",
    131031: "the business account is locked",
    368: "the account is restricted for policy violations",
}


@dataclass(frozen=True)
class TemplateParameter:
    """One placeholder of a template component: `{{1}}` (positional) or `{{name}}` (named)."""

    component: str  # HEADER, BODY, BUTTON
    name: str  # "1", "2"... or the named parameter
    example: str = ""


@dataclass(frozen=True)
class Template:
    """A message template of the WhatsApp Business Account, as `GET /{waba-id}/message_templates`
    lists it; only APPROVED ones can be sent."""

    id: str
    name: str
    language: str
    status: str
    category: str = ""
    components: list[dict[str, Any]] = field(default_factory=list)
    parameters: list[TemplateParameter] = field(default_factory=list)

    @property
    def approved(self) -> bool:
        return self.status.upper() == "APPROVED"


class WhatsAppConnector:
    platform: ClassVar[str] = PLATFORM

    page_size: int = 100

    def webhook_items(self, value: dict[str, Any]) -> list[Item]:
        """The messages of one webhook change's `value` (see the module's `webhook_items`)."""
        return webhook_items(value)

    def webhook_statuses(self, value: dict[str, Any]) -> list[DeliveryStatus]:
        """Our messages' delivery statuses in one webhook change's `value`."""
        return [
            DeliveryStatus(
                external_id=status["id"],
                status=status["status"],
                at=status["timestamp"],
                recipient=status["recipient_id"],
                errors=tuple(status["errors"]),
                raw=status,
            )
            for status in webhook_statuses(value)
        ]

    def __init__(self, config: AccountConfig, *, http: httpx.Client | None = None) -> None:
        self.config = config
        self._graph = GraphCaller(
            config,
            http=http,
            token=config.credentials.get("access_token", ""),
            what="WhatsApp number",
            errors=whatsapp_error,
        )
        self.phone_number_id = config.handle.strip()
        self.waba_id = str(config.options.get("waba_id") or "").strip()

    # The versioned Graph address and the HTTP client, as the contract tests read and swap them.
    @property
    def _base(self) -> str:
        return self._graph.base

    @property
    def _http(self) -> httpx.Client:
        return self._graph.http

    @_http.setter
    def _http(self, client: httpx.Client) -> None:
        self._graph.http = client

    # --- the common connector interface -------------------------------------------------------------

    def check(self) -> str:
        """`GET /{phone-number-id}`: the verified business name and the number customers see."""
        info = self.phone_number()
        name = str(info.get("verified_name") or "")
        number = str(info.get("display_phone_number") or "")
        if name and number:
            return f"{name} ({number})"
        return name or number or self.phone_number_id

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        # WhatsApp pushes messages to the webhook; there is nothing to poll.
        return FetchPage(items=[], cursor=cursor, more=False)

    def publish(self, outgoing: Outgoing) -> Published:
        raise NotSupported("a WhatsApp number does not publish posts; it answers customers who wrote")

    def reply(self, outgoing: Outgoing) -> Published:
        """Answer a customer with free text (see the module docstring for the 24-hour window and
        for why a retried send is protected by the outbox's claim, not by WhatsApp)."""
        to = recipient_number(outgoing.recipient)
        text = outgoing.text.strip()
        if not text:
            raise PermanentError("the reply is empty")
        if len(text) > MAX_TEXT:
            raise PermanentError(f"WhatsApp takes at most {MAX_TEXT} characters in a text message")
        return self._send(
            to,
            {"type": "text", "text": {"preview_url": False, "body": text}},
            key=outgoing.idempotency_key,
        )

    def fetch_metrics(self, external_ids: list[str]) -> list[PostMetrics]:
        return []

    def limits(self) -> Limits:
        return Limits(max_text_length=MAX_TEXT, max_media=0, can_publish=False, can_reply=True)

    # --- the phone number and its templates -----------------------------------------------------------

    def phone_number(self) -> dict[str, Any]:
        return self._call(
            "GET",
            self.phone_number_id,
            params={"fields": "id,display_phone_number,verified_name,quality_rating"},
        )

    def templates(self, *, status: str | None = None, max_pages: int = 20) -> list[Template]:
        """The WhatsApp Business Account's message templates, every page (`paging.next`)."""
        if not self.waba_id:
            raise PermanentError("the WhatsApp account has no WhatsApp Business Account id (options.waba_id)")
        found: list[Template] = []
        after = None
        for _ in range(max_pages):
            params: dict[str, Any] = {"fields": TEMPLATE_FIELDS, "limit": self.page_size}
            if status:
                params["status"] = status
            if after:
                params["after"] = after
            body = self._call("GET", f"{self.waba_id}/message_templates", params=params)
            found.extend(template_from(row) for row in body.get("data") or [] if isinstance(row, dict))
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not (paging.get("next") and after):
                break
        return found

    def send_template(
        self,
        *,
        to: str,
        name: str,
        language: str,
        components: list[dict[str, Any]] | None = None,
        key: str = "",
    ) -> Published:
        """Send an approved template (allowed outside the 24-hour window): `type: template` with
        its name, `language.code` and the `components` whose `parameters` fill its placeholders,
        e.g. `[{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}]`."""
        if not name.strip() or not language.strip():
            raise PermanentError("a template message names the template and its language")
        template: dict[str, Any] = {"name": name.strip(), "language": {"code": language.strip()}}
        if components:
            template["components"] = components
        return self._send(recipient_number(to), {"type": "template", "template": template}, key=key)

    # --- HTTP ----------------------------------------------------------------------------------------------

    def _send(self, to: str, message: dict[str, Any], *, key: str) -> Published:
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            **message,
        }
        if key:
            payload["biz_opaque_callback_data"] = key[:MAX_CALLBACK_DATA]
        body = self._call("POST", f"{self.phone_number_id}/messages", json=payload)
        messages = body.get("messages") or []
        message_id = messages[0].get("id") if messages and isinstance(messages[0], dict) else None
        if not message_id:
            raise PermanentError(f"WhatsApp accepted no message: {str(body)[:200]}")
        return Published(external_id=str(message_id), raw=body)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        # Every call of a number names it; without one nothing can be asked (a token is checked
        # first by the caller, so a missing token still reads as needing credentials).
        if self._graph.token and not self.phone_number_id:
            raise PermanentError("the WhatsApp account names no phone number id")
        return self._graph.call(method, path, **kwargs)


def whatsapp_error(
    status: int, body: Any, headers: Any, *, default_retry: float = DEFAULT_RATE_LIMIT_SECONDS
) -> ConnectorError | None:
    """Map a Cloud API answer onto the connector errors (None when it is a success).

    The WhatsApp codes first (the window, the throughput and pair limits, tokens), then the Graph
    API's own (`graph_error`: 4/17/32/613 throttling, 1/2 transient, the rest refused).
    """
    error = body.get("error") if isinstance(body, dict) else None
    if status < 400 and not error:
        return None
    details = error if isinstance(error, dict) else {}
    try:
        code = int(details.get("code"))
    except (TypeError, ValueError):
        code = None
    data = details.get("error_data") if isinstance(details.get("error_data"), dict) else {}
    detail = str(data.get("details") or "")
    message = str(details.get("message") or "")[:300]
    label = f"{message} (code {code})" + (f": {detail[:300]}" if detail else "")
    if code == WINDOW_CLOSED:
        return PermanentError(
            "The 24-hour customer-service window is closed (the customer last wrote more than 24 hours "
            f"ago): only an approved template can be sent now. {label}"
        )
    if code in RATE_LIMIT_CODES:
        # Graph's own reading of the throttling headers (Retry-After, X-Business-Use-Case-Usage).
        throttled = graph_error(429, body, headers, default_retry=default_retry)
        wait = throttled.retry_after if isinstance(throttled, RateLimited) else default_retry
        # The pair limit holds back messages to this one customer; the number serves the others.
        return RateLimited(f"rate limited: {label}", retry_after=wait, account_wide=code != PAIR_RATE_LIMIT)
    if code in AUTH_CODES:
        return AuthError(f"not authorised: {label}")
    if code in TRANSIENT_CODES:
        return TransientError(f"WhatsApp error {status}: {label}")
    if code in MEANINGS:
        return PermanentError(f"refused: {MEANINGS[code]}. {label}")
    return graph_error(status, body, headers, default_retry=default_retry)


def recipient_number(value: str) -> str:
    """The customer's number as the `to` field takes it: the WhatsApp id, digits only (E.164
    without the +), from `+6281234567890`, `6281234567890` or `+62 812-3456-7890`."""
    digits = re.sub(r"\D", "", value or "")
    if not digits:
        raise PermanentError("no WhatsApp number to write to")
    return digits


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether free text may be sent: the customer wrote less than 24 hours before `now`."""
    return last_inbound_at is not None and now - last_inbound_at < SERVICE_WINDOW


def template_from(row: dict[str, Any]) -> Template:
    components = [c for c in row.get("components") or [] if isinstance(c, dict)]
    return Template(
        id=str(row.get("id") or ""),
        name=str(row.get("name") or ""),
        language=str(row.get("language") or ""),
        status=str(row.get("status") or ""),
        category=str(row.get("category") or ""),
        components=components,
        parameters=template_parameters(components),
    )


_PLACEHOLDER = re.compile(r"\{\{\s*([\w]+)\s*\}\}")


def template_parameters(components: list[dict[str, Any]]) -> list[TemplateParameter]:
    """The placeholders to fill, per component, with their examples where the template has them
    (`example.body_text` for positional, `example.body_text_named_params` for named ones)."""
    found: list[TemplateParameter] = []
    for component in components:
        kind = str(component.get("type") or "").upper()
        if kind not in ("HEADER", "BODY"):
            continue
        names = list(dict.fromkeys(_PLACEHOLDER.findall(str(component.get("text") or ""))))
        example = component.get("example") if isinstance(component.get("example"), dict) else {}
        prefix = kind.lower()
        named = {
            str(p.get("param_name")): str(p.get("example") or "")
            for p in example.get(f"{prefix}_text_named_params") or []
            if isinstance(p, dict)
        }
        positional_rows = example.get(f"{prefix}_text") or []
        positional = (
            positional_rows[0]
            if positional_rows and isinstance(positional_rows[0], list)
            else (
                positional_rows
                if positional_rows and all(isinstance(v, str) for v in positional_rows)
                else []
            )
        )
        for name in names:
            sample = named.get(name, "")
            if not sample and name.isdigit() and 0 < int(name) <= len(positional):
                sample = str(positional[int(name) - 1])
            found.append(TemplateParameter(component=kind, name=name, example=sample))
    return found


# --- the webhook (pure functions: the endpoint hands them each change's `value`) -----------------------


def webhook_items(value: dict[str, Any]) -> list[Item]:
    """The customers' messages in one `entry[].changes[].value` of field `messages`, as direct
    messages: text, image, document, location and interactive (button / list) replies, the quick
    reply buttons of templates, and audio, video and stickers by their kind. The author is the
    customer's phone as E.164 (`+<wa_id>`) with their profile name; reactions, unsupported and
    system messages are left out."""
    if not isinstance(value, dict):
        return []
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    business_number = str(metadata.get("phone_number_id") or "")
    names = {
        str(contact.get("wa_id") or ""): str((contact.get("profile") or {}).get("name") or "")
        for contact in value.get("contacts") or []
        if isinstance(contact, dict)
    }
    items: list[Item] = []
    for message in value.get("messages") or []:
        if not isinstance(message, dict):
            continue
        text, attachments = _message_content(message)
        if text is None:
            continue
        wa_id = str(message.get("from") or "")
        phone = f"+{wa_id}" if wa_id else ""
        context = message.get("context") if isinstance(message.get("context"), dict) else {}
        raw: dict[str, Any] = {"message": message, "phone_number_id": business_number}
        if attachments:
            raw["attachments"] = attachments
        items.append(
            Item(
                platform=PLATFORM,
                external_id=str(message.get("id") or ""),
                author=Author(platform_id=phone, handle=phone, name=names.get(wa_id, "")),
                text=text,
                created_at=_timestamp(message.get("timestamp")),
                kind=ItemKind.DM,
                in_reply_to=str(context.get("id")) if context.get("id") else None,
                # One conversation per customer and business number.
                thread_id=f"{business_number}:{wa_id}" if business_number and wa_id else phone or None,
                raw=raw,
            )
        )
    return items


def webhook_statuses(value: dict[str, Any]) -> list[dict[str, Any]]:
    """The statuses of our own messages in one change's `value`: `id` (the wamid `reply` answered),
    `status` (sent, delivered, read, failed), `timestamp` (aware datetime), `recipient_id`,
    `errors` (each `{code, title, message, details}`) and `biz_opaque_callback_data` (the
    idempotency key the message was sent with, or "")."""
    if not isinstance(value, dict):
        return []
    found: list[dict[str, Any]] = []
    for status in value.get("statuses") or []:
        if not isinstance(status, dict):
            continue
        errors = []
        for error in status.get("errors") or []:
            if not isinstance(error, dict):
                continue
            data = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
            errors.append(
                {
                    "code": error.get("code"),
                    "title": str(error.get("title") or ""),
                    "message": str(error.get("message") or ""),
                    "details": str(data.get("details") or ""),
                }
            )
        found.append(
            {
                "id": str(status.get("id") or ""),
                "status": str(status.get("status") or ""),
                "timestamp": _timestamp(status.get("timestamp")),
                "recipient_id": str(status.get("recipient_id") or ""),
                "errors": errors,
                "biz_opaque_callback_data": str(status.get("biz_opaque_callback_data") or ""),
            }
        )
    return found


def _message_content(message: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """The text an agent reads for a message and its media; (None, []) for one left out."""
    kind = str(message.get("type") or "")
    body = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        return str(body.get("body") or ""), []
    if kind in ("image", "document", "audio", "video", "sticker"):
        attachment = {
            "kind": kind,
            "media_id": str(body.get("id") or ""),
            "content_type": str(body.get("mime_type") or ""),
            "filename": str(body.get("filename") or ""),
            "sha256": str(body.get("sha256") or ""),
        }
        caption = str(body.get("caption") or "")
        label = f"[{kind}{': ' + attachment['filename'] if attachment['filename'] else ''}]"
        return (f"{caption}\n{label}" if caption else label), [attachment]
    if kind == "location":
        place = ", ".join(str(body[k]) for k in ("name", "address") if body.get(k))
        where = f"{body.get('latitude')}, {body.get('longitude')}"
        return (f"[location: {place} ({where})]" if place else f"[location: {where}]"), []
    if kind == "interactive":
        reply_kind = str(body.get("type") or "")
        reply = body.get(reply_kind) if isinstance(body.get(reply_kind), dict) else {}
        title = str(reply.get("title") or "")
        description = str(reply.get("description") or "")
        return (f"{title} — {description}" if description else title), []
    if kind == "button":  # a quick reply button of a template
        return str(body.get("text") or body.get("payload") or ""), []
    return None, []


def _timestamp(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(tz=UTC)
