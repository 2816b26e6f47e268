"""The WhatsApp Business Cloud API connector against a stand-in answering with Meta's documented
shapes: checking the number, answering a customer, templates, the documented error codes, and the
webhook's messages and statuses read from Meta's example payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cxm.channels.connectors import REGISTRY, build_connector
from cxm.channels.connectors.base import (
    AccountConfig,
    AuthError,
    ItemKind,
    NotSupported,
    Outgoing,
    PermanentError,
    RateLimited,
    TransientError,
)
from cxm.channels.connectors.whatsapp import (
    WhatsAppConnector,
    recipient_number,
    webhook_items,
    webhook_statuses,
    whatsapp_error,
    window_open,
)
from cxm.channels.models import ChannelAccount
from cxm.channels.services.accounts import account_config
from cxm.tenancy.models import Role
from tests.channels.stubs.whatsapp_server import ERRORS, TOKEN, WhatsAppStub, fixture


@pytest.fixture
def whatsapp():
    with WhatsAppStub() as stub:
        yield stub


def make_connector(stub: WhatsAppStub, *, token: str = TOKEN, **options) -> WhatsAppConnector:
    config = AccountConfig(
        platform="whatsapp",
        handle=stub.phone_number_id,
        base_url=stub.base_url,
        credentials={"access_token": token},
        options={"waba_id": stub.waba_id, "rate_limit_default_seconds": 7, **options},
        allow_private_targets=True,
    )
    return WhatsAppConnector(config)


def answer(
    text: str = "Yes, in green and blue.", *, to: str = "+16505551234", key: str = "care-1"
) -> Outgoing:
    return Outgoing(text=text, idempotency_key=key, recipient=to, reply_to="wamid.X")


def change_value(name: str) -> dict:
    return fixture(name)["entry"][0]["changes"][0]["value"]


# --- the connector over the wire ---------------------------------------------------------------------


def test_check_names_the_verified_business_and_its_number(whatsapp):
    assert make_connector(whatsapp).check() == "Jasper's Market (+1 631-555-5555)"
    request = whatsapp.requests[0]
    assert request.path == f"/v21.0/{whatsapp.phone_number_id}"
    assert request.header("Authorization") == f"Bearer {TOKEN}"


def test_reply_sends_a_text_message_as_documented(whatsapp):
    published = make_connector(whatsapp).reply(answer(key="care-abc"))

    (sent,) = whatsapp.sent
    assert sent["messaging_product"] == "whatsapp"
    assert sent["to"] == "16505551234"  # the WhatsApp id: E.164 without the +
    assert sent["type"] == "text"
    assert sent["text"]["body"] == "Yes, in green and blue."
    assert sent["biz_opaque_callback_data"] == "care-abc"
    assert published.external_id == sent["_id"]
    assert published.raw["contacts"] == [{"input": "16505551234", "wa_id": "16505551234"}]


def test_the_send_answer_is_the_documented_one(whatsapp):
    documented = fixture("whatsapp_send_response.json")
    published = make_connector(whatsapp).reply(answer())
    assert set(published.raw) == set(documented) - {"_source"}
    assert published.external_id.startswith("wamid.")


def test_reply_refuses_an_empty_text_and_one_too_long_without_calling(whatsapp):
    connector = make_connector(whatsapp)
    with pytest.raises(PermanentError):
        connector.reply(answer("   "))
    with pytest.raises(PermanentError, match="4096"):
        connector.reply(answer("x" * 4097))
    with pytest.raises(PermanentError, match="number"):
        connector.reply(answer(to=""))
    assert whatsapp.requests == []


def test_publish_is_not_supported_and_fetch_leaves_the_cursor(whatsapp):
    connector = make_connector(whatsapp)
    with pytest.raises(NotSupported):
        connector.publish(answer())
    page = connector.fetch({"since": "x"})
    assert (page.items, page.cursor, page.more) == ([], {"since": "x"}, False)
    assert whatsapp.requests == []


def test_a_closed_window_is_a_permanent_error_that_says_only_a_template_can_be_sent(whatsapp):
    whatsapp.close_window("16505551234")
    with pytest.raises(PermanentError) as caught:
        make_connector(whatsapp).reply(answer())
    message = str(caught.value)
    assert "24-hour" in message and "template" in message and "131047" in message
    assert whatsapp.sent == []


def test_a_template_may_still_be_sent_when_the_window_is_closed(whatsapp):
    whatsapp.close_window("16505551234")
    components = [
        {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "77"}]}
    ]

    published = make_connector(whatsapp).send_template(
        to="+16505551234", name="order_delivery_update", language="en_US", components=components, key="k1"
    )

    (sent,) = whatsapp.sent
    assert sent["type"] == "template"
    assert sent["template"] == {
        "name": "order_delivery_update",
        "language": {"code": "en_US"},
        "components": components,
    }
    assert sent["biz_opaque_callback_data"] == "k1"
    assert published.external_id == sent["_id"]


def test_a_template_not_approved_in_that_language_is_refused(whatsapp):
    with pytest.raises(PermanentError, match="132001"):
        make_connector(whatsapp).send_template(to="16505551234", name="summer_sale", language="id")


def test_templates_list_every_page_with_languages_statuses_and_parameters(whatsapp):
    connector = make_connector(whatsapp)
    connector.page_size = 2

    templates = connector.templates()

    assert [(t.name, t.language, t.status) for t in templates] == [
        ("reservation_confirmation", "en_US", "APPROVED"),
        ("order_delivery_update", "en_US", "APPROVED"),
        ("summer_sale", "id", "PENDING"),
    ]
    assert len([r for r in whatsapp.requests if r.path.endswith("/message_templates")]) == 2
    named, positional, plain = templates
    assert [(p.component, p.name, p.example) for p in named.parameters] == [
        ("BODY", "number_of_guests", "4"),
        ("BODY", "day", "Saturday"),
        ("BODY", "date", "August 30th, 2025"),
        ("BODY", "time", "7:30 pm"),
    ]
    assert [(p.name, p.example) for p in positional.parameters] == [("1", "Pablo"), ("2", "566701")]
    assert plain.parameters == [] and not plain.approved and named.approved
    assert named.components[0]["type"] == "HEADER"


def test_templates_filtered_by_status_and_without_a_business_account_id(whatsapp):
    approved = make_connector(whatsapp).templates(status="APPROVED")
    assert {t.status for t in approved} == {"APPROVED"}
    assert whatsapp.requests[-1].query["status"] == ["APPROVED"]
    with pytest.raises(PermanentError, match="waba_id"):
        make_connector(whatsapp, waba_id="").templates()


# --- the documented errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["130429", "131056"])
def test_throughput_and_pair_rate_limits_back_off(whatsapp, code):
    whatsapp.fail_next(code)
    with pytest.raises(RateLimited) as caught:
        make_connector(whatsapp).reply(answer())
    assert caught.value.retry_after == 7  # the account's default wait, with no header naming one
    assert code in str(caught.value)
    assert whatsapp.sent == []


def test_a_rate_limit_waits_as_long_as_meta_says(whatsapp):
    usage = {"106540352242922": [{"type": "whatsapp", "estimated_time_to_regain_access": 3}]}
    whatsapp.fail_next("130429", headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
    with pytest.raises(RateLimited) as caught:
        make_connector(whatsapp).reply(answer())
    assert caught.value.retry_after == 180


def test_an_expired_token_needs_reauthorisation(whatsapp):
    with pytest.raises(AuthError, match="190"):
        make_connector(whatsapp, token="old").check()
    whatsapp.fail_next("190")
    with pytest.raises(AuthError):
        make_connector(whatsapp).reply(answer())


@pytest.mark.django_db
def test_an_expired_token_asks_for_new_credentials_on_check(api, workspace_a, member, whatsapp, settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    client = api(member(workspace_a, Role.ADMIN))
    account_id = client.post(
        "/api/v1/accounts/",
        {
            "platform": "whatsapp",
            "handle": whatsapp.phone_number_id,
            "base_url": whatsapp.base_url,
            "credentials": {"access_token": "expired"},
        },
        format="json",
    ).json()["id"]
    checked = client.post(f"/api/v1/accounts/{account_id}/check/").json()
    assert (checked["ok"], checked["status"]) == (False, "needs_reauth")


def test_unknown_failures_are_transient_and_undeliverable_is_permanent(whatsapp):
    whatsapp.fail_next("131000")
    with pytest.raises(TransientError, match="131000"):
        make_connector(whatsapp).reply(answer())
    whatsapp.fail_next("131026")
    with pytest.raises(PermanentError, match="could not be delivered"):
        make_connector(whatsapp).reply(answer())
    whatsapp.fail_next("100")
    with pytest.raises(PermanentError, match="100"):
        make_connector(whatsapp).reply(answer())


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("131047", PermanentError),
        ("130429", RateLimited),
        ("131056", RateLimited),
        ("190", AuthError),
        ("131000", TransientError),
        ("131026", PermanentError),
        ("132001", PermanentError),
        ("100", PermanentError),
    ],
)
def test_every_documented_error_body_maps_to_its_kind(code, expected):
    documented = ERRORS[code]
    error = whatsapp_error(documented["http_status"], documented["body"], httpx.Headers())
    assert type(error) is expected


def test_a_success_is_no_error():
    assert whatsapp_error(200, fixture("whatsapp_send_response.json"), httpx.Headers()) is None


def test_a_lost_answer_is_transient_and_the_message_was_sent_once(whatsapp):
    """WhatsApp has no idempotency key: a send whose answer is lost did reach the customer, and
    only the outbox's claim keeps a second worker from sending it again (see the module)."""
    whatsapp.lose_answer_next()
    with pytest.raises(TransientError):
        make_connector(whatsapp).reply(answer(key="care-lost"))
    assert [m["biz_opaque_callback_data"] for m in whatsapp.sent] == ["care-lost"]


def test_a_timeout_is_transient(whatsapp):
    connector = make_connector(whatsapp)
    connector._http = httpx.Client(timeout=0.001, transport=_TimeoutTransport())
    with pytest.raises(TransientError, match="timed out"):
        connector.reply(answer())


class _TimeoutTransport(httpx.BaseTransport):
    def handle_request(self, request):
        raise httpx.ReadTimeout("slow", request=request)


def test_an_address_given_on_the_account_is_checked_before_calling(whatsapp):
    config = AccountConfig(
        platform="whatsapp",
        handle=whatsapp.phone_number_id,
        base_url=whatsapp.base_url,
        credentials={"access_token": TOKEN},
        allow_private_targets=False,
    )
    with pytest.raises(PermanentError):
        WhatsAppConnector(config).check()
    assert whatsapp.requests == []


def test_the_graph_version_is_appended_unless_named():
    config = AccountConfig(platform="whatsapp", handle="1", base_url="https://graph.example/v19.0")
    assert WhatsAppConnector(config)._base == "https://graph.example/v19.0"
    config = AccountConfig(platform="whatsapp", handle="1", options={"api_version": "v22.0"})
    assert WhatsAppConnector(config)._base == "https://graph.facebook.com/v22.0"


def test_recipient_numbers_become_whatsapp_ids():
    assert recipient_number("+62 812-3456-7890") == "6281234567890"
    assert recipient_number("16505551234") == "16505551234"


# --- the webhook, from Meta's example payloads ---------------------------------------------------------


def test_a_text_message_is_a_direct_message_from_the_customers_phone():
    (item,) = webhook_items(change_value("whatsapp_webhook_text.json"))

    assert item.platform == "whatsapp"
    assert item.kind == ItemKind.DM
    assert item.external_id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA="
    assert item.text == "Does the coffee blanket come in other colors?"
    assert (item.author.platform_id, item.author.handle, item.author.name) == (
        "+16505551234",
        "+16505551234",
        "Sheena Nelson",
    )
    assert item.created_at == datetime.fromtimestamp(1739321024, tz=UTC)
    assert item.thread_id == "106540352242922:16505551234"
    assert item.in_reply_to is None


def test_an_image_keeps_its_caption_and_media():
    (item,) = webhook_items(change_value("whatsapp_webhook_image.json"))
    assert item.text.startswith("Black Friday sale!")
    (attachment,) = item.raw["attachments"]
    assert attachment["media_id"] == "1003383421387256"
    assert attachment["content_type"] == "image/jpeg"


def test_a_document_names_its_file():
    (item,) = webhook_items(change_value("whatsapp_webhook_document.json"))
    assert "lucky-shrub-invoice.pdf" in item.text
    assert item.raw["attachments"][0]["content_type"] == "application/pdf"


def test_a_location_reads_as_the_place_and_its_coordinates():
    (item,) = webhook_items(change_value("whatsapp_webhook_location.json"))
    assert "Philz Coffee" in item.text and "37.44216251868683" in item.text


def test_interactive_replies_read_as_what_the_customer_chose():
    (button,) = webhook_items(change_value("whatsapp_webhook_interactive_button.json"))
    (row,) = webhook_items(change_value("whatsapp_webhook_interactive_list.json"))
    assert button.text == "Cancel"
    assert button.in_reply_to == "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA="
    assert row.text == "Priority Mail Express — Next Day to 2 Days"
    assert {button.kind, row.kind} == {ItemKind.DM}


def test_statuses_are_not_messages_and_messages_are_not_statuses():
    assert webhook_items(change_value("whatsapp_webhook_status_read.json")) == []
    assert webhook_statuses(change_value("whatsapp_webhook_text.json")) == []


def test_a_read_status_names_the_message_and_our_key():
    (status,) = webhook_statuses(change_value("whatsapp_webhook_status_read.json"))
    assert status["id"] == "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA"
    assert status["status"] == "read"
    assert status["timestamp"] == datetime.fromtimestamp(1750263773, tz=UTC)
    assert status["recipient_id"] == "16505551234"
    assert status["errors"] == []
    assert status["biz_opaque_callback_data"].startswith("care-")


def test_a_failed_status_carries_its_errors():
    (status,) = webhook_statuses(change_value("whatsapp_webhook_status_failed.json"))
    assert status["status"] == "failed"
    (error,) = status["errors"]
    assert error["code"] == 131047
    assert error["title"] == "Re-engagement message"
    assert "24 hours" in error["details"]


def test_a_reaction_is_left_out_and_junk_is_ignored():
    value = change_value("whatsapp_webhook_text.json")
    value["messages"][0] = {**value["messages"][0], "type": "reaction", "reaction": {"emoji": "x"}}
    assert webhook_items(value) == []
    assert webhook_items({}) == [] and webhook_statuses({"statuses": ["x"]}) == []


def test_every_fixture_names_its_source():
    for name in (
        "whatsapp_webhook_text.json",
        "whatsapp_webhook_status_failed.json",
        "whatsapp_templates.json",
        "whatsapp_errors.json",
        "whatsapp_send_response.json",
        "whatsapp_phone_number.json",
    ):
        assert fixture(name)["_source"].startswith("https://developers.facebook.com/")


# --- the 24-hour window --------------------------------------------------------------------------------


def test_the_window_is_open_for_24_hours_after_the_customer_wrote():
    now = datetime(2026, 1, 2, 12, tzinfo=UTC)
    assert window_open(now - timedelta(hours=23, minutes=59), now)
    assert not window_open(now - timedelta(hours=24), now)
    assert not window_open(None, now)


# --- connecting a number -------------------------------------------------------------------------------


def test_whatsapp_is_a_registered_platform():
    assert "whatsapp" in REGISTRY


@pytest.mark.django_db
def test_a_number_connected_over_the_api_is_read_with_its_token(api, workspace_a, member, whatsapp, settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stand-in listens on 127.0.0.1
    client = api(member(workspace_a, Role.ADMIN))
    response = client.post(
        "/api/v1/accounts/",
        {
            "platform": "whatsapp",
            "handle": whatsapp.phone_number_id,
            "base_url": whatsapp.base_url,
            "credentials": {"access_token": TOKEN},
            "options": {"waba_id": whatsapp.waba_id},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    account = ChannelAccount.objects.get(pk=response.json()["id"])
    checked = client.post(f"/api/v1/accounts/{account.pk}/check/").json()
    assert checked == {
        "ok": True,
        "message": "Connected as Jasper's Market (+1 631-555-5555)",
        "status": "connected",
    }
    connector = build_connector(account_config(account))
    assert isinstance(connector, WhatsAppConnector)
    assert connector.check() == "Jasper's Market (+1 631-555-5555)"
    assert [t.name for t in connector.templates()][:1] == ["reservation_confirmation"]


@pytest.mark.django_db
def test_the_api_asks_for_the_phone_number_id_and_a_token(api, workspace_a, member):
    client = api(member(workspace_a, Role.ADMIN))
    response = client.post(
        "/api/v1/accounts/", {"platform": "whatsapp", "handle": "+1 555 078 3881"}, format="json"
    )
    assert response.status_code == 400
    assert {"handle", "credentials"} <= set(response.json()["fields"])


@pytest.mark.django_db
def test_the_connect_form_offers_whatsapp_and_stores_the_token(admin_client, workspace_a, whatsapp, settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    assert 'value="whatsapp"' in admin_client.get("/admin/accounts/new/").content.decode()
    response = admin_client.post(
        "/admin/accounts/new/",
        {
            "platform": "whatsapp",
            "handle": whatsapp.phone_number_id,
            "base_url": whatsapp.base_url,
            "secret": TOKEN,
            "options_json": json.dumps({"waba_id": whatsapp.waba_id}),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    account = ChannelAccount.objects.get(workspace=workspace_a, platform="whatsapp")
    assert account.credentials == {"access_token": TOKEN}
    assert account.options["waba_id"] == whatsapp.waba_id
