"""A person the workspace knows through four identities on two (merged) profiles, who wrote
mentions and an ad comment, opened a case by email with notes, events and a CSAT answer, and is
named in the audit log, in an audit export, and in another person's mention."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from care.models import Case, CaseEvent, CaseStatus, CsatResponse, Direction, Message, Notification
from cxm.audit.models import AuditExport
from cxm.audit.services import audit_export_write, audit_record
from cxm.customers.models import CustomerProfile, Identity
from cxm.tenancy.models import Membership
from listening.services import mentions_ingest_payload

EMAIL = "zelda.quist@mail.example"
HANDLE = "@zquist@social.example"
PHONE = "+62 812-3456-7890"
PHONE_ID = "+6281234567890"
BSKY = "zq.bsky.social"
NAME = "Zelda Quistorp"
WORD = "quokkaberry"  # a word only she writes
IDENTIFIERS = [EMAIL, HANDLE.lstrip("@"), PHONE_ID, "6281234567890", BSKY, NAME, WORD]
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@dataclass
class Person:
    profile: CustomerProfile
    merged: CustomerProfile
    case: Case
    mention_ids: list[int] = field(default_factory=list)


def _mention(
    workspace, external_id: str, text: str, *, handle=HANDLE, author_id="id-zquist", at=NOW, **extra
):
    result = mentions_ingest_payload(
        workspace_id=workspace.pk,
        items=[
            {
                "platform": "mastodon",
                "external_id": external_id,
                "text": text,
                "created_at": at.isoformat(),
                "author": {"id": author_id, "handle": handle, "name": NAME if handle == HANDLE else "Other"},
                "language": "en",
                **extra,
            }
        ],
    )
    assert not result.errors, result.errors


def make_person(workspace, *, mentions: int = 3) -> Person:
    profile = CustomerProfile.objects.create(
        workspace=workspace, display_name=NAME, attributes={"phone": PHONE}
    )
    Identity.objects.create(
        workspace=workspace,
        profile=profile,
        platform="mastodon",
        platform_id="id-zquist",
        handle=HANDLE,
        name=NAME,
    )
    Identity.objects.create(
        workspace=workspace, profile=profile, platform="email", platform_id=EMAIL, handle=EMAIL, email=EMAIL
    )
    Identity.objects.create(workspace=workspace, profile=profile, platform="whatsapp", platform_id=PHONE_ID)
    merged = CustomerProfile.objects.create(workspace=workspace, display_name="zq", merged_into=profile)
    Identity.objects.create(
        workspace=workspace, profile=merged, platform="bluesky", platform_id="did:plc:zq", handle=BSKY
    )

    for index in range(mentions):
        _mention(workspace, f"zq-{index}", f"My {WORD} smoothie number {index} was great, mail me at {EMAIL}")
    _mention(
        workspace,
        "zq-ad",
        f"Your ad lies about the {WORD} flavour",
        media_type="paid",
        kind="comment",
        raw={"ad_id": 77, "page_after": "cursor-1", "from": {"name": NAME}},
    )
    _mention(
        workspace,
        "other-1",
        f"Totally agree with {HANDLE} on this",
        handle="@other@social.example",
        author_id="id-other",
    )

    case = Case.objects.create(
        workspace=workspace,
        customer=profile,
        platform="email",
        channel_kind="email",
        subject=f"{WORD} order missing",
        thread_id=f"<thread-1@{EMAIL.split('@')[1]}>",
        status=CaseStatus.CLOSED,
        closed_at=timezone.now(),
        last_message_at=timezone.now(),
        fields={"order": "A-1"},
    )
    identity = Identity.objects.get(workspace=workspace, platform="email", platform_id=EMAIL)
    common = {"workspace": workspace, "case": case, "occurred_at": timezone.now()}
    Message.objects.create(
        **common,
        direction=Direction.INBOUND,
        author_identity=identity,
        author_name=NAME,
        author_handle=EMAIL,
        subject=f"{WORD} order missing",
        text=f"Hi, my {WORD} order never came. Call me on {PHONE}.",
        meta={"headers": {"From": f"{NAME} <{EMAIL}>"}, "attachments": [{"name": f"{WORD}-receipt.pdf"}]},
    )
    Message.objects.create(**common, direction=Direction.NOTE, text=f"{NAME} called twice about the {WORD}")
    Message.objects.create(
        **common,
        direction=Direction.OUTBOUND,
        text=f"Sorry {NAME}, on its way",
        recipient=EMAIL,
        status="sent",
    )
    CsatResponse.objects.create(
        workspace=workspace, case=case, customer=profile, score=2, comment=f"{WORD} was late"
    )
    CaseEvent.objects.create(
        workspace=workspace, case=case, kind="note", data={"text": f"{WORD}", "by": EMAIL}
    )
    agent = Membership.objects.filter(workspace=workspace).first()
    if agent is not None:
        Notification.objects.create(
            workspace=workspace, user=agent.user, case=case, kind="mention", text=f"{NAME} wrote"
        )
    audit_record(
        workspace=workspace,
        actor=None,
        action="customers.merge",
        target=profile,
        after={"email": EMAIL, "handle": HANDLE},
    )
    return Person(profile=profile, merged=merged, case=case)


@pytest.fixture
def admin(member, workspace_a):
    return member(workspace_a).user


def audit_export_with_person(workspace, by):
    export = AuditExport.objects.create(workspace=workspace, requested_by=by)
    return audit_export_write(export_id=export.pk, workspace_id=workspace.pk)


def earlier(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)
