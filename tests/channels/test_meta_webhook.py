"""Meta's one webhook endpoint for the app (/hooks/meta/): the subscription handshake, the
X-Hub-Signature-256 check over the raw body, and each documented delivery (Page feed comment,
Messenger message, Instagram comment, WhatsApp message and status) handed to the platform's
connector and delivered into every workspace that connected the account, and only there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxm.channels.connectors import REGISTRY
from cxm.channels.meta_signature import signature_for
from cxm.channels.models import AccountStatus, ChannelAccount
from cxm.channels.services.sync import account_sync
from cxm.channels.sinks import register_status_handler, unregister_status_handler
from listening.models import Mention
from tests.channels.meta_fakes import FAKES, FakePageConnector, page_comment
from tests.factories import WorkspaceFactory

pytestmark = pytest.mark.django_db

APP_SECRET = "the-apps-secret"
VERIFY_TOKEN = "the-verify-token"
FIXTURES = Path(__file__).parent / "fixtures" / "meta"
PAGE_ID = "682498302938465"
IG_ID = "17841405822304914"
PHONE_ID = "106540352242922"


def fixture_body(name: str) -> bytes:
    """The documented example as Meta would send it: without our `_source` note."""
    payload = json.loads((FIXTURES / name).read_text())
    payload.pop("_source")
    return json.dumps(payload).encode()


@pytest.fixture(autouse=True)
def meta_app(settings, monkeypatch):
    settings.CXM_META_APP_SECRET = APP_SECRET
    settings.CXM_META_VERIFY_TOKEN = VERIFY_TOKEN
    for platform, dotted in FAKES.items():
        monkeypatch.setitem(REGISTRY, platform, dotted)


def _account(workspace, platform, handle, **extra):
    return ChannelAccount.objects.create(workspace=workspace, platform=platform, handle=handle, **extra)


def _post(client, body: bytes, signature: str | None = None):
    headers = {
        "HTTP_X_HUB_SIGNATURE_256": signature if signature is not None else signature_for(APP_SECRET, body)
    }
    return client.post("/hooks/meta/", data=body, content_type="application/json", **headers)


# --- the handshake and the signature ---------------------------------------------------------------


def test_the_handshake_echoes_the_challenge_only_for_the_apps_verify_token(client):
    ok = client.get(
        "/hooks/meta/",
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert (ok.status_code, ok.content) == (200, b"1158201444")
    wrong = client.get(
        "/hooks/meta/",
        {"hub.mode": "subscribe", "hub.verify_token": "meatyhamhock", "hub.challenge": "1158201444"},
    )
    assert wrong.status_code == 403 and wrong.json()["error"] == "forbidden"
    assert b"1158201444" not in wrong.content


def test_without_a_verify_token_configured_no_handshake_succeeds(client, settings):
    settings.CXM_META_VERIFY_TOKEN = ""
    answer = client.get(
        "/hooks/meta/", {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
    )
    assert answer.status_code == 403


BAD_SIGNATURES = {
    "invalid": lambda body: "sha256=" + "0" * 64,
    "missing": lambda body: "",
    "wrong secret": lambda body: signature_for("another-secret", body),
    "tampered body": lambda body: signature_for(APP_SECRET, body.replace(b"Bandung", b"Jakarta")),
}


@pytest.mark.parametrize("case", BAD_SIGNATURES)
def test_a_delivery_without_a_valid_signature_over_the_raw_body_is_refused(client, workspace_a, sink, case):
    _account(workspace_a, "facebook_page", PAGE_ID)
    body = fixture_body("webhook_page_feed_comment.json")
    answer = _post(client, body, BAD_SIGNATURES[case](body))
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_signature" and answer.json()["detail"]
    assert sink.items == []


def test_without_an_app_secret_configured_every_delivery_is_refused(client, settings, workspace_a, sink):
    _account(workspace_a, "facebook_page", PAGE_ID)
    settings.CXM_META_APP_SECRET = ""
    body = fixture_body("webhook_page_feed_comment.json")
    answer = _post(client, body, signature_for("", body))
    assert answer.status_code == 401 and "CXM_META_APP_SECRET" in answer.json()["detail"]
    assert sink.items == []


def test_a_signed_body_that_is_not_json_is_a_400(client):
    body = b"not json"
    answer = _post(client, body)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_json"


# --- routing to accounts ---------------------------------------------------------------------------


def test_a_page_comment_reaches_every_workspace_that_connected_the_page_and_no_other(
    client, sink, workspace_a, workspace_b
):
    mine = _account(workspace_a, "facebook_page", PAGE_ID)
    theirs = _account(workspace_b, "facebook_page", PAGE_ID)
    bystander = WorkspaceFactory(name="Initech")
    _account(bystander, "facebook_page", "999999")
    _account(bystander, "instagram", PAGE_ID)  # same id on another platform is another account

    answer = _post(client, fixture_body("webhook_page_feed_comment.json"))

    assert answer.status_code == 200
    assert answer.json()["accepted"] == 2
    assert sorted((c.workspace_id, c.account_id, c.platform, c.source) for c in sink.contexts) == sorted(
        [
            (workspace_a.pk, mine.pk, "facebook_page", "webhook"),
            (workspace_b.pk, theirs.pk, "facebook_page", "webhook"),
        ]
    )
    assert {item.external_id for item in sink.items} == {"1164870100259578_1164871513592770"}
    mine.refresh_from_db()
    assert mine.items_received == 1 and mine.last_item_at is not None


def test_a_messenger_message_is_a_direct_message_of_the_page(client, sink, workspace_a):
    _account(workspace_a, "facebook_page", PAGE_ID)
    answer = _post(client, fixture_body("webhook_page_messenger_text.json"))
    assert answer.status_code == 200
    [item] = sink.items
    assert (item.kind, item.text, item.external_id) == (
        "dm",
        "hello, world!",
        "mid.1457764197618:41d102a3e1ae206a38",
    )


def test_an_instagram_comment_goes_to_the_instagram_account_named_by_the_entry(client, sink, workspace_a):
    account = _account(workspace_a, "instagram", IG_ID)
    answer = _post(client, fixture_body("webhook_instagram_comment.json"))
    assert answer.status_code == 200
    [item] = sink.items
    assert (item.platform, item.text, item.author.handle) == (
        "instagram",
        "Warna merahnya masih ada?",
        "sari.belanja",
    )
    assert sink.contexts[0].account_id == account.pk


def test_a_whatsapp_message_goes_to_the_phone_number_not_the_business_account(client, sink, workspace_a):
    number = _account(workspace_a, "whatsapp", PHONE_ID)
    _account(workspace_a, "whatsapp", "102290129340398")  # the WABA id is not a number's handle
    answer = _post(client, fixture_body("webhook_whatsapp_text_message.json"))
    assert answer.status_code == 200 and answer.json()["accepted"] == 1
    [item] = sink.items
    assert (item.text, item.author.name, item.kind) == (
        "Does it come in another color?",
        "Sheena Nelson",
        "dm",
    )
    assert [c.account_id for c in sink.contexts] == [number.pk]


def test_whatsapp_delivery_statuses_go_to_the_registered_status_handler_of_the_numbers_workspace(
    client, sink, workspace_a, workspace_b
):
    number = _account(workspace_a, "whatsapp", PHONE_ID)
    received = []
    register_status_handler("test", lambda context, statuses: received.extend((context, s) for s in statuses))
    try:
        answer = _post(client, fixture_body("webhook_whatsapp_status_read.json"))
    finally:
        unregister_status_handler("test")
    assert answer.status_code == 200 and answer.json()["statuses"] == 1
    [(context, status)] = received
    assert (context.workspace_id, context.account_id) == (workspace_a.pk, number.pk)
    assert (status.status, status.recipient) == ("read", "16505551234")
    assert status.external_id.startswith("wamid.")
    assert sink.items == []


def test_a_delivery_for_an_account_nobody_connected_is_acknowledged_and_stores_nothing(
    client, sink, workspace_a, caplog
):
    _account(workspace_a, "facebook_page", "111")
    with caplog.at_level("INFO", logger="cxm.channels.services.meta_webhooks"):
        answer = _post(client, fixture_body("webhook_page_feed_comment.json"))
    assert answer.status_code == 200
    assert (answer.json()["accepted"], answer.json()["ignored"]) == (0, 1)
    assert sink.items == []
    assert PAGE_ID in caplog.text


def test_a_paused_account_receives_nothing(client, sink, workspace_a):
    _account(workspace_a, "facebook_page", PAGE_ID, status=AccountStatus.PAUSED)
    answer = _post(client, fixture_body("webhook_page_feed_comment.json"))
    assert answer.status_code == 200 and answer.json()["accepted"] == 0
    assert sink.items == []


def test_an_object_of_another_product_is_acknowledged_and_ignored(client, sink, workspace_a):
    _account(workspace_a, "facebook_page", PAGE_ID)
    body = json.dumps({"object": "user", "entry": [{"id": PAGE_ID, "changes": []}]}).encode()
    answer = _post(client, body)
    assert answer.status_code == 200 and answer.json()["events"] == 0
    assert sink.items == []


# --- webhook and polling meet ----------------------------------------------------------------------


def test_a_comment_that_arrives_by_webhook_and_by_polling_is_one_mention(client, workspace_a, monkeypatch):
    account = _account(workspace_a, "facebook_page", PAGE_ID)
    value = json.loads(fixture_body("webhook_page_feed_comment.json"))["entry"][0]["changes"][0]["value"]
    monkeypatch.setattr(FakePageConnector, "polled", [page_comment(value)])

    assert _post(client, fixture_body("webhook_page_feed_comment.json")).status_code == 200
    result = account_sync(
        account_id=account.pk, workspace_id=workspace_a.pk, connector=FakePageConnector(None)
    )

    assert result.fetched == 1
    mentions = Mention.objects.filter(workspace_id=workspace_a.pk, external_id=value["comment_id"])
    assert mentions.count() == 1


def test_an_instagram_login_delivery_with_the_change_on_the_entry_itself_is_read_too(
    client, sink, workspace_a
):
    # The Business Login for Instagram examples put `field` and `value` on the entry, not in changes[].
    _account(workspace_a, "instagram", IG_ID)
    payload = json.loads(fixture_body("webhook_instagram_comment.json"))
    entry = payload["entry"][0]
    change = entry.pop("changes")[0]
    entry.update(field=change["field"], value=change["value"])
    answer = _post(client, json.dumps(payload).encode())
    assert answer.status_code == 200
    assert [item.external_id for item in sink.items] == ["17865799348089039"]


def test_an_event_the_connector_cannot_read_does_not_lose_the_others(client, sink, workspace_a, monkeypatch):
    _account(workspace_a, "facebook_page", PAGE_ID)
    original = FakePageConnector.webhook_items.__func__

    def picky(cls, delivery):
        if any(entry.get("changes") for entry in delivery["entry"]):
            raise KeyError("comment_id")
        return original(cls, delivery)

    monkeypatch.setattr(FakePageConnector, "webhook_items", classmethod(picky))
    feed = json.loads(fixture_body("webhook_page_feed_comment.json"))
    messenger = json.loads(fixture_body("webhook_page_messenger_text.json"))
    feed["entry"].extend(messenger["entry"])
    answer = _post(client, json.dumps(feed).encode())
    assert answer.status_code == 200
    assert (answer.json()["events"], answer.json()["accepted"], answer.json()["ignored"]) == (2, 1, 1)
    assert [item.kind for item in sink.items] == ["dm"]
