"""Replies go out exactly once: queued, claimed, sent with the message's idempotency key; transient
failures retry with backoff, permanent ones fail with the reason and can be retried by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from care import services
from care.models import Case, CaseStatus, DeliveryStatus, Direction, Message
from cxm.channels.connectors.base import (
    AuthError,
    ItemKind,
    PermanentError,
    Published,
    RateLimited,
    TransientError,
)
from tests.care.conftest import dm, make_account, receive

pytestmark = pytest.mark.django_db


class FakeConnector:
    """Records every reply; answers with the queued outcomes first (exceptions or None = success)."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = []
        self.published: dict[str, str] = {}

    def reply(self, outgoing):
        self.calls.append(outgoing)
        if self.outcomes:
            outcome = self.outcomes.pop(0)
            if outcome is not None:
                raise outcome
        # Like the platforms: the same idempotency key gives back the same post.
        external_id = self.published.setdefault(outgoing.idempotency_key, f"status-{len(self.published) + 1}")
        return Published(external_id=external_id, url=f"https://social.example/{external_id}")

    def __call__(self, account):
        return self


def deliver(message, connector, now=None):
    return services.message_deliver(
        message_id=message.pk, workspace_id=message.workspace_id, connector_for=connector, now=now
    )


def test_a_reply_is_queued_and_answers_the_customers_message(case, member, workspace_a):
    agent = member(workspace_a, "agent").user
    reply = services.case_reply(case=case, text="It ships today.", by=agent)
    assert reply.direction == Direction.OUTBOUND and reply.status == DeliveryStatus.QUEUED
    assert reply.reply_to_external_id == "m1"
    assert reply.recipient == "@ana@social.example"  # a DM is answered privately
    assert reply.idempotency_key.startswith("care-")
    case.refresh_from_db()
    assert case.first_responded_at is not None and case.first_response_warn_at is None
    assert case.status == CaseStatus.OPEN


def test_the_reply_task_is_enqueued_only_after_commit(case, django_capture_on_commit_callbacks, monkeypatch):
    from care import tasks

    sent = []
    monkeypatch.setattr(tasks.message_send, "delay", lambda **kwargs: sent.append(kwargs))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reply = services.case_reply(case=case, text="On its way")
    assert sent == []
    for callback in callbacks:
        callback()
    assert sent == [{"message_id": reply.pk, "workspace_id": case.workspace_id}]


def test_delivering_sends_once_with_the_idempotency_key(case):
    reply = services.case_reply(case=case, text="It ships today.")
    connector = FakeConnector()
    assert deliver(reply, connector).outcome == "sent"
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT and reply.external_id == "status-1" and reply.sent_at
    (outgoing,) = connector.calls
    assert outgoing.idempotency_key == reply.idempotency_key
    assert outgoing.reply_to == "m1" and outgoing.text == "It ships today."


def test_running_the_task_twice_never_sends_twice(case):
    reply = services.case_reply(case=case, text="It ships today.")
    connector = FakeConnector()
    assert deliver(reply, connector).outcome == "sent"
    assert deliver(reply, connector).outcome == "skipped"
    assert len(connector.calls) == 1


def test_a_task_arriving_while_another_worker_sends_does_nothing(case):
    reply = services.case_reply(case=case, text="It ships today.")
    Message.objects.filter(pk=reply.pk).update(
        status=DeliveryStatus.SENDING, attempts=1, claimed_until=timezone.now() + timedelta(minutes=4)
    )
    connector = FakeConnector()
    assert deliver(reply, connector).outcome == "skipped"
    assert connector.calls == []


def test_a_worker_that_died_mid_send_is_taken_over_with_the_same_key(case):
    reply = services.case_reply(case=case, text="It ships today.")
    first = FakeConnector(TransientError("connection lost after the request went out"))
    # The first worker claimed it and died: only the lease is left.
    Message.objects.filter(pk=reply.pk).update(
        status=DeliveryStatus.SENDING, attempts=1, claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert (reply.pk, reply.workspace_id) in services.outbox_stale()
    connector = FakeConnector()
    connector.published[reply.idempotency_key] = "status-already-there"  # the platform got it before
    assert deliver(reply, connector).outcome == "sent"
    reply.refresh_from_db()
    assert reply.external_id == "status-already-there"
    assert first.calls == []


def test_a_transient_error_is_retried_with_backoff_then_sent(case, monkeypatch):
    from care.services import outbox

    monkeypatch.setattr(outbox, "REPLY_RETRY", replace(outbox.REPLY_RETRY, base=30.0, jitter=False))
    reply = services.case_reply(case=case, text="It ships today.")
    connector = FakeConnector(TransientError("platform error 503"))
    now = timezone.now()
    result = deliver(reply, connector, now=now)
    assert result.outcome == "retry" and result.retry_in == 30
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.QUEUED and reply.attempts == 1
    assert reply.error == "platform error 503"
    assert reply.next_attempt_at == now + timedelta(seconds=result.retry_in)
    # a redelivered copy of the task that comes too early waits
    assert deliver(reply, connector, now=now).outcome == "skipped"
    assert deliver(reply, connector, now=reply.next_attempt_at).outcome == "sent"
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT and reply.attempts == 2 and reply.error == ""
    assert [c.idempotency_key for c in connector.calls] == [reply.idempotency_key] * 2


def test_a_rate_limit_waits_at_least_as_long_as_the_platform_asks(case):
    reply = services.case_reply(case=case, text="It ships today.")
    result = deliver(reply, FakeConnector(RateLimited("slow down", retry_after=600)))
    assert result.outcome == "retry" and result.retry_in >= 600


def test_transient_errors_give_up_after_the_last_attempt(case):
    from care.services.outbox import MAX_ATTEMPTS

    reply = services.case_reply(case=case, text="It ships today.")
    Message.objects.filter(pk=reply.pk).update(attempts=MAX_ATTEMPTS - 1)
    assert deliver(reply, FakeConnector(TransientError("still down"))).outcome == "failed"
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.FAILED and "still down" in reply.error


def test_a_permanent_error_fails_with_the_reason_and_can_be_retried_by_hand(case, member, workspace_a):
    agent = member(workspace_a, "agent").user
    reply = services.case_reply(case=case, text="x" * 600, by=agent)
    connector = FakeConnector(PermanentError("refused (422): Text character limit of 500 exceeded"))
    assert deliver(reply, connector).outcome == "failed"
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.FAILED
    assert "character limit" in reply.error
    assert case.events.filter(kind="reply_failed").exists()
    # the task coming again does not resend a failed reply
    assert deliver(reply, connector).outcome == "skipped"
    assert len(connector.calls) == 1

    services.message_retry(message=reply, by=agent)
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.QUEUED and reply.error == ""
    assert deliver(reply, connector).outcome == "sent"
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT
    assert {c.idempotency_key for c in connector.calls} == {reply.idempotency_key}


def test_an_auth_error_fails_the_reply(case):
    reply = services.case_reply(case=case, text="Hello")
    assert deliver(reply, FakeConnector(AuthError("not authorised (401)"))).outcome == "failed"


def test_only_a_failed_reply_can_be_retried(case):
    reply = services.case_reply(case=case, text="Hello")
    with pytest.raises(ValidationError):
        services.message_retry(message=reply)


def test_a_public_mention_is_answered_in_public(workspace_a, account):
    case = services.case_open_from_mention(
        workspace=workspace_a,
        mention={
            "platform": "mastodon",
            "external_id": "9001",
            "text": "@brand why is the app down?",
            "author": {"id": "77", "handle": "@budi@social.example", "name": "Budi"},
            "account_id": account.pk,
        },
    )
    reply = services.case_reply(case=case, text="We are on it")
    assert reply.reply_to_external_id == "9001" and reply.recipient == ""


def test_an_email_reply_keeps_the_thread(workspace_a):
    mailbox = make_account(workspace_a, platform="email", handle="care@brand.example")
    receive(
        mailbox,
        dm(
            "<q1@mail.example>",
            kind=ItemKind.EMAIL,
            platform="email",
            subject="Broken kettle",
            thread_id="<q1@mail.example>",
        ),
    )
    case = Case.objects.get()
    reply = services.case_reply(case=case, text="Sorry to hear that")
    connector = FakeConnector()
    deliver(reply, connector)
    (outgoing,) = connector.calls
    assert outgoing.recipient == "ana@mail.example"
    assert outgoing.reply_to == "<q1@mail.example>"
    assert outgoing.subject == "Broken kettle" and outgoing.thread_id == "<q1@mail.example>"


def test_cannot_reply_on_a_closed_case_or_without_a_channel(case, workspace_a):
    services.case_status_set(case=case, status=CaseStatus.CLOSED)
    with pytest.raises(ValidationError):
        services.case_reply(case=case, text="Hello?")
    manual = services.case_create(workspace=workspace_a, customer=case.customer, subject="Phone call")
    with pytest.raises(ValidationError):
        services.case_reply(case=manual, text="Hello?")


def test_a_reply_can_move_the_case_on(case):
    services.case_reply(
        case=case, text="Could you send the order number?", status=CaseStatus.PENDING_CUSTOMER
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING_CUSTOMER


def test_a_note_notifies_the_colleagues_it_mentions(case, member, workspace_a):
    from care.models import Notification

    author = member(workspace_a, "agent").user
    colleague = member(workspace_a, "agent").user
    note = services.case_note(
        case=case, text=f"@{colleague.username} can you check the warehouse?", by=author
    )
    assert note.direction == Direction.NOTE and note.mentions == [colleague.pk]
    assert Notification.objects.filter(user=colleague, case=case, kind="mention").count() == 1
    assert not Notification.objects.filter(user=author).exists()


def test_a_note_cannot_mention_someone_from_another_workspace(case, member, workspace_b):
    outsider = member(workspace_b, "agent").user
    with pytest.raises(ValidationError):
        services.case_note(case=case, text="psst", mentions=[outsider.pk])
