"""Direct messages posted to an inbound webhook become cases; the beat tick sweeps SLA clocks,
waiting cases and replies whose task was lost."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from care import services, tasks
from care.models import Case, DeliveryStatus, Message, Priority
from cxm.channels.models import ChannelAccount
from cxm.channels.signing import sign_inbound
from tests.care.conftest import dm, receive

pytestmark = pytest.mark.django_db

SECRET = "shared-secret-for-tests"


def test_a_direct_message_from_a_webhook_opens_a_case_once(client, workspace_a):
    hook = ChannelAccount.objects.create(
        workspace=workspace_a,
        platform="webhook",
        handle="shop-chat",
        credentials={"webhook_secrets": [SECRET]},
    )
    item = {
        "external_id": "chat-1",
        "text": "Is my parcel lost?",
        "created_at": "2026-11-20T10:00:00Z",
        "author": {"id": "cust-9", "handle": "ana@example.com", "name": "Ana"},
        "kind": "dm",
    }
    for delivery in ("d-1", "d-2"):  # the sender retries under a new delivery id
        body = json.dumps({"items": [item]}).encode()
        headers = sign_inbound(SECRET, body, int(time.time()) + (delivery == "d-2"))
        headers["X-CXM-Delivery"] = delivery
        response = client.post(
            f"/hooks/{hook.pk}/", data=body, content_type="application/json", headers=headers
        )
        assert response.status_code == 202, response.content
    (case,) = Case.objects.filter(workspace=workspace_a)
    assert case.channel_account == hook and case.platform == "webhook"
    assert case.messages.get().text == "Is my parcel lost?"


def test_the_tick_sweeps_clocks_routing_and_lost_replies(workspace_a, account, agent, monkeypatch):
    services.sla_policy_save(
        workspace=workspace_a, priority=Priority.NORMAL, first_response_minutes=1, resolution_minutes=60
    )
    receive(account, dm("m1", author="ana"))
    receive(account, dm("m2", author="budi"))
    ana, budi = Case.objects.order_by("id")
    Case.objects.filter(pk=ana.pk).update(first_response_due_at=timezone.now() - timedelta(minutes=1))
    reply = services.case_reply(case=budi, text="On it")
    Message.objects.filter(pk=reply.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    agent(workspace_a)
    resent = []
    monkeypatch.setattr(tasks.message_send, "delay", lambda **kwargs: resent.append(kwargs))

    result = tasks.tick()

    assert result["breached"] == 1 and result["routed"] == 2 and result["resent"] == 1
    assert resent == [{"message_id": reply.pk, "workspace_id": workspace_a.pk}]
    assert not Case.objects.filter(assignee__isnull=True).exists()
    assert Message.objects.get(pk=reply.pk).status == DeliveryStatus.QUEUED
