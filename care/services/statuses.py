"""What the platform says became of the replies it accepted (WhatsApp's sent, delivered, read and
failed), recorded on the outbound message it names by the platform's id of it (the `wamid` the
send answered), in the receiving account's workspace only.

Statuses arrive out of order and more than once; each only moves a message forward (sent, then
delivered, then read; failed ends it): a late `sent` after `read` changes nothing. The update is
one conditional UPDATE, so two deliveries racing cannot move a message back either.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from care.models import Direction, Message, PlatformStatus
from cxm.channels.connectors.whatsapp import MEANINGS
from cxm.channels.sinks import DeliveryStatus, InboundContext

RANK = {
    PlatformStatus.SENT: 1,
    PlatformStatus.DELIVERED: 2,
    PlatformStatus.READ: 3,
    PlatformStatus.FAILED: 4,
}


def platform_error(errors: Sequence[dict]) -> str:
    """ "131047: what it means" for the platform's first error object."""
    if not errors:
        return ""
    error = errors[0] or {}
    code = error.get("code")
    meaning = MEANINGS.get(code, "") if isinstance(code, int) else ""
    meaning = meaning or error.get("details") or error.get("title") or error.get("message") or ""
    return (f"{code}: {meaning}" if code not in (None, "") else str(meaning))[:1000]


def delivery_statuses_record(context: InboundContext, statuses: Sequence[DeliveryStatus]) -> int:
    """Record each status on our message it names; how many messages moved forward."""
    moved = 0
    for status in statuses:
        rank = RANK.get(status.status)
        if rank is None or not status.external_id:
            continue
        earlier = [""] + [value for value, other in RANK.items() if other < rank]
        updates = {
            "platform_status": status.status,
            "platform_status_at": status.at or timezone.now(),
        }
        if status.status == PlatformStatus.FAILED:
            updates["platform_error"] = platform_error(status.errors)
        moved += Message.objects.filter(
            workspace_id=context.workspace_id,
            direction=Direction.OUTBOUND,
            platform=context.platform,
            external_id=status.external_id,
            platform_status__in=earlier,
        ).update(**updates)
    return moved
