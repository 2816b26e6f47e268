"""A reply goes out through a real Celery worker to a Mastodon server (the loopback stub): the
platform answers 503 once, the worker retries with the same idempotency key, and exactly one
direct message arrives, however often the task is delivered."""

from __future__ import annotations

import time

import pytest

from care import services
from care.models import Case, DeliveryStatus, Message
from care.tasks import message_send
from cxm.channels.connectors.base import Author, Item, ItemKind
from cxm.channels.models import ChannelAccount
from tests.care.conftest import T0, receive
from tests.channels.stubs.mastodon_server import MastodonStub
from tests.waiting import wait_for


@pytest.mark.worker
def test_a_reply_is_delivered_once_through_the_worker(celery_worker_process, workspace_a):
    with MastodonStub() as stub:
        account = ChannelAccount.objects.create(
            workspace=workspace_a,
            platform="mastodon",
            handle="@brand@127.0.0.1",
            base_url=stub.base_url,
            credentials={"access_token": stub.token},
        )
        alice = stub.add_account("alice", display_name="Alice")
        question = stub.add_status(
            alice, "<p>@brand where is my order?</p>", visibility="direct", mentions=[stub.me]
        )
        receive(
            account,
            Item(
                platform="mastodon",
                external_id=str(question["id"]),
                author=Author(platform_id=str(alice["id"]), handle="@alice@127.0.0.1", name="Alice"),
                text="@brand where is my order?",
                created_at=T0,
                kind=ItemKind.DM,
            ),
        )
        case = Case.objects.get(workspace=workspace_a)
        stub.fail_next(503, path="/api/v1/statuses", method="POST")

        reply = services.case_reply(case=case, text="It ships today!")  # commits: the task is enqueued

        assert wait_for(lambda: Message.objects.get(pk=reply.pk).status == DeliveryStatus.SENT), (
            Message.objects.filter(pk=reply.pk).values("status", "attempts", "error").first()
        )
        # The task delivered again (a broker redelivery): nothing more is sent.
        message_send.delay(message_id=reply.pk, workspace_id=workspace_a.pk)
        time.sleep(2)

        reply.refresh_from_db()
        assert reply.attempts == 2 and reply.error == ""
        (status,) = stub.created_statuses
        assert reply.external_id == str(status["id"])
        assert status["visibility"] == "direct"
        assert status["in_reply_to_id"] == str(question["id"])
        keys = {r.headers.get("Idempotency-Key") for r in stub.requests_to("/api/v1/statuses", "POST")}
        assert keys == {reply.idempotency_key}
