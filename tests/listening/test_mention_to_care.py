"""One click from a mention to care, and the reply that answers it counts in response coverage."""

from __future__ import annotations

import pytest

from care.models import Case, Message
from care.services import case_reply, message_deliver
from cxm.channels.connectors.base import Published
from cxm.channels.models import ChannelAccount
from cxm.tenancy.models import Role
from listening.models import Mention
from listening.services import mentions_ingest_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def mention(workspace_a):
    mentions_ingest_payload(
        workspace_id=workspace_a.pk,
        items=[
            {
                "platform": "mastodon",
                "external_id": "1093",
                "text": "@kopi@example.social my order never arrived, where is it?",
                "created_at": "2026-11-20T10:00:00Z",
                "author": {"handle": "@ana@example.social", "name": "Ana", "id": "ana-1"},
                "language": "en",
            }
        ],
    )
    # The account is connected afterwards, so care's rule did not see the mention at ingest.
    account = ChannelAccount.objects.create(
        workspace=workspace_a, platform="mastodon", handle="@kopi@example.social"
    )
    found = Mention.objects.get(workspace_id=workspace_a.pk, external_id="1093")
    Mention.objects.filter(workspace_id=workspace_a.pk, pk=found.pk).update(account_id=account.pk)
    return Mention.objects.get(workspace_id=workspace_a.pk, pk=found.pk)


class Connector:
    def reply(self, outgoing):
        self.outgoing = outgoing
        return Published(external_id="2001", url="https://example.social/@kopi/2001")


def test_reply_from_a_mention_opens_its_case_with_the_same_customer(client, workspace_a, member, mention):
    client.force_login(member(workspace_a, Role.AGENT).user)
    response = client.post(f"/care/mentions/{mention.pk}/case/", {"reply": "1"})
    case = Case.objects.get(workspace=workspace_a)
    assert response.status_code == 302 and response["Location"].startswith(f"/care/cases/{case.pk}/")
    assert "reply=1" in response["Location"]
    assert case.customer_id == mention.customer_id
    assert Message.objects.get(case=case).text == mention.text
    # A second click finds the same case.
    client.post(f"/care/mentions/{mention.pk}/case/")
    assert Case.objects.filter(workspace=workspace_a).count() == 1


def test_roles_without_care_work_cannot_open_cases(client, workspace_a, member, mention):
    client.force_login(member(workspace_a, Role.ANALYST).user)
    assert client.post(f"/care/mentions/{mention.pk}/case/").status_code == 403
    page = client.get(f"/listening/mentions/{mention.pk}/").content.decode()
    assert "Open a care case" not in page


def test_another_workspaces_mention_answers_404(client, workspace_b, member, mention):
    client.force_login(member(workspace_b, Role.AGENT).user)
    assert client.post(f"/care/mentions/{mention.pk}/case/").status_code == 404


def test_the_reply_sent_from_care_marks_the_mention_answered(client, workspace_a, member, mention):
    agent = member(workspace_a, Role.AGENT)
    client.force_login(agent.user)
    client.post(f"/care/mentions/{mention.pk}/case/")
    case = Case.objects.get(workspace=workspace_a)
    reply = case_reply(case=case, text="So sorry Ana, it ships today.", by=agent.user)
    connector = Connector()
    assert (
        message_deliver(
            message_id=reply.pk, workspace_id=workspace_a.pk, connector_for=lambda a: connector
        ).outcome
        == "sent"
    )
    assert connector.outgoing.reply_to == "1093"
    mention = Mention.objects.get(workspace_id=workspace_a.pk, pk=mention.pk)
    assert mention.answered and mention.answered_at is not None


def test_the_customer_timeline_shows_their_mentions(workspace_a, mention):
    from cxm.customers.selectors import customer_timeline

    entries = customer_timeline(workspace=workspace_a, profile_id=mention.customer_id)
    assert [(e.source, e.kind, e.ref.get("mention_id")) for e in entries] == [
        ("listening", "mention", mention.pk)
    ]


def _ingest(workspace, external_id, text):
    mentions_ingest_payload(
        workspace_id=workspace.pk,
        items=[
            {
                "platform": "mastodon",
                "external_id": external_id,
                "text": text,
                "created_at": "2026-11-21T10:00:00Z",
                "author": {"handle": "@budi@example.social", "name": "Budi", "id": "budi-7"},
                "language": "en",
            }
        ],
    )


def test_a_negative_mention_naming_our_handle_opens_a_case_at_ingest(workspace_a):
    ChannelAccount.objects.create(workspace=workspace_a, platform="mastodon", handle="@kopi@example.social")
    _ingest(workspace_a, "m-1", "@kopi@example.social worst coffee ever, totally terrible and awful")
    _ingest(workspace_a, "m-2", "@kopi@example.social lovely morning, great coffee")
    _ingest(workspace_a, "m-3", "just had a terrible awful coffee somewhere else")
    cases = Case.objects.filter(workspace=workspace_a)
    assert cases.count() == 1
    assert Message.objects.get(case=cases.get()).text.startswith("@kopi@example.social worst coffee")
    # A redelivery of the same mention changes nothing.
    _ingest(workspace_a, "m-1", "@kopi@example.social worst coffee ever, totally terrible and awful")
    assert Message.objects.filter(case__workspace=workspace_a).count() == 1
