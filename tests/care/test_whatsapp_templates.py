"""Outside WhatsApp's 24-hour window the reply box says so and offers the account's approved
templates; the agent fills one's placeholders and sends it, through the outbox like any reply,
and it reaches WhatsApp once with the documented template body."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from care import services
from care.models import Case, DeliveryStatus, Direction, Message
from cxm.channels.connectors.whatsapp import webhook_items
from tests.care.conftest import make_account, receive
from tests.channels.stubs.whatsapp_server import TOKEN, WABA_ID, WhatsAppStub, fixture

pytestmark = pytest.mark.django_db

POSITIONAL = "order_delivery_update:en_US"


@pytest.fixture
def whatsapp():
    with WhatsAppStub() as stub:
        yield stub


@pytest.fixture
def wa_case(workspace_a, whatsapp):
    """A WhatsApp case whose customer wrote long ago (the documented message is from 2025)."""
    workspace_a.allow_private_webhook_targets = True  # the stand-in listens on 127.0.0.1
    workspace_a.save(update_fields=["allow_private_webhook_targets"])
    account = make_account(
        workspace_a,
        platform="whatsapp",
        handle=whatsapp.phone_number_id,
        base_url=whatsapp.base_url,
        credentials={"access_token": TOKEN},
        options={"waba_id": WABA_ID},
    )
    value = fixture("whatsapp_webhook_text.json")["entry"][0]["changes"][0]["value"]
    receive(account, *webhook_items(value))
    return Case.objects.get(workspace=workspace_a, platform="whatsapp")


@pytest.fixture
def agent_client(client, agent, workspace_a):
    client.force_login(agent(workspace_a))
    return client


def template_requests(stub) -> int:
    return len([r for r in stub.requests if r.path.endswith("/message_templates")])


def deliver(message: Message):
    return services.message_deliver(message_id=message.pk, workspace_id=message.workspace_id)


def test_a_filled_template_is_queued_and_reaches_whatsapp_once_with_the_documented_body(wa_case, whatsapp):
    message = services.case_template_send(
        case=wa_case, template=POSITIONAL, values={"param-body-1": "Ana", "param-body-2": "77"}
    )
    assert message.direction == Direction.OUTBOUND and message.status == DeliveryStatus.QUEUED
    assert message.text == "Good news Ana! Your order #77 is on its way."

    assert deliver(message).outcome == "sent"
    assert deliver(message).outcome == "skipped"  # a redelivered task finds it sent

    (sent,) = whatsapp.sent
    assert sent["type"] == "template" and sent["to"] == "16505551234"
    assert sent["template"] == {
        "name": "order_delivery_update",
        "language": {"code": "en_US"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "77"}]}
        ],
    }
    assert sent["biz_opaque_callback_data"] == message.idempotency_key
    message.refresh_from_db()
    assert (message.status, message.external_id) == (DeliveryStatus.SENT, sent["_id"])


def test_free_text_outside_the_window_is_still_refused(wa_case, whatsapp):
    with pytest.raises(ValidationError):
        services.case_reply(case=wa_case, text="Still there?")
    assert whatsapp.sent == []


def test_every_placeholder_must_be_filled_and_only_approved_templates_are_sent(wa_case, whatsapp):
    with pytest.raises(ValidationError) as caught:
        services.case_template_send(case=wa_case, template=POSITIONAL, values={"param-body-1": "Ana"})
    assert "2" in caught.value.message_dict["template"][0]
    with pytest.raises(ValidationError):
        services.case_template_send(case=wa_case, template="summer_sale:id", values={})
    assert not Message.objects.filter(case=wa_case, direction=Direction.OUTBOUND).exists()


def test_the_case_page_says_the_window_is_closed_and_offers_the_approved_templates(
    agent_client, wa_case, whatsapp
):
    page = agent_client.get(f"/care/cases/{wa_case.pk}/").content.decode()
    assert "more than 24 hours ago" in page
    assert f'data-template="{POSITIONAL}"' in page
    assert 'name="param-body-1"' in page and 'placeholder="Pablo"' in page
    # A media header cannot be filled here; a pending template cannot be sent.
    assert "reservation_confirmation" not in page and "summer_sale" not in page

    with translation.override("id"):
        page = agent_client.get(f"/care/cases/{wa_case.pk}/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Templat yang disetujui" in page
    assert template_requests(whatsapp) == 1  # listed once, then kept a few minutes


def test_the_agent_sends_a_template_from_the_case_page(agent_client, wa_case, whatsapp):
    answer = agent_client.post(
        f"/care/cases/{wa_case.pk}/template/",
        {"template": POSITIONAL, "param-body-1": "Ana", "param-body-2": "77"},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200
    (message,) = Message.objects.filter(case=wa_case, direction=Direction.OUTBOUND)
    assert "Good news Ana!" in answer.content.decode()

    assert deliver(message).outcome == "sent"  # the account's own connector, against the stand-in
    (sent,) = whatsapp.sent
    assert sent["template"]["name"] == "order_delivery_update"


def test_a_template_missing_a_value_is_refused_on_the_page(agent_client, wa_case, whatsapp):
    answer = agent_client.post(
        f"/care/cases/{wa_case.pk}/template/",
        {"template": POSITIONAL, "param-body-1": "Ana"},
        HTTP_HX_REQUEST="true",
    )
    assert "Fill in every placeholder" in answer.content.decode()
    assert not Message.objects.filter(case=wa_case, direction=Direction.OUTBOUND).exists()


def test_within_the_window_no_template_is_offered(agent_client, wa_case, whatsapp):
    Case.objects.filter(pk=wa_case.pk).update(last_inbound_at=wa_case.last_message_at + timedelta(days=9999))
    page = agent_client.get(f"/care/cases/{wa_case.pk}/").content.decode()
    assert "data-template=" not in page and template_requests(whatsapp) == 0


def test_the_api_refuses_free_text_and_sends_a_template_outside_the_window(
    api, member, workspace_a, wa_case, whatsapp
):
    client = api(member(workspace_a))
    url = f"/api/v1/cases/{wa_case.pk}/messages/"

    refused = client.post(url, {"kind": "reply", "text": "Still there?"}, format="json")
    assert refused.status_code == 400

    queued = client.post(
        url,
        {"kind": "reply", "template": POSITIONAL, "parameters": {"1": "Ana", "2": "77"}},
        format="json",
    )
    assert queued.status_code == 201, queued.content
    body = queued.json()
    assert body["text"] == "Good news Ana! Your order #77 is on its way." and body["status"] == "queued"

    assert deliver(Message.objects.get(pk=body["id"])).outcome == "sent"
    (sent,) = whatsapp.sent
    assert sent["template"]["components"][0]["parameters"][1] == {"type": "text", "text": "77"}
    assert client.get(url).json()["results"][0]["platform_status"] == ""
