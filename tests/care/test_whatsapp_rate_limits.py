"""WhatsApp throttling a number slows its replies down instead of failing them: the number shows
it is rate limited until the time Meta named, its queued replies wait without calling, and once
the throttle has passed each goes out once. A limit on one customer (the pair limit) holds only
the replies to that customer."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest

from care import services
from care.models import Case, DeliveryStatus
from care.services.outbox import MAX_ATTEMPTS
from cxm.channels.connectors.whatsapp import webhook_items
from cxm.channels.models import AccountStatus, ChannelAccount
from tests.care.conftest import make_account, receive
from tests.care.test_whatsapp_window import connector_for
from tests.channels.stubs.whatsapp_server import TOKEN, WhatsAppStub, fixture

pytestmark = pytest.mark.django_db

MINUTES = 7  # what Meta names as estimated_time_to_regain_access


@pytest.fixture
def whatsapp():
    with WhatsAppStub() as stub:
        yield stub


@pytest.fixture
def number(workspace_a, whatsapp):
    return make_account(
        workspace_a,
        platform="whatsapp",
        handle=whatsapp.phone_number_id,
        base_url=whatsapp.base_url,
        credentials={"access_token": TOKEN},
    )


def customer_writes(number, wa_id: str, message_id: str) -> Case:
    """The documented text message webhook, from this customer."""
    value = copy.deepcopy(fixture("whatsapp_webhook_text.json")["entry"][0]["changes"][0]["value"])
    value["contacts"][0]["wa_id"] = value["messages"][0]["from"] = wa_id
    value["messages"][0]["id"] = message_id
    receive(number, *webhook_items(value))
    return Case.objects.get(workspace_id=number.workspace_id, messages__external_id=message_id)


@pytest.fixture
def replies(number):
    """A reply queued on each of two customers' cases, an hour after they wrote."""
    cases = [
        customer_writes(number, "16505551234", "wamid.A"),
        customer_writes(number, "16505559876", "wamid.B"),
    ]
    at = cases[0].messages.get().occurred_at + timedelta(hours=1)
    return at, [services.case_reply(case=case, text="Ada, kak!", now=at) for case in cases]


def deliver(reply, whatsapp, now):
    return services.message_deliver(
        message_id=reply.pk, workspace_id=reply.workspace_id, connector_for=connector_for(whatsapp), now=now
    )


def throughput_reached() -> dict[str, str]:
    usage = {
        "102290129340398": [
            {"type": "whatsapp", "call_count": 100, "estimated_time_to_regain_access": MINUTES}
        ]
    }
    return {"X-Business-Use-Case-Usage": json.dumps(usage)}


def test_a_throttled_number_holds_its_replies_until_meta_lets_go_then_each_goes_out_once(
    number, whatsapp, replies
):
    at, (first, second) = replies
    whatsapp.fail_next("130429", headers=throughput_reached())

    result = deliver(first, whatsapp, at)

    assert result.outcome == "retry" and result.retry_in >= MINUTES * 60
    number.refresh_from_db()
    assert number.status == AccountStatus.RATE_LIMITED and "130429" in number.error_text
    assert number.rate_limited_until >= at + timedelta(minutes=MINUTES)
    first.refresh_from_db()
    assert first.status == DeliveryStatus.QUEUED and first.next_attempt_at >= number.rate_limited_until

    asked = len(whatsapp.requests)
    held = deliver(second, whatsapp, at)
    second.refresh_from_db()
    assert held.outcome == "retry" and len(whatsapp.requests) == asked  # waits without calling
    assert second.attempts == 0 and second.next_attempt_at == number.rate_limited_until

    later = number.rate_limited_until + timedelta(seconds=1)
    assert deliver(first, whatsapp, later).outcome == "sent"
    assert deliver(second, whatsapp, later).outcome == "sent"
    assert deliver(first, whatsapp, later).outcome == "skipped"
    assert sorted(sent["to"] for sent in whatsapp.sent) == ["16505551234", "16505559876"]
    number.refresh_from_db()
    assert number.status == AccountStatus.CONNECTED and number.rate_limited_until is None


def test_the_pair_limit_holds_only_the_reply_to_that_customer(number, whatsapp, replies):
    at, (first, second) = replies
    whatsapp.fail_next("131056")

    assert deliver(first, whatsapp, at).outcome == "retry"
    assert deliver(second, whatsapp, at).outcome == "sent"

    number.refresh_from_db()
    assert number.status == AccountStatus.CONNECTED and number.rate_limited_until is None
    assert [sent["to"] for sent in whatsapp.sent] == ["16505559876"]


def test_a_reply_throttled_more_often_than_the_attempts_allow_still_goes_out(number, whatsapp, replies):
    at, (reply, _other) = replies
    for attempt in range(MAX_ATTEMPTS + 1):
        whatsapp.fail_next("130429", headers=throughput_reached())
        assert deliver(reply, whatsapp, at + timedelta(hours=attempt)).outcome == "retry"
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.QUEUED and reply.attempts == MAX_ATTEMPTS + 1

    assert deliver(reply, whatsapp, at + timedelta(hours=MAX_ATTEMPTS + 1)).outcome == "sent"
    (sent,) = whatsapp.sent
    assert sent["text"]["body"] == "Ada, kak!"
    assert ChannelAccount.objects.get(pk=number.pk).status == AccountStatus.CONNECTED
