"""Meta's one webhook endpoint for the app: Facebook Pages, Instagram and WhatsApp deliveries.

A delivery names its product in `object` (`page`, `instagram`, `whatsapp_business_account`) and
carries `entry[]`, each for one Page (`entry.id` = Page id), one Instagram professional account
(`entry.id` = its Instagram user id) or one WhatsApp Business Account (`entry.id` = the WABA; the
phone number is `changes[].value.metadata.phone_number_id`). Each event (a `changes[]` value or a
`messaging[]` event) is turned into items by the receiving account's connector: a Page or an
Instagram account reads it as a delivery of its own (`webhook_items(delivery)`, which needs the
change's field), WhatsApp reads the change's value (`webhook_items(value)`, and
`webhook_statuses(value)` for the statuses of our own messages). The items
go to the sinks once for every workspace that connected that Page, account or number, exactly as
polled items do: an item that arrives both ways is one item, because sinks key items on platform
and external id. Deliveries for accounts nobody connected are acknowledged and logged, so Meta
does not retry them for hours. An event whose reading back the platform throttles (an Instagram
mention names only ids) marks the account as throttled and is read again by a task once the
throttle has passed (`meta_event_read`): Meta does not send a notification twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cxm.celery import broker_countdown
from cxm.channels import selectors, tasks
from cxm.channels.connectors import REGISTRY
from cxm.channels.connectors.base import ConnectorError, Item, RateLimited
from cxm.channels.models import AccountStatus, ChannelAccount, Platform
from cxm.channels.services.accounts import account_connector
from cxm.channels.services.health import account_throttle
from cxm.channels.services.sync import inbound_context
from cxm.channels.sinks import DeliveryStatus, deliver, delivery_statuses

logger = logging.getLogger(__name__)

# Meta's `object` -> the platform of the accounts it is for.
OBJECT_PLATFORMS = {
    "page": Platform.FACEBOOK_PAGE,
    "instagram": Platform.INSTAGRAM,
    "whatsapp_business_account": Platform.WHATSAPP,
}
PLATFORM_OBJECTS = {platform: name for name, platform in OBJECT_PLATFORMS.items()}


@dataclass(frozen=True)
class MetaEvent:
    """One change or messaging event and the handle of the account it is addressed to."""

    platform: str
    handle: str
    value: dict[str, Any]
    field: str = ""  # the change's field ("comments", "messages", ...); "" for a messaging event
    messaging: bool = False


@dataclass
class MetaWebhookResult:
    events: int = 0
    accepted: int = 0  # items handed to the sinks, counted once per receiving account
    statuses: int = 0
    deferred: int = 0  # events the platform throttled reading back, to be read again later
    ignored: list[str] = field(default_factory=list)


def meta_events(payload: Any) -> list[MetaEvent]:
    """The events of a delivery, each with the platform and handle that pick its accounts."""
    if not isinstance(payload, dict):
        return []
    platform = OBJECT_PLATFORMS.get(str(payload.get("object") or ""))
    if platform is None:
        return []
    events: list[MetaEvent] = []
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        entry_id = str(entry.get("id") or "")
        changes = [c for c in entry.get("changes") or [] if isinstance(c, dict)]
        if "field" in entry and isinstance(entry.get("value"), dict):
            # Instagram Login deliveries put one change's field and value on the entry itself.
            changes.append({"field": entry["field"], "value": entry["value"]})
        for change in changes:
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            handle = entry_id
            if platform == Platform.WHATSAPP:
                handle = str((value.get("metadata") or {}).get("phone_number_id") or "")
            events.append(MetaEvent(platform, handle, value, field=str(change.get("field") or "")))
        for messaging in entry.get("messaging") or []:
            if isinstance(messaging, dict):
                events.append(MetaEvent(platform, entry_id, messaging, messaging=True))
    return events


def meta_webhook_receive(*, payload: Any) -> MetaWebhookResult:
    """Deliver a verified delivery's items (and WhatsApp's delivery statuses) into every workspace
    that connected the account each event is for."""
    result = MetaWebhookResult()
    events = meta_events(payload)
    result.events = len(events)
    if not events:
        result.ignored.append(f"no events for a known object in {str((payload or {}).get('object'))[:40]!r}")
        return result
    accounts: dict[tuple[str, str], list[ChannelAccount]] = {}
    for platform in {event.platform for event in events}:
        handles = sorted({event.handle for event in events if event.platform == platform} - {""})
        for account in selectors.meta_webhook_accounts(platform=platform, handles=handles):
            accounts.setdefault((platform, account.handle), []).append(account)
    for event in events:
        receivers = [
            a for a in accounts.get((event.platform, event.handle), []) if a.status != AccountStatus.PAUSED
        ]
        if not receivers:
            result.ignored.append(f"{event.platform} {event.handle or '(no id)'}: no connected account")
            continue
        for account in receivers:
            try:
                items, statuses = _translate(event, account)
            except RateLimited as exc:
                # Meta does not send a notification twice: read it again once the throttle passed.
                _read_later(event, account, exc)
                result.deferred += 1
                continue
            except (ConnectorError, ValueError, KeyError, TypeError):
                # One event the connector cannot read must not lose the others in the delivery.
                logger.exception("meta webhook: %s cannot read an event for %s", event.platform, event.handle)
                result.ignored.append(f"{event.platform} {event.handle}: unreadable event")
                break
            _deliver_to(account, items, statuses)
            result.accepted += len(items)
            result.statuses += len(statuses)
    for reason in result.ignored:
        logger.info("meta webhook: ignored %s", reason)
    return result


def meta_event_read(*, account_id: int, workspace_id: int, event: dict[str, Any]) -> str:
    """Read one event again for one account, after the platform throttled reading it back (an
    Instagram mention names only ids), and deliver its items. Safe to run twice: the sinks store
    each item once."""
    account = ChannelAccount.objects.filter(pk=account_id, workspace_id=workspace_id).first()
    if account is None or account.status == AccountStatus.PAUSED:
        return "skipped"
    meta_event = MetaEvent(**event)
    now = timezone.now()
    if (until := account.throttled_until(now)) is not None:
        _schedule_read(meta_event, account, seconds=(until - now).total_seconds())
        return "waiting"
    try:
        items, statuses = _translate(meta_event, account)
    except RateLimited as exc:
        _read_later(meta_event, account, exc)
        return "rate_limited"
    except (ConnectorError, ValueError, KeyError, TypeError):
        logger.exception(
            "meta webhook: %s cannot read an event for %s", meta_event.platform, meta_event.handle
        )
        return "unreadable"
    _deliver_to(account, items, statuses)
    return "delivered"


def _read_later(event: MetaEvent, account: ChannelAccount, exc: RateLimited) -> None:
    """The platform throttles the account: it shows so, and the event is read once it lets go."""
    logger.warning("meta webhook: reading %s %s is rate limited: %s", event.platform, event.handle, exc)
    if exc.account_wide:
        account_throttle(
            account_id=account.pk, until=timezone.now() + timedelta(seconds=exc.retry_after), reason=str(exc)
        )
    _schedule_read(event, account, seconds=exc.retry_after)


def _schedule_read(event: MetaEvent, account: ChannelAccount, *, seconds: float) -> None:
    kwargs = {"account_id": account.pk, "workspace_id": account.workspace_id, "event": asdict(event)}
    transaction.on_commit(
        lambda: tasks.meta_event_read.apply_async(kwargs=kwargs, countdown=broker_countdown(seconds))
    )


def _translate(event: MetaEvent, account: ChannelAccount) -> tuple[list[Item], list[DeliveryStatus]]:
    """The event read by the receiving account's connector (Instagram reads a mention back over
    the API with the account's token, so the reading is per account). WhatsApp's connector reads
    one change's `value`; the Page's and Instagram's read a delivery, since what a change is
    depends on its field (`feed`, `comments`, `mentions`...)."""
    if event.platform not in REGISTRY:
        raise ValueError(f"no connector for {event.platform}")
    connector = account_connector(account)
    if event.platform == Platform.WHATSAPP:
        return list(connector.webhook_items(event.value)), list(connector.webhook_statuses(event.value))
    return list(connector.webhook_items(_one_event_delivery(event))), []


def _one_event_delivery(event: MetaEvent) -> dict[str, Any]:
    """One event as a delivery of its own, in the envelope Meta sent it in."""
    entry: dict[str, Any] = {"id": event.handle}
    if event.messaging:
        entry["messaging"] = [event.value]
    else:
        entry["changes"] = [{"field": event.field, "value": event.value}]
    return {"object": PLATFORM_OBJECTS[event.platform], "entry": [entry]}


@transaction.atomic
def _deliver_to(account: ChannelAccount, items: Sequence[Item], statuses: Sequence[DeliveryStatus]) -> None:
    context = inbound_context(account, source="webhook")
    deliver(context, items)
    delivery_statuses(context, statuses)
    if items:
        ChannelAccount.objects.filter(pk=account.pk).update(
            items_received=F("items_received") + len(items), last_item_at=timezone.now()
        )
