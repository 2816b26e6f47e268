"""Meta's Page webhook is a fast path for comments on ads: a signed `feed` change turns a new
comment under one of our ads into a paid mention at once, and the scheduled pull, which stays the
source of truth, finds it already there."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from ads.comments import ad_comments_pull
from listening.ingest.context import forget_workspace_context
from listening.models import Mention
from tests.ads.test_comments import BITTORRENT, running_ad  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

APP_SECRET = "meta-app-secret"
VERIFY_TOKEN = "verify-me"


@pytest.fixture(autouse=True)
def _fresh_listening_context():
    forget_workspace_context()
    yield
    forget_workspace_context()


@pytest.fixture
def hooked_ad(running_ad):  # noqa: F811
    account = running_ad.campaign.account
    account.credentials = {
        **account.credentials,
        "app_secret": APP_SECRET,
        "webhook_verify_token": VERIFY_TOKEN,
    }
    account.save(update_fields=["credentials"])
    return running_ad


def _payload(ad, *, comment_id="9001_1", message=BITTORRENT, author_id="555", post_id=None) -> bytes:
    value = {
        "from": {"id": author_id, "name": "Budi"},
        "post_id": post_id or ad.effective_object_story_id,
        "comment_id": comment_id,
        "created_time": int(time.time()),
        "item": "comment",
        "verb": "add",
        "message": message,
    }
    body = {
        "object": "page",
        "entry": [{"id": "page", "time": int(time.time()), "changes": [{"field": "feed", "value": value}]}],
    }
    return json.dumps(body).encode()


def _sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(client, ad, body: bytes, signature: str | None):
    headers = {"HTTP_X_HUB_SIGNATURE_256": signature} if signature is not None else {}
    return client.post(
        f"/ads/hooks/meta/{ad.campaign.account_id}/", data=body, content_type="application/json", **headers
    )


def _mentions(ad):
    return Mention.objects.filter(workspace_id=ad.workspace_id, raw__ad_id=ad.pk)


def test_the_subscription_handshake_echoes_the_challenge_only_for_our_token(client, hooked_ad):
    url = f"/ads/hooks/meta/{hooked_ad.campaign.account_id}/"
    ok = client.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "12345"}
    )
    assert ok.status_code == 200 and ok.content == b"12345"
    wrong = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "12345"})
    assert wrong.status_code == 403 and b"12345" not in wrong.content


# The eight cases of a signed delivery. Meta signs no timestamp and sends no delivery id, so a
# stale or future delivery cannot be told by its signature: it is a valid delivery, and like a
# replay it stores nothing twice because the comment id is the mention's key.
CASES = {
    "valid": (lambda body: _sign(body), lambda body: body, 200, 1),
    "invalid": (lambda body: "sha256=" + "0" * 64, lambda body: body, 401, 0),
    "missing": (lambda body: None, lambda body: body, 401, 0),
    "tampered body": (
        lambda body: _sign(body),
        lambda body: body.replace(b"BitTorrent", b"the shop"),
        401,
        0,
    ),
    "wrong secret": (lambda body: _sign(body, "another-secret"), lambda body: body, 401, 0),
    "not the sha256 scheme": (
        lambda body: "sha1=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha1).hexdigest(),
        lambda body: body,
        401,
        0,
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_delivery_is_stored_only_with_a_valid_signature_over_the_raw_body(client, hooked_ad, case):
    signature_of, deliver, status, stored = CASES[case]
    body = _payload(hooked_ad)
    answer = _post(client, hooked_ad, deliver(body), signature_of(body))
    assert answer.status_code == status, answer.content
    assert _mentions(hooked_ad).count() == stored


@pytest.mark.parametrize("created_offset", [-7 * 24 * 3600, 3600, 0])
def test_stale_future_and_replayed_deliveries_store_the_comment_once(client, hooked_ad, created_offset):
    body = json.loads(_payload(hooked_ad))
    body["entry"][0]["changes"][0]["value"]["created_time"] = int(time.time()) + created_offset
    raw = json.dumps(body).encode()
    first = _post(client, hooked_ad, raw, _sign(raw))
    replay = _post(client, hooked_ad, raw, _sign(raw))
    assert (first.status_code, replay.status_code) == (200, 200)
    assert (first.json()["accepted"], replay.json()["accepted"], replay.json()["duplicates"]) == (1, 0, 1)
    assert _mentions(hooked_ad).count() == 1


def test_a_webhook_comment_is_a_paid_negative_mention_and_the_pull_does_not_repeat_it(
    client, hooked_ad, graph
):
    remote = graph.add_comment(hooked_ad.effective_object_story_id, BITTORRENT, author="Budi")
    body = _payload(hooked_ad, comment_id=remote["id"])
    assert _post(client, hooked_ad, body, _sign(body)).json()["accepted"] == 1
    mention = _mentions(hooked_ad).get()
    assert (mention.media_type, mention.sentiment, mention.external_id) == ("paid", "negative", remote["id"])
    assert mention.raw["via"] == "webhook" and mention.brand_id == hooked_ad.campaign.brand_id

    graph.add_comment(hooked_ad.effective_object_story_id, "Dropped by the webhook, found by the pull")
    pulled = ad_comments_pull(ad_id=hooked_ad.pk)
    assert pulled.accepted == 1  # only the one the webhook never delivered
    assert _mentions(hooked_ad).count() == 2


def test_comments_elsewhere_and_the_pages_own_answers_are_not_stored(client, hooked_ad):
    hooked_ad.campaign.account.options = {**hooked_ad.campaign.account.options, "page_id": "777"}
    hooked_ad.campaign.account.save(update_fields=["options"])
    other_post = _payload(hooked_ad, comment_id="9001_2", post_id="777_123456")
    answer = _post(client, hooked_ad, other_post, _sign(other_post))
    assert (
        answer.json()["accepted"] == 0
        and "not under one of this account's ads" in answer.json()["skipped"][0]
    )
    own = _payload(hooked_ad, comment_id="9001_3", author_id="777")
    assert _post(client, hooked_ad, own, _sign(own)).json()["accepted"] == 0
    assert not _mentions(hooked_ad).exists()


def test_an_account_without_an_app_secret_refuses_every_delivery(client, running_ad):  # noqa: F811
    body = _payload(running_ad)
    answer = _post(client, running_ad, body, _sign(body))
    assert answer.status_code == 401 and "app_secret" in answer.json()["detail"]
    assert client.get("/ads/hooks/meta/999999/").status_code == 404
