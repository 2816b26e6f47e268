"""Inbound webhooks: a signed delivery accepted once, its items normalised and stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cxm.channels import signing
from cxm.channels.connectors.base import Author, Item, ItemKind
from cxm.channels.models import ChannelAccount, WebhookDelivery
from cxm.channels.services.sync import inbound_context
from cxm.channels.sinks import deliver


@dataclass
class WebhookResult:
    accepted: int = 0
    duplicate_delivery: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)


def item_from_payload(payload: Any, *, platform: str) -> Item:
    """A normalised item from JSON; raises ValidationError naming the field at fault."""
    if not isinstance(payload, dict):
        raise ValidationError({"item": "Each item must be an object."})
    errors: dict[str, str] = {}
    external_id = str(payload.get("external_id") or payload.get("id") or "").strip()
    if not external_id:
        errors["external_id"] = "Required."
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        errors["text"] = "Required, a non-empty string."
    created_raw = payload.get("created_at")
    created_at = parse_datetime(created_raw) if isinstance(created_raw, str) else None
    if created_raw is not None and created_at is None:
        errors["created_at"] = "Not an ISO 8601 date-time."
    if created_at is not None and timezone.is_naive(created_at):
        errors["created_at"] = "Give a time zone (e.g. Z or +07:00)."
    kind = payload.get("kind") or ItemKind.POST
    if kind not in ItemKind.ALL:
        errors["kind"] = f"One of {', '.join(ItemKind.ALL)}."
    author = payload.get("author") or {}
    if not isinstance(author, dict):
        errors["author"] = "Must be an object with handle and name."
        author = {}
    if errors:
        raise ValidationError(errors)
    handle = str(author.get("handle") or author.get("id") or "unknown")
    return Item(
        platform=str(payload.get("platform") or platform),
        external_id=external_id,
        author=Author(
            platform_id=str(author.get("id") or handle),
            handle=handle,
            name=str(author.get("name") or ""),
            url=str(author.get("url") or ""),
        ),
        text=text,
        created_at=created_at or timezone.now(),
        kind=kind,
        url=str(payload.get("url") or ""),
        in_reply_to=payload.get("in_reply_to") or None,
        thread_id=payload.get("thread_id") or None,
        language_hint=payload.get("language") or None,
        subject=str(payload.get("subject") or ""),
        raw=payload,
    )


def webhook_receive(*, account: ChannelAccount, headers, body: bytes, payload: Any) -> WebhookResult:
    """Verify the signature (raises signing.SignatureError), accept each delivery once, store its items."""
    secrets_ = list((account.credentials or {}).get("webhook_secrets") or [])
    delivery_id = signing.verify_inbound(
        secrets=secrets_, headers=headers, body=body, now=timezone.now().timestamp()
    )
    result = WebhookResult()
    raw_items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(raw_items, list):
        result.errors.append({"index": None, "field": "items", "message": 'Send {"items": [...]}.'})
        return result
    items: list[Item] = []
    for index, raw in enumerate(raw_items):
        try:
            items.append(item_from_payload(raw, platform=account.platform))
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                result.errors.append({"index": index, "field": name, "message": " ".join(messages)})
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(
                workspace_id=account.workspace_id,
                account=account,
                delivery_id=delivery_id,
                signature=str(headers.get("X-CXM-Signature", ""))[:200],
                items_accepted=len(items),
            )
            deliver(inbound_context(account, source="webhook"), items)
            if items:
                ChannelAccount.objects.filter(pk=account.pk).update(
                    items_received=account.items_received + len(items),
                    last_item_at=timezone.now(),
                    last_synced_at=timezone.now(),
                )
    except IntegrityError:
        # The same delivery again (a sender's retry or a replay): acknowledge, store nothing new.
        result.duplicate_delivery = True
        result.errors = []
        return result
    result.accepted = len(items)
    return result
