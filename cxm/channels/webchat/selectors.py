"""The website chat's reads: a widget by its public key, a visitor by their token, the poll."""

from __future__ import annotations

import re
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from cxm.channels.webchat.models import WebchatMessage, WebchatVisitor, WebchatWidget
from cxm.channels.webchat.services import token_hash

KEY = re.compile(r"[A-Za-z0-9_-]{1,40}")
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


def widget_for_key(key: str) -> WebchatWidget | None:
    """The one widget (of one workspace and brand) a public key names."""
    if not KEY.fullmatch(key or ""):
        return None
    return WebchatWidget.objects.select_related("account", "account__brand").filter(key=key).first()


def widgets(*, workspace) -> QuerySet[WebchatWidget]:
    return (
        WebchatWidget.objects.for_workspace(workspace)
        .select_related("account", "account__brand")
        .order_by("account__brand__name", "created_at")
    )


def widget_get(*, workspace, widget_id: int) -> WebchatWidget | None:
    return widgets(workspace=workspace).filter(pk=widget_id).first()


def widget_for_account(*, account_id: int | None) -> WebchatWidget | None:
    if not account_id:
        return None
    return (
        WebchatWidget.objects.select_related("account", "account__brand")
        .filter(account_id=account_id)
        .first()
    )


def demo_widget(*, workspace_slug: str) -> WebchatWidget | None:
    """The website chat the demo site embeds: the Demo workspace's first."""
    return (
        WebchatWidget.objects.select_related("account", "account__brand")
        .filter(workspace__slug=workspace_slug)
        .order_by("pk")
        .first()
    )


def visitor_for_token(*, widget: WebchatWidget, token: str) -> WebchatVisitor | None:
    """The visitor of this widget whose secret this is; None for any other token."""
    if not TOKEN.fullmatch(token or ""):
        return None
    return (
        WebchatVisitor.objects.select_related("widget__account")
        .filter(workspace_id=widget.workspace_id, widget=widget, token_hash=token_hash(token))
        .first()
    )


def messages_after(*, visitor: WebchatVisitor, after_id: int, limit: int) -> list[WebchatMessage]:
    """The conversation after the message the widget has last, oldest first."""
    return list(
        WebchatMessage.objects.filter(workspace_id=visitor.workspace_id, visitor=visitor, pk__gt=after_id)
        .only("pk", "sender", "text", "created_at")
        .order_by("pk")[:limit]
    )


def agent_is_typing(visitor: WebchatVisitor, now: datetime | None = None) -> bool:
    until = visitor.agent_typing_until
    return until is not None and until > (now or timezone.now())
