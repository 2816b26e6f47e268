"""WhatsApp's delivery statuses of our replies, as the signed Meta webhook delivers them: recorded
on the reply the status names, in the receiving account's workspace only, only ever forward, and
shown on the case page."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from django.utils import translation

from care import services
from care.models import Case, Direction, Message, PlatformStatus
from cxm.channels.connectors.whatsapp import webhook_items
from cxm.channels.meta_signature import signature_for
from tests.care.conftest import make_account, receive
from tests.channels.stubs.whatsapp_server import PHONE_NUMBER_ID, TOKEN, fixture

pytestmark = pytest.mark.django_db

APP_SECRET = "the-apps-secret"
WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA"  # the documented status's id


@pytest.fixture(autouse=True)
def meta_app(settings):
    settings.CXM_META_APP_SECRET = APP_SECRET


def documented(name: str, status: str | None = None) -> dict:
    payload = fixture(name)
    payload.pop("_source")
    if status is not None:
        payload = copy.deepcopy(payload)
        payload["entry"][0]["changes"][0]["value"]["statuses"][0]["status"] = status
    return payload


def post(client, payload: dict):
    body = json.dumps(payload).encode()
    return client.post(
        "/hooks/meta/",
        data=body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature_for(APP_SECRET, body),
    )


def sent_reply(workspace, handle: str) -> Message:
    """A reply on a WhatsApp case that the platform accepted as `WAMID`."""
    account = make_account(workspace, platform="whatsapp", handle=handle, credentials={"access_token": TOKEN})
    value = fixture("whatsapp_webhook_text.json")["entry"][0]["changes"][0]["value"]
    receive(account, *webhook_items(value))
    case = Case.objects.get(workspace=workspace, platform="whatsapp")
    written = case.messages.get(direction=Direction.INBOUND).occurred_at
    reply = services.case_reply(case=case, text="Yes: green and blue.", now=written + timedelta(hours=1))
    Message.objects.filter(pk=reply.pk).update(status="sent", external_id=WAMID)
    reply.refresh_from_db()
    return reply


@pytest.fixture
def ours(workspace_a):
    return sent_reply(workspace_a, PHONE_NUMBER_ID)


@pytest.fixture
def theirs(workspace_b):
    # Another workspace's number, whose reply happens to carry the same id.
    return sent_reply(workspace_b, "109876543210987")


def test_a_documented_read_status_marks_our_reply_read_and_no_other_workspaces(client, ours, theirs):
    answer = post(client, documented("whatsapp_webhook_status_read.json"))

    assert answer.status_code == 200
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.platform_status == PlatformStatus.READ
    assert ours.platform_status_at is not None and ours.platform_status_at.year == 2025
    assert theirs.platform_status == ""


def test_statuses_only_move_forward(client, ours):
    post(client, documented("whatsapp_webhook_status_read.json", "delivered"))
    ours.refresh_from_db()
    assert ours.platform_status == PlatformStatus.DELIVERED

    post(client, documented("whatsapp_webhook_status_read.json"))
    post(client, documented("whatsapp_webhook_status_read.json", "delivered"))
    post(client, documented("whatsapp_webhook_status_read.json", "sent"))

    ours.refresh_from_db()
    assert ours.platform_status == PlatformStatus.READ


def test_a_failed_status_keeps_the_platforms_code_and_meaning(client, ours):
    post(client, documented("whatsapp_webhook_status_failed.json"))

    ours.refresh_from_db()
    assert ours.platform_status == PlatformStatus.FAILED
    assert ours.platform_error.startswith("131047: ")
    assert "24 hours" in ours.platform_error


def test_the_case_page_shows_each_replys_status_in_the_readers_language(client, member, workspace_a, ours):
    post(client, documented("whatsapp_webhook_status_read.json"))
    client.force_login(member(workspace_a).user)

    page = client.get(f"/care/cases/{ours.case_id}/").content.decode()
    assert 'data-platform-status="read"' in page and "Read" in page

    with translation.override("id"):
        page = client.get(f"/care/cases/{ours.case_id}/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Dibaca" in page
