"""Helpers for care tests: a channel account, inbound items from it, agents on shift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from care import services
from care.models import Case, Presence
from cxm.channels.connectors.base import Author, Item, ItemKind
from cxm.channels.models import ChannelAccount
from cxm.channels.sinks import InboundContext
from cxm.tenancy.models import Role

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def make_account(
    workspace, *, platform="mastodon", handle="@brand@social.example", **fields
) -> ChannelAccount:
    return ChannelAccount.objects.create(
        workspace=workspace, platform=platform, handle=handle, display_name=handle, **fields
    )


def dm(
    external_id,
    *,
    author="ana",
    text="Hello, my order has not arrived",
    at=None,
    kind=ItemKind.DM,
    platform="mastodon",
    language=None,
    subject="",
    thread_id=None,
) -> Item:
    if kind == ItemKind.EMAIL:
        who = Author(
            platform_id=f"{author}@mail.example".lower(), handle=f"{author}@mail.example", name=author.title()
        )
    else:
        who = Author(platform_id=f"id-{author}", handle=f"@{author}@social.example", name=author.title())
    return Item(
        platform=platform,
        external_id=str(external_id),
        author=who,
        text=text,
        created_at=at or T0,
        kind=kind,
        language_hint=language,
        subject=subject,
        thread_id=thread_id,
    )


def context_for(account: ChannelAccount, source="connector") -> InboundContext:
    return InboundContext(
        workspace_id=account.workspace_id,
        account_id=account.pk,
        platform=account.platform,
        business_unit_id=account.business_unit_id,
        language=account.language,
        source=source,
    )


def receive(account: ChannelAccount, *items: Item) -> None:
    """What the channel sink hands care after a fetch."""
    services.care_sink(context_for(account), list(items))


@pytest.fixture
def account(workspace_a):
    return make_account(workspace_a)


@pytest.fixture
def agent(member):
    """agent(workspace, capacity=5, presence="online", **skills) -> the agent's User."""

    def make(workspace, *, capacity=5, presence=Presence.ONLINE, role=Role.AGENT, **skills):
        user = member(workspace, role).user
        services.agent_save(workspace=workspace, user=user, capacity=capacity, presence=presence, **skills)
        return user

    return make


def later(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def case(workspace_a, account):
    """The case Ana's direct message opened."""
    receive(account, dm("m1", author="ana", text="Where is my order?"))
    return Case.objects.get(workspace=workspace_a)
