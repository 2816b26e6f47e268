"""Every write of the website chat: widgets, visitors, the messages both ways, the agent typing.

A visitor's message is stored and handed to the inbound sinks in one transaction, as a direct
message (care files it into the customer's case); nothing is lost and nothing is filed twice.
An agent's reply arrives through care's outbox and the connector (`reply`), keyed by the outbox's
idempotency key: the same reply sent again finds its message and adds none. A reply to a visitor
who has left (no call from the widget for `VISITOR_AWAY`) and gave an address goes out by e-mail
too, once: `email_to` is decided when the message is stored and `emailed_at` set once it is sent.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cxm.audit.services import audit_record
from cxm.channels.connectors.base import Author, Item, ItemKind, Outgoing, PermanentError, Published
from cxm.channels.models import ChannelAccount, Platform
from cxm.channels.services.sync import inbound_context
from cxm.channels.sinks import deliver
from cxm.channels.site_mail import site_mail_send
from cxm.channels.webchat.models import Sender, WebchatMessage, WebchatVisitor, WebchatWidget
from cxm.channels.webchat.origins import origin_normalise, origins_normalise
from cxm.customers.models import CustomerProfile
from cxm.customers.services import AuthorKey, identities_resolve, identity_link
from cxm.tenancy.models import Brand, Workspace

MAX_TEXT = 2000  # characters a visitor may write in one message
MAX_AGENT_TEXT = 20_000  # what care lets an agent write
MAX_NAME = 100
MAX_EMAIL = 254
MAX_PAGE_URL = 500
# A visitor whose widget has not called for this long has left: replies go out by e-mail too.
VISITOR_AWAY = timedelta(seconds=60)
# The poll writes the visitor's last call only when it is this old, not every two seconds.
SEEN_EVERY = timedelta(seconds=20)
# An agent typing says so every two seconds; the visitor sees it this long after the last time.
TYPING_FOR = timedelta(seconds=6)
# NUL and lone UTF-16 surrogates: JSON strings may hold them, PostgreSQL's text may not.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def widget_snippet(widget: WebchatWidget, *, script_url: str) -> str:
    """The one tag a brand pastes into its pages."""
    return f'<script src="{script_url}" data-cxm-chat="{widget.key}" async></script>'


# --- widgets (the admin's side) -------------------------------------------------------------------


@transaction.atomic
def widget_create(
    *, workspace: Workspace, brand: Brand | None, allowed_origins: list[str], by=None, request=None
) -> WebchatWidget:
    """A website chat for one of the workspace's brands, with its channel account."""
    if brand is None or brand.workspace_id != workspace.pk:
        raise ValidationError({"brand": _("Choose one of this workspace's brands.")})
    if brand.is_competitor:
        raise ValidationError({"brand": _("A competitor's brand cannot have a website chat.")})
    origins = origins_normalise(allowed_origins)
    key = f"wc_{secrets.token_urlsafe(18)}"
    account = ChannelAccount.objects.create(
        workspace=workspace,
        platform=Platform.WEBCHAT,
        handle=key,
        display_name=brand.name,
        brand=brand,
        business_unit=brand.business_unit,
    )
    widget = WebchatWidget.objects.create(
        workspace=workspace, account=account, key=key, allowed_origins=origins
    )
    audit_record(
        workspace=workspace,
        actor=by,
        action="account.connect",
        target=account,
        after={"platform": Platform.WEBCHAT, "brand": brand.pk, "allowed_origins": origins},
        request=request,
    )
    return widget


@transaction.atomic
def widget_origins_set(
    *, widget: WebchatWidget, allowed_origins: list[str], by=None, request=None
) -> WebchatWidget:
    widget = (
        WebchatWidget.objects.select_for_update()
        .select_related("account")
        .get(workspace_id=widget.workspace_id, pk=widget.pk)
    )
    before = list(widget.allowed_origins)
    widget.allowed_origins = origins_normalise(allowed_origins)
    widget.save(update_fields=["allowed_origins"])
    audit_record(
        workspace=widget.account.workspace,
        actor=by,
        action="account.update",
        target=widget.account,
        before={"allowed_origins": before},
        after={"allowed_origins": widget.allowed_origins},
        request=request,
    )
    return widget


DEMO_BRAND = "Kopi Nusantara"


def demo_widget_seed(*, workspace: Workspace) -> WebchatWidget | None:
    """The demo brand's website chat, which the demo site (/demo/site/, on this server) embeds.
    It lists no other origin: this server's own pages are always allowed."""
    if WebchatWidget.objects.filter(workspace=workspace).exists():
        return None
    brand = Brand.objects.filter(workspace=workspace, name=DEMO_BRAND).first()
    if brand is None:
        return None
    return widget_create(workspace=workspace, brand=brand, allowed_origins=[])


# --- visitors and their messages ------------------------------------------------------------------


def _clean_text(value: str, *, field: str, limit: int, required: bool = False) -> str:
    text = (value or "").strip()
    if UNSTORABLE.search(text):
        raise ValidationError({field: _("Contains characters that cannot be stored.")})
    if required and not text:
        raise ValidationError({field: _("Write something to send.")})
    if len(text) > limit:
        raise ValidationError({field: _("At most %(limit)d characters.") % {"limit": limit}})
    return text


def _visitor_fields(*, name: str, email: str, language: str, page_url: str, origin: str) -> dict:
    name = CONTROL.sub("", _clean_text(name, field="name", limit=MAX_NAME))
    email = _clean_text(email, field="email", limit=MAX_EMAIL).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    language = (language or "").strip().lower()
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError(
            {"language": _("One of: %(codes)s.") % {"codes": ", ".join(dict(settings.LANGUAGES))}}
        )
    page_url = _clean_text(page_url, field="page", limit=MAX_PAGE_URL)
    if page_url:
        try:
            same_page = origin_normalise(page_url) == origin
        except ValidationError:
            same_page = False
        if not same_page:
            raise ValidationError({"page": _("The address of the page the chat is on.")})
    return {"name": name, "email": email, "language": language, "page_url": page_url}


def visitor_start(
    *,
    widget: WebchatWidget,
    origin: str,
    name: str = "",
    email: str = "",
    language: str = "",
    page_url: str = "",
    now: datetime | None = None,
) -> tuple[WebchatVisitor, str]:
    """Start a conversation (the pre-chat form); returns the visitor and their secret token,
    which is not stored and cannot be shown again. With an e-mail address the visitor's identity
    carries it as evidence, which links their customer profile to others with the same address."""
    fields = _visitor_fields(name=name, email=email, language=language, page_url=page_url, origin=origin)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        visitor = WebchatVisitor.objects.create(
            workspace_id=widget.workspace_id,
            widget=widget,
            public_id=f"v_{secrets.token_hex(12)}",
            token_hash=token_hash(token),
            last_seen_at=now or timezone.now(),
            **fields,
        )
        if visitor.email:
            _customer_link(visitor, widget)
    return visitor, token


def _customer_link(visitor: WebchatVisitor, widget: WebchatWidget) -> None:
    author = AuthorKey(Platform.WEBCHAT, visitor.public_id, visitor.email, visitor.name)
    resolved = identities_resolve(workspace_id=visitor.workspace_id, authors=[author])
    profile = CustomerProfile.objects.get(pk=resolved[(author.platform, author.platform_id)].profile_id)
    identity_link(
        workspace=widget.account.workspace,
        profile=profile,
        platform=Platform.WEBCHAT,
        platform_id=visitor.public_id,
        handle=visitor.email,
        name=visitor.name,
        email=visitor.email,
    )


def _item(visitor: WebchatVisitor, message: WebchatMessage) -> Item:
    return Item(
        platform=Platform.WEBCHAT,
        external_id=message.external_id,
        author=Author(
            platform_id=visitor.public_id, handle=visitor.email or visitor.public_id, name=visitor.name
        ),
        text=message.text,
        created_at=message.created_at,
        kind=ItemKind.DM,
        url=visitor.page_url,
        thread_id=visitor.public_id,
        language_hint=visitor.language or None,
    )


def visitor_message_post(
    *, visitor: WebchatVisitor, text: str, now: datetime | None = None
) -> WebchatMessage:
    """Store what the visitor wrote and hand it to the sinks (care files it into a case)."""
    text = _clean_text(text, field="text", limit=MAX_TEXT, required=True)
    now = now or timezone.now()
    account = visitor.widget.account
    with transaction.atomic():
        message = WebchatMessage.objects.create(
            workspace_id=visitor.workspace_id, visitor=visitor, sender=Sender.VISITOR, text=text
        )
        deliver(inbound_context(account, source="webchat"), [_item(visitor, message)])
        ChannelAccount.objects.filter(pk=account.pk).update(
            items_received=F("items_received") + 1, last_item_at=now
        )
        WebchatVisitor.objects.filter(pk=visitor.pk).update(last_seen_at=now)
    return message


def visitor_seen(*, visitor: WebchatVisitor, now: datetime | None = None) -> None:
    """The widget called: remember it, at most every SEEN_EVERY."""
    now = now or timezone.now()
    if visitor.last_seen_at < now - SEEN_EVERY:
        WebchatVisitor.objects.filter(pk=visitor.pk).update(last_seen_at=now)
        visitor.last_seen_at = now


# --- the agent's side (the connector) -------------------------------------------------------------


def _visitor_answered(account_id: int | None, reply_to: str | None) -> WebchatVisitor:
    """The visitor whose message (care's external id `wc-<id>`) is answered, on this account."""
    number = (reply_to or "").removeprefix("wc-")
    message = (
        WebchatMessage.objects.filter(pk=int(number), visitor__widget__account_id=account_id)
        .select_related("visitor__widget__account__brand")
        .first()
        if number.isdigit() and len(number) < 19 and account_id
        else None
    )
    if message is None:
        raise PermanentError("the message answered is not a conversation of this website chat")
    return message.visitor


def agent_reply_deliver(
    *, account_id: int | None, outgoing: Outgoing, now: datetime | None = None
) -> Published:
    """Put an agent's reply in the visitor's conversation, once per idempotency key; e-mail it
    when the visitor had left (see the module docstring). SMTP errors are the connector's errors:
    the outbox tries a transient one again, and the message is not added twice when it does."""
    now = now or timezone.now()
    text = outgoing.text.strip()
    if not text:
        raise PermanentError("the reply is empty")
    if len(text) > MAX_AGENT_TEXT:
        raise PermanentError(f"a website chat message holds at most {MAX_AGENT_TEXT} characters")
    visitor = _visitor_answered(account_id, outgoing.reply_to)
    with transaction.atomic():
        # One writer per visitor: a retry running beside a slow first attempt waits, then finds it.
        WebchatVisitor.objects.select_for_update().filter(
            workspace_id=visitor.workspace_id, pk=visitor.pk
        ).values_list("pk").first()
        message = WebchatMessage.objects.filter(
            workspace_id=visitor.workspace_id, idempotency_key=outgoing.idempotency_key
        ).first()
        if message is None:
            away = visitor.last_seen_at < now - VISITOR_AWAY
            message = WebchatMessage.objects.create(
                workspace_id=visitor.workspace_id,
                visitor=visitor,
                sender=Sender.AGENT,
                text=text,
                idempotency_key=outgoing.idempotency_key,
                email_to=visitor.email if away else "",
            )
        # The reply is there: the agent is no longer typing it.
        WebchatVisitor.objects.filter(pk=visitor.pk).update(agent_typing_until=None)
    if message.email_to and message.emailed_at is None:
        _reply_email(message, visitor)
        WebchatMessage.objects.filter(pk=message.pk).update(emailed_at=timezone.now())
    return Published(external_id=message.external_id)


def _reply_email(message: WebchatMessage, visitor: WebchatVisitor) -> None:
    brand = visitor.widget.account.brand.name if visitor.widget.account.brand else ""
    host = urlsplit(settings.CXM_BASE_URL).hostname or "localhost"
    with translation.override(visitor.language or settings.LANGUAGE_CODE):
        subject = _("%(brand)s answered your message") % {"brand": brand}
        body = _("%(brand)s answered your message in the chat on their website:") % {"brand": brand}
        body = f"{body}\n\n{message.text}\n"
        if visitor.page_url:
            body += (
                "\n" + _("To answer, open the chat on %(page)s again.") % {"page": visitor.page_url} + "\n"
            )
    # The same Message-ID on every attempt: a repeat after a lost answer is the same e-mail.
    site_mail_send(
        subject,
        body,
        [message.email_to],
        headers={"Message-ID": f"<{message.idempotency_key}.{visitor.public_id}@{host}>"},
    )


def agent_typing(*, account_id: int | None, reply_to: str | None, now: datetime | None = None) -> None:
    """An agent is writing to the visitor who wrote `reply_to`: the widget shows it for a few seconds."""
    visitor = _visitor_answered(account_id, reply_to)
    until = (now or timezone.now()) + TYPING_FOR
    WebchatVisitor.objects.filter(pk=visitor.pk).update(agent_typing_until=until)
