"""A WhatsApp message becomes a case; the agent answers it as free text within the 24-hour
customer-service window, and after it is told that only a template can be sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from care import services
from care.models import Case, DeliveryStatus, Direction
from cxm.channels.connectors.base import AccountConfig
from cxm.channels.connectors.whatsapp import WhatsAppConnector, webhook_items
from tests.care.conftest import make_account, receive
from tests.channels.stubs.whatsapp_server import TOKEN, WhatsAppStub, fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def whatsapp():
    with WhatsAppStub() as stub:
        yield stub


@pytest.fixture
def wa_case(workspace_a, whatsapp):
    account = make_account(
        workspace_a,
        platform="whatsapp",
        handle=whatsapp.phone_number_id,
        base_url=whatsapp.base_url,
        credentials={"access_token": TOKEN},
    )
    value = fixture("whatsapp_webhook_text.json")["entry"][0]["changes"][0]["value"]
    receive(account, *webhook_items(value))
    return Case.objects.get(workspace=workspace_a, platform="whatsapp")


def connector_for(stub):
    def build(account):
        return WhatsAppConnector(
            AccountConfig(
                platform="whatsapp",
                handle=account.handle,
                base_url=stub.base_url,
                credentials={"access_token": TOKEN},
                allow_private_targets=True,
            )
        )

    return build


def test_a_whatsapp_message_opens_a_case_for_the_customers_phone(wa_case):
    inbound = wa_case.messages.get(direction=Direction.INBOUND)
    assert inbound.text == "Does the coffee blanket come in other colors?"
    assert inbound.author_handle == "+16505551234"
    assert wa_case.channel_kind == "dm"


def test_within_the_window_the_reply_goes_to_the_customers_number(wa_case, whatsapp):
    written = wa_case.messages.get(direction=Direction.INBOUND).occurred_at
    reply = services.case_reply(case=wa_case, text="Yes: green and blue.", now=written + timedelta(hours=23))
    assert reply.recipient == "+16505551234"

    outcome = services.message_deliver(
        message_id=reply.pk, workspace_id=reply.workspace_id, connector_for=connector_for(whatsapp)
    )

    assert outcome.outcome == "sent"
    (sent,) = whatsapp.sent
    assert (sent["to"], sent["text"]["body"]) == ("16505551234", "Yes: green and blue.")
    assert sent["biz_opaque_callback_data"] == reply.idempotency_key
    reply.refresh_from_db()
    assert (reply.status, reply.external_id) == (DeliveryStatus.SENT, sent["_id"])


def test_after_the_window_free_text_is_refused_with_the_reason(wa_case):
    written = wa_case.messages.get(direction=Direction.INBOUND).occurred_at
    with pytest.raises(ValidationError) as caught:
        services.case_reply(case=wa_case, text="Still there?", now=written + timedelta(hours=24, seconds=1))
    assert "only an approved message template" in str(caught.value.message_dict["text"])
    assert not wa_case.messages.filter(direction=Direction.OUTBOUND).exists()

    with translation.override("id"), pytest.raises(ValidationError) as caught:
        services.case_reply(case=wa_case, text="Masih di sana?", now=written + timedelta(days=2))
    assert "templat" in str(caught.value.message_dict["text"])


def test_a_window_closed_by_the_time_the_worker_sends_fails_with_whatsapps_reason(wa_case, whatsapp):
    written = wa_case.messages.get(direction=Direction.INBOUND).occurred_at
    reply = services.case_reply(case=wa_case, text="One more thing", now=written + timedelta(hours=23))
    whatsapp.close_window("16505551234")

    outcome = services.message_deliver(
        message_id=reply.pk, workspace_id=reply.workspace_id, connector_for=connector_for(whatsapp)
    )

    assert outcome.outcome == "failed"
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.FAILED
    assert "only an approved template can be sent" in reply.error
    assert whatsapp.sent == []
