"""Whether someone is there to answer on a channel, and if not, when to expect an answer.

Who answers is care's business (agents, their presence and skills, SLA policies and working
hours), and the kernel imports no product module, so care registers a provider when its app loads
(`care/apps.py`); a channel that shows the customer a live answer (the website chat) asks here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Availability:
    online: bool  # an agent who would get the conversation is online now
    # Outside working hours: when they begin again (aware), and the time zone they are kept in.
    opens_at: datetime | None = None
    time_zone: str = ""
    # The first-response target, in working minutes, when the workspace sets one.
    reply_within_minutes: int | None = None


class AvailabilityProvider(Protocol):
    def __call__(
        self, *, workspace_id: int, business_unit_id: int | None, platform: str, now: datetime
    ) -> Availability: ...


_PROVIDERS: dict[str, AvailabilityProvider] = {}


def register_availability_provider(name: str, provider: AvailabilityProvider) -> None:
    _PROVIDERS[name] = provider


def unregister_availability_provider(name: str) -> None:
    _PROVIDERS.pop(name, None)


def availability(
    *, workspace_id: int, business_unit_id: int | None, platform: str, now: datetime
) -> Availability:
    """What the registered providers say together: online when any is; otherwise the earliest
    opening and the shortest target any of them names. Without a provider nobody answers live."""
    answers = [
        provider(workspace_id=workspace_id, business_unit_id=business_unit_id, platform=platform, now=now)
        for provider in list(_PROVIDERS.values())
    ]
    if any(answer.online for answer in answers):
        return Availability(online=True)
    openings = [answer for answer in answers if answer.opens_at is not None]
    first = min(openings, key=lambda answer: answer.opens_at) if openings else None
    targets = [answer.reply_within_minutes for answer in answers if answer.reply_within_minutes]
    return Availability(
        online=False,
        opens_at=first.opens_at if first else None,
        time_zone=first.time_zone if first else "",
        reply_within_minutes=min(targets) if targets else None,
    )
