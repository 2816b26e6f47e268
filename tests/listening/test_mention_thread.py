"""The mention page shows the conversation around a mention: its thread's root and replies."""

from __future__ import annotations

import re

import pytest

from cxm.tenancy.models import Role
from listening.models import Mention
from listening.services import mentions_ingest_payload
from tests.listening.conftest import item

pytestmark = pytest.mark.django_db


def _ingest(workspace, items):
    result = mentions_ingest_payload(workspace_id=workspace.pk, items=items)
    assert result.accepted == len(items), result.errors


def _thread_on_page(client, mention) -> list[str]:
    page = client.get(f"/listening/mentions/{mention.pk}/").content.decode()
    thread = re.search(r'<ol class="thread">(.*?)</ol>', page, re.S).group(1)
    return re.findall(r"cup number (\d+)", thread)


@pytest.fixture
def conversation(workspace_a, workspace_b):
    root = item(1, created_at="2026-11-20T10:00:00Z")
    replies = [
        item(3, created_at="2026-11-20T10:20:00Z", in_reply_to="1002", thread_id="1001"),
        item(2, created_at="2026-11-20T10:10:00Z", in_reply_to="1001", thread_id="1001"),
    ]
    elsewhere = [
        item(4, created_at="2026-11-20T10:05:00Z"),  # a post of its own
        item(5, created_at="2026-11-20T10:06:00Z", thread_id="1099"),  # its root was never ingested
        item(
            6, platform="bluesky", external_id="1001", created_at="2026-11-20T09:00:00Z"
        ),  # another platform's 1001
    ]
    _ingest(workspace_a, [root, *replies, *elsewhere])
    # The same thread ids in another workspace must not join the conversation.
    _ingest(
        workspace_b,
        [item(7, external_id="1001"), item(8, thread_id="1001", created_at="2026-11-20T10:01:00Z")],
    )
    return {
        n: Mention.objects.get(workspace_id=workspace_a.pk, external_id=str(1000 + n), platform="mastodon")
        for n in (1, 2, 3, 4, 5)
    }


def test_a_reply_shows_its_root_and_the_other_replies_oldest_first(client, member, workspace_a, conversation):
    client.force_login(member(workspace_a, Role.ANALYST).user)
    assert _thread_on_page(client, conversation[3]) == ["1", "2", "3"]
    assert _thread_on_page(client, conversation[2]) == ["1", "2", "3"]


def test_a_root_shows_its_replies(client, member, workspace_a, conversation):
    client.force_login(member(workspace_a, Role.ANALYST).user)
    assert _thread_on_page(client, conversation[1]) == ["1", "2", "3"]


def test_a_post_without_replies_and_a_reply_whose_root_is_missing_stand_alone(
    client, member, workspace_a, conversation
):
    client.force_login(member(workspace_a, Role.ANALYST).user)
    assert _thread_on_page(client, conversation[4]) == ["4"]
    assert _thread_on_page(client, conversation[5]) == ["5"]


def test_the_same_id_on_another_platform_is_another_conversation(client, member, workspace_a, conversation):
    client.force_login(member(workspace_a, Role.ANALYST).user)
    other = Mention.objects.get(workspace_id=workspace_a.pk, platform="bluesky", external_id="1001")
    assert _thread_on_page(client, other) == ["6"]
