"""The kernel registries that let a lower module call up without importing the module above it:
the pause tells its stoppers, listening offers mentions that need an answer to their handlers, and
care's case page renders the panels registered for its messages. Each test registers its own
recorder and checks the lower module called it."""

from __future__ import annotations

import pytest
from django.utils.html import format_html

from care.models import Case
from cxm.channels.models import ChannelAccount
from cxm.channels.sinks import (
    register_mention_handler,
    registered_mention_handlers,
    unregister_mention_handler,
)
from cxm.stoppers import pause_stoppers, register_pause_stopper, unregister_pause_stopper
from cxm.tenancy.models import Role
from cxm.web.panels import CASE_MESSAGE, register_panel, registered_panels, unregister_panel
from listening.services import mentions_ingest_payload
from publishing.services import pause_activate, pause_resume
from tests.care.conftest import dm, receive

pytestmark = pytest.mark.django_db


def test_the_apps_register_their_stopper_handler_and_panel():
    assert "ads" in pause_stoppers()
    assert "care" in registered_mention_handlers()
    assert "ads.comment" in registered_panels(CASE_MESSAGE)


class RecordingStopper:
    def __init__(self):
        self.stopped, self.restored = [], []

    def stop(self, *, pause, by=None, request=None) -> int:
        self.stopped.append(pause.pk)
        return 1

    def restore(self, *, pauses) -> int:
        self.restored.append([pause.pk for pause in pauses])
        return len(pauses)


@pytest.fixture
def stopper():
    recording = RecordingStopper()
    register_pause_stopper("test", recording)
    yield recording
    unregister_pause_stopper("test")


def test_a_pause_that_stops_running_work_tells_every_stopper_and_resume_tells_them_again(
    workspace_a, stopper
):
    pause = pause_activate(workspace=workspace_a, reason="crisis", stop_running_ads=True)
    assert stopper.stopped == [pause.pk]

    pause_resume(workspace=workspace_a, pause=pause)
    assert stopper.restored == [[pause.pk]]


def test_a_pause_that_only_holds_posts_stops_nothing_else(workspace_a, stopper):
    pause_activate(workspace=workspace_a, reason="quiet hour")
    assert stopper.stopped == []


def test_a_mention_that_needs_an_answer_is_offered_to_every_handler(workspace_a):
    ChannelAccount.objects.create(workspace=workspace_a, platform="mastodon", handle="@kopi@example.social")
    offered = []

    def handler(*, workspace_id, mentions):
        offered.append((workspace_id, [mention["external_id"] for mention in mentions]))

    register_mention_handler("test", handler)
    try:
        mentions_ingest_payload(
            workspace_id=workspace_a.pk,
            items=[
                {
                    "platform": "mastodon",
                    "external_id": "q-1",
                    "text": "@kopi@example.social my order never arrived, where is it?",
                    "created_at": "2026-11-20T10:00:00Z",
                    "author": {"handle": "@ana@example.social", "name": "Ana", "id": "ana-1"},
                    "language": "en",
                },
                {
                    "platform": "mastodon",
                    "external_id": "fine-1",
                    "text": "Sunny day at the beach",
                    "created_at": "2026-11-20T10:01:00Z",
                    "author": {"handle": "@ana@example.social", "name": "Ana", "id": "ana-1"},
                    "language": "en",
                },
            ],
        )
    finally:
        unregister_mention_handler("test")

    assert offered == [(workspace_a.pk, ["q-1"])]
    # Care's own handler was offered the same mention and opened its case.
    assert Case.objects.filter(workspace=workspace_a).count() == 1


def test_the_case_page_renders_the_panels_registered_for_its_messages(client, member, workspace_a):
    account = ChannelAccount.objects.create(workspace=workspace_a, platform="mastodon", handle="@kopi")
    receive(account, dm("m1", author="ana", text="Where is my order?"))
    case = Case.objects.get(workspace=workspace_a)
    asked = []

    def panel(request, messages):
        asked.append([message.pk for message in messages])
        return {
            message.pk: format_html("<p class='test-panel'>panel for {}</p>", message.pk)
            for message in messages
        }

    register_panel(CASE_MESSAGE, "test", panel)
    try:
        client.force_login(member(workspace_a, Role.AGENT).user)
        page = client.get(f"/care/cases/{case.pk}/").content.decode()
    finally:
        unregister_panel(CASE_MESSAGE, "test")

    (message_id,) = asked[0]
    assert f"<p class='test-panel'>panel for {message_id}</p>" in page
