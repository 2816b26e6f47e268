"""Whether an agent is there to answer a live channel (the website chat), and if not, when to
expect an answer: care's provider for the kernel's registry (`cxm.channels.availability`)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q

from care import sla
from care.models import AgentProfile, Presence, Priority, SlaPolicy
from cxm.channels.availability import Availability
from cxm.tenancy.models import Membership
from cxm.tenancy.permissions import PERMISSIONS


def agents_online_for(*, workspace_id: int, business_unit_id: int | None, platform: str) -> bool:
    """An online agent who may work cases and whose skills take this channel and business unit."""
    agents = AgentProfile.objects.filter(workspace_id=workspace_id, presence=Presence.ONLINE).filter(
        Q(platforms=[]) | Q(platforms__contains=[platform]),
        Exists(
            Membership.objects.filter(
                workspace_id=workspace_id, user_id=OuterRef("user_id"), role__in=PERMISSIONS["care.work"]
            )
        ),
    )
    if business_unit_id:
        agents = agents.filter(Q(business_unit_ids=[]) | Q(business_unit_ids__contains=[business_unit_id]))
    return agents.exists()


def chat_availability(
    *, workspace_id: int, business_unit_id: int | None, platform: str, now: datetime
) -> Availability:
    """Online, or when working hours begin again and the first-response target, from the SLA
    policy of normal priority (a new conversation's)."""
    if agents_online_for(workspace_id=workspace_id, business_unit_id=business_unit_id, platform=platform):
        return Availability(online=True)
    policy = SlaPolicy.objects.filter(workspace_id=workspace_id, priority=Priority.NORMAL).first()
    if policy is None:
        return Availability(online=False)
    try:
        opens = sla.next_open(
            now,
            schedule=sla.parse_schedule(policy.schedule),
            tz=ZoneInfo(policy.time_zone),
            holidays=policy.holidays or (),
        )
    except (ValueError, KeyError):  # a broken schedule or unknown zone, which the policy form refuses
        opens = now
    return Availability(
        online=False,
        opens_at=opens if opens > now else None,
        time_zone=policy.time_zone,
        reply_within_minutes=policy.first_response_minutes or None,
    )
