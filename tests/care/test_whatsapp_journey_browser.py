"""A WhatsApp conversation in a real browser, through the signed Meta webhook and a real worker.

The customer's message arrives as Meta's documented text delivery, signed with the app secret, at
the live server's `/hooks/meta/`; the agent opens it from the inbox and answers as free text within
the 24-hour window (the worker sends it to the WhatsApp stand-in once). A day later free text is
closed: the agent reloads the case, fills an approved template and sends it (once again through the
worker); WhatsApp's signed `read` status for it arrives and the case page shows the reply as read.
"""

from __future__ import annotations

import copy
import json
import time
import urllib.request
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from care.models import Case, DeliveryStatus, Direction, Message, PlatformStatus
from cxm.channels.meta_signature import signature_for
from cxm.tenancy.models import Role
from tests.care.conftest import make_account
from tests.channels.stubs.whatsapp_server import TOKEN, WABA_ID, WhatsAppStub, fixture
from tests.factories import WorkspaceFactory
from tests.waiting import wait_for

APP_SECRET = "the-apps-secret"
TEMPLATE = "order_delivery_update:en_US"


def documented(name: str) -> dict:
    payload = copy.deepcopy(fixture(name))
    payload.pop("_source")
    return payload


def meta_delivery(live_server, payload: dict) -> None:
    """POST a delivery to `/hooks/meta/` as Meta does: the body signed with the app secret."""
    body = json.dumps(payload).encode()
    request = urllib.request.Request(
        f"{live_server.url}/hooks/meta/",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature_for(APP_SECRET, body),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


@pytest.mark.browser
@pytest.mark.worker
def test_an_agent_answers_a_whatsapp_customer_then_sends_a_template_they_read(
    live_server, page, session_in_page, celery_worker_process, member, settings
):
    settings.CXM_META_APP_SECRET = APP_SECRET
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stand-in listens on 127.0.0.1
    workspace = WorkspaceFactory(name="Acme", allow_private_webhook_targets=True)
    agent = member(workspace, Role.AGENT)

    with WhatsAppStub() as whatsapp:
        make_account(
            workspace,
            platform="whatsapp",
            handle=whatsapp.phone_number_id,
            base_url=whatsapp.base_url,
            credentials={"access_token": TOKEN},
            options={"waba_id": WABA_ID},
        )

        # The customer writes now: Meta's documented text message, delivered and signed.
        delivery = documented("whatsapp_webhook_text.json")
        value = delivery["entry"][0]["changes"][0]["value"]
        value["messages"][0]["timestamp"] = str(int(time.time()))
        meta_delivery(live_server, delivery)
        case = Case.objects.get(workspace=workspace, platform="whatsapp")
        inbound = case.messages.get(direction=Direction.INBOUND)
        assert inbound.text == "Does the coffee blanket come in other colors?"

        # The agent finds it in the inbox and opens it.
        session_in_page(agent)
        page.goto(f"{live_server.url}/care/?view=all")
        row = page.locator(f"#case-{case.pk}")
        expect(row).to_contain_text("coffee blanket")
        row.click()
        page.wait_for_url(f"**/care/cases/{case.pk}/")
        expect(page.locator("body")).to_have_attribute("data-care-ready", "true")
        expect(page.locator("#thread-messages")).to_contain_text(
            "Does the coffee blanket come in other colors?"
        )
        expect(page.locator(".window-closed")).to_have_count(0)
        expect(page.locator("#reply-templates [data-template]")).to_have_count(0)

        # Within the window: free text, sent by the worker to the customer's number, once.
        page.fill("#reply-text", "Yes: green and blue.")
        page.click("#send-button")
        first = page.locator("#thread-messages .msg-outbound").last
        expect(first).to_contain_text("Yes: green and blue.")
        expect(first.locator('.delivery[data-status="sent"]')).to_have_count(1, timeout=20_000)
        assert wait_for(lambda: len(whatsapp.sent) == 1, seconds=10), "the reply did not reach WhatsApp"
        (text,) = whatsapp.sent
        assert (text["type"], text["to"], text["text"]["body"]) == (
            "text",
            "16505551234",
            "Yes: green and blue.",
        )

        # A day passes without the customer writing: free text is closed.
        day_ago = inbound.occurred_at - timedelta(hours=24, minutes=1)
        Message.objects.filter(pk=inbound.pk).update(occurred_at=day_ago)
        Case.objects.filter(pk=case.pk).update(last_inbound_at=day_ago)
        page.reload()
        expect(page.locator("body")).to_have_attribute("data-care-ready", "true")
        expect(page.locator(".window-closed")).to_contain_text("more than 24 hours ago")
        choice = page.locator(f'#reply-templates [data-template="{TEMPLATE}"]')
        choice.locator("summary").click()
        choice.locator('input[name="param-body-1"]').fill("Sheena")
        choice.locator('input[name="param-body-2"]').fill("1042")
        choice.get_by_role("button", name="Send template").click()

        # The template goes out once, through the worker, with the filled parameters.
        assert wait_for(lambda: len(whatsapp.sent) == 2, seconds=20), "the template did not reach WhatsApp"
        sent = whatsapp.sent[1]
        assert sent["type"] == "template" and sent["to"] == "16505551234"
        assert sent["template"]["name"] == "order_delivery_update"
        assert sent["template"]["components"][0]["parameters"] == [
            {"type": "text", "text": "Sheena"},
            {"type": "text", "text": "1042"},
        ]
        # The worker stores WhatsApp's id once the send has answered, a moment after the stand-in saw it.
        sent_message = Message.objects.filter(
            case=case, direction=Direction.OUTBOUND, external_id=sent["_id"]
        )
        assert wait_for(sent_message.exists, seconds=20), "the template's WhatsApp id was not stored"
        template_message = sent_message.get()
        assert template_message.text == "Good news Sheena! Your order #1042 is on its way."
        assert wait_for(
            lambda: Message.objects.get(pk=template_message.pk).status == DeliveryStatus.SENT, seconds=10
        ), "the template was not recorded as sent"

        # WhatsApp says the customer read it; after a reload the case page shows it.
        status = documented("whatsapp_webhook_status_read.json")
        read = status["entry"][0]["changes"][0]["value"]["statuses"][0]
        read["id"] = sent["_id"]
        read["biz_opaque_callback_data"] = sent["biz_opaque_callback_data"]
        meta_delivery(live_server, status)
        page.reload()
        expect(page.locator("body")).to_have_attribute("data-care-ready", "true")
        shown = page.locator(f"#delivery-{template_message.pk} [data-platform-status]")
        expect(shown).to_have_attribute("data-platform-status", "read")
        expect(shown).to_contain_text("Read")
        first_reply = Message.objects.get(case=case, direction=Direction.OUTBOUND, external_id=text["_id"])
        expect(page.locator(f"#delivery-{first_reply.pk} [data-platform-status]")).to_have_count(0)
        assert Message.objects.get(pk=template_message.pk).platform_status == PlatformStatus.READ
        assert len(whatsapp.sent) == 2  # nothing was sent twice
