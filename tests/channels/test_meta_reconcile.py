"""Meta's webhook and the polling reconciliation meet on one item: each documented delivery goes
through the signed /hooks/meta/ endpoint to the real connector, then a sync of the same account
reads the same object from a stand-in, and what the people of the brand see is one mention, or
one message in one case. WhatsApp has no polling, so a delivery Meta repeats is all there is to
meet."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from care.models import Case, Message
from cxm.channels.meta_signature import signature_for
from cxm.channels.models import ChannelAccount
from cxm.channels.services.sync import account_sync
from listening.models import Mention
from tests.channels.stubs import facebook_page_server, instagram_server, whatsapp_server
from tests.channels.stubs.facebook_page_server import FacebookPageStub
from tests.channels.stubs.instagram_server import InstagramStub
from tests.channels.stubs.whatsapp_server import WhatsAppStub

pytestmark = pytest.mark.django_db

APP_SECRET = "the-apps-secret"
FIXTURES = Path(__file__).parent / "fixtures" / "meta"


@pytest.fixture(autouse=True)
def meta_app(settings):
    settings.CXM_META_APP_SECRET = APP_SECRET
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stand-ins listen on 127.0.0.1


def documented(name: str) -> dict:
    payload = json.loads((FIXTURES / name).read_text())
    payload.pop("_source")
    return payload


def deliver(client, payload: dict):
    body = json.dumps(payload).encode()
    answer = client.post(
        "/hooks/meta/",
        data=body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature_for(APP_SECRET, body),
    )
    assert answer.status_code == 200
    return answer.json()


def poll(account: ChannelAccount) -> int:
    result = account_sync(account_id=account.pk, workspace_id=account.workspace_id)
    assert result.outcome == "ok"
    return result.fetched


def account(workspace, platform: str, handle: str, stub, token: str, **options) -> ChannelAccount:
    return ChannelAccount.objects.create(
        workspace=workspace,
        platform=platform,
        handle=handle,
        base_url=stub.base_url,
        credentials={"access_token": token},
        options=options,
    )


# --- a Facebook Page ---------------------------------------------------------------------------------


@pytest.fixture
def page_delivery():
    return documented("webhook_page_feed_comment.json")


@pytest.fixture
def page(page_delivery):
    with FacebookPageStub(page_id=page_delivery["entry"][0]["id"]) as stub:
        yield stub


@pytest.mark.parametrize("webhook_first", [True, False], ids=["webhook, then poll", "poll, then webhook"])
def test_a_page_comment_that_arrives_both_ways_is_one_mention(
    client, workspace_a, page, page_delivery, webhook_first
):
    value = page_delivery["entry"][0]["changes"][0]["value"]
    page.add_from_feed(value)
    brand_page = account(workspace_a, "facebook_page", page.page_id, page, facebook_page_server.TOKEN)

    if webhook_first:
        assert deliver(client, page_delivery)["accepted"] == 1
        assert poll(brand_page) == 2  # the post and the comment
    else:
        assert poll(brand_page) == 2
        assert deliver(client, page_delivery)["accepted"] == 1

    (mention,) = Mention.objects.filter(workspace_id=workspace_a.pk, external_id=value["comment_id"])
    assert (mention.thread_id, mention.in_reply_to) == (value["post_id"], value["post_id"])
    assert mention.text == "Kapan toko di Bandung buka?" and mention.kind == "comment"


def test_a_visitor_post_that_arrives_both_ways_is_one_mention(client, workspace_a, page):
    delivery = documented("webhook_page_feed_post.json")
    value = delivery["entry"][0]["changes"][0]["value"]
    page.add_from_feed(value)
    brand_page = account(workspace_a, "facebook_page", page.page_id, page, facebook_page_server.TOKEN)

    assert deliver(client, delivery)["accepted"] == 1
    assert poll(brand_page) == 1

    (mention,) = Mention.objects.filter(workspace_id=workspace_a.pk, platform="facebook_page")
    assert (mention.external_id, mention.kind, mention.author_name) == (
        value["post_id"],
        "post",
        "Cinderella Hoover",
    )


def test_a_messenger_message_that_arrives_both_ways_is_one_message_in_one_case(client, workspace_a, page):
    delivery = documented("webhook_page_messenger_text.json")
    event = delivery["entry"][0]["messaging"][0]
    psid, mid = event["sender"]["id"], event["message"]["mid"]
    page.add_message(
        psid, "hello, world!", at=datetime.fromtimestamp(event["timestamp"] / 1000, UTC), mid=mid
    )
    brand_page = account(workspace_a, "facebook_page", page.page_id, page, facebook_page_server.TOKEN)

    assert deliver(client, delivery)["accepted"] == 1
    assert poll(brand_page) == 1

    (message,) = Message.objects.filter(workspace_id=workspace_a.pk, platform="facebook_page")
    assert (message.external_id, message.text) == (mid, "hello, world!")
    assert Case.objects.filter(workspace_id=workspace_a.pk).count() == 1


def test_a_message_meta_never_delivered_arrives_by_polling(client, workspace_a, page):
    brand_page = account(workspace_a, "facebook_page", page.page_id, page, facebook_page_server.TOKEN)
    mid = page.add_message("6512345678901234", "Apakah masih buka?", at=datetime.now(UTC))

    assert poll(brand_page) == 1

    (message,) = Message.objects.filter(workspace_id=workspace_a.pk, platform="facebook_page")
    assert (message.external_id, message.text) == (mid, "Apakah masih buka?")


# --- an Instagram account ----------------------------------------------------------------------------


@pytest.fixture
def instagram():
    with InstagramStub() as stub:
        yield stub


def test_an_instagram_comment_that_arrives_both_ways_is_one_mention(client, workspace_a, instagram):
    delivery = documented("webhook_instagram_comment.json")
    value = delivery["entry"][0]["changes"][0]["value"]
    assert delivery["entry"][0]["id"] == instagram.user_id
    media = instagram.add_media("Koleksi baru", media_id=value["media"]["id"])
    instagram.add_comment(
        media,
        value["text"],
        username=value["from"]["username"],
        user_id=value["from"]["id"],
        comment_id=value["id"],
    )
    brand = account(workspace_a, "instagram", instagram.user_id, instagram, instagram_server.TOKEN)

    assert deliver(client, delivery)["accepted"] == 1
    assert poll(brand) == 1

    (mention,) = Mention.objects.filter(workspace_id=workspace_a.pk, external_id=value["id"])
    assert (mention.thread_id, mention.in_reply_to) == (value["media"]["id"], value["media"]["id"])


def test_an_instagram_message_that_arrives_both_ways_is_one_message_in_one_case(client, workspace_a):
    delivery = documented("instagram_webhook_messaging.json")
    entry = delivery["entry"][0]
    event = entry["messaging"][0]
    with InstagramStub(user_id=entry["id"]) as instagram:
        instagram.add_direct_message(
            event["sender"]["id"],
            event["message"]["text"],
            at=datetime.fromtimestamp(event["timestamp"] / 1000, UTC),
            mid=event["message"]["mid"],
        )
        brand = account(workspace_a, "instagram", entry["id"], instagram, instagram_server.TOKEN)

        assert deliver(client, delivery)["accepted"] == 1
        assert poll(brand) == 1

    (message,) = Message.objects.filter(workspace_id=workspace_a.pk, platform="instagram")
    assert (message.external_id, message.text) == (
        event["message"]["mid"],
        "Hello, is the summer sale still on?",
    )
    assert Case.objects.filter(workspace_id=workspace_a.pk).count() == 1


# --- a WhatsApp number -------------------------------------------------------------------------------


def test_a_whatsapp_message_delivered_twice_is_one_message_and_a_sync_reads_nothing(client, workspace_a):
    delivery = documented("webhook_whatsapp_text_message.json")
    with WhatsAppStub() as whatsapp:
        number = account(
            workspace_a, "whatsapp", whatsapp_server.PHONE_NUMBER_ID, whatsapp, whatsapp_server.TOKEN
        )
        assert deliver(client, delivery)["accepted"] == 1
        assert deliver(client, delivery)["accepted"] == 1  # Meta repeats a delivery it thinks lost
        # The Cloud API cannot list a number's messages: a sync asks WhatsApp nothing.
        assert poll(number) == 0
        assert whatsapp.requests == []

    (message,) = Message.objects.filter(workspace_id=workspace_a.pk, platform="whatsapp")
    assert message.text == "Does it come in another color?"
    assert Case.objects.filter(workspace_id=workspace_a.pk).count() == 1
