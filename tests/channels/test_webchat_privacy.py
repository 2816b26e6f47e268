"""A person's website chats in data-subject requests: found by the address they gave (or their
chat identity), exported, and erased with their conversations, leaving other visitors alone."""

from __future__ import annotations

import pytest

from cxm.channels.webchat.models import WebchatMessage, WebchatVisitor
from cxm.privacy import services
from tests.channels.webchat import Visitor, make_widget

pytestmark = pytest.mark.django_db

EMAIL = "zelda.quist@mail.example"


def _run(workspace, kind, identity, by):
    created = services.request_create(workspace=workspace, kind=kind, identity=identity, by=by, enqueue=False)
    return services.request_run(workspace_id=workspace.pk, request_id=created.pk)


def test_erasing_a_person_deletes_their_chats_and_only_theirs(workspace_a, admin):
    widget = make_widget(workspace_a)
    zelda, other = Visitor(widget.key), Visitor(widget.key)
    zelda.start(name="Zelda Quistorp", email=EMAIL)
    zelda.write("My quokkaberry order")
    other.start(name="Other")
    other.write("Hello")

    done = _run(workspace_a, "erase", EMAIL, admin)

    assert done.counts["website_chat_visitors"] == 1 and done.counts["website_chat_messages"] == 1
    assert not WebchatVisitor.objects.filter(email=EMAIL).exists()
    assert not WebchatMessage.objects.filter(text__contains="quokkaberry").exists()
    assert WebchatMessage.objects.filter(text="Hello").exists()


def test_an_export_lists_the_visitor_and_the_conversation(workspace_a, admin):
    widget = make_widget(workspace_a)
    zelda = Visitor(widget.key)
    zelda.start(name="Zelda Quistorp", email=EMAIL)
    zelda.write("My quokkaberry order")

    done = _run(workspace_a, "export", EMAIL, admin)

    assert done.counts["website_chat_visitors"] == 1 and done.counts["website_chat_messages"] == 1
    assert WebchatMessage.objects.filter(text__contains="quokkaberry").exists()  # an export keeps the data
