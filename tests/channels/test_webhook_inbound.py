"""Signed JSON arriving at /hooks/<account-id>/ for sources without a connector."""

from __future__ import annotations

import json
import time

import pytest

from cxm.channels.models import ChannelAccount
from cxm.channels.signing import sign_inbound

SECRET = "shared-secret-for-tests"


@pytest.fixture
def hook(workspace_a):
    return ChannelAccount.objects.create(
        workspace=workspace_a,
        platform="webhook",
        handle="reviews-feed",
        credentials={"webhook_secrets": [SECRET]},
    )


def _post(
    client, account, payload, *, secret=SECRET, delivery="d-1", timestamp=None, body=None, headers=None
):
    body = body if body is not None else json.dumps(payload).encode()
    signed = sign_inbound(secret, body, int(timestamp if timestamp is not None else time.time()))
    signed["X-CXM-Delivery"] = delivery
    signed.update(headers or {})
    return client.post(
        f"/hooks/{account.pk}/",
        data=body,
        content_type="application/json",
        headers=signed,
    )


ITEM = {
    "external_id": "r-1",
    "text": "Great coffee, slow delivery",
    "created_at": "2026-11-20T10:00:00Z",
    "author": {"handle": "ana@example.com", "name": "Ana"},
    "kind": "review",
}


def test_a_signed_delivery_is_stored(db, client, sink, hook):
    response = _post(client, hook, {"items": [ITEM]})
    assert response.status_code == 202
    assert response.json() == {"accepted": 1, "duplicate": False, "errors": []}
    assert sink.external_ids == ["r-1"]
    assert sink.contexts[0].source == "webhook"
    assert sink.items[0].kind == "review"


def test_a_replayed_delivery_is_acknowledged_but_not_stored_twice(db, client, sink, hook):
    _post(client, hook, {"items": [ITEM]}, delivery="same")
    again = _post(client, hook, {"items": [ITEM]}, delivery="same")
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert sink.external_ids == ["r-1"]


def test_a_bad_signature_is_refused_with_a_reason(db, client, sink, hook):
    response = _post(client, hook, {"items": [ITEM]}, secret="wrong-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_signature"
    assert sink.items == []


def test_a_stale_timestamp_is_refused(db, client, sink, hook):
    response = _post(client, hook, {"items": [ITEM]}, timestamp=time.time() - 3600)
    assert response.status_code == 401
    assert "old" in response.json()["detail"].lower() or "stale" in response.json()["detail"].lower()
    assert sink.items == []


def test_a_tampered_body_is_refused(db, client, sink, hook):
    body = json.dumps({"items": [ITEM]}).encode()
    signed = sign_inbound(SECRET, body, int(time.time()))
    signed["X-CXM-Delivery"] = "d-9"
    response = client.post(
        f"/hooks/{hook.pk}/",
        data=body.replace(b"Great", b"Awful"),
        content_type="application/json",
        headers=signed,
    )
    assert response.status_code == 401
    assert sink.items == []


def test_missing_signature_headers_are_named(db, client, sink, hook):
    response = client.post(f"/hooks/{hook.pk}/", data=b'{"items": []}', content_type="application/json")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_bad_items_are_reported_by_index_and_good_ones_kept(db, client, sink, hook):
    items = [
        ITEM,
        {"external_id": "r-2"},
        {**ITEM, "external_id": "r-3", "created_at": "yesterday"},
        {**ITEM, "external_id": "r-4"},
    ]
    response = _post(client, hook, {"items": items})
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 2
    assert {(e["index"], e["field"]) for e in body["errors"]} == {(1, "text"), (2, "created_at")}
    assert sink.external_ids == ["r-1", "r-4"]


def test_an_unknown_account_answers_404(db, client, sink):
    response = client.post("/hooks/999999/", data=b"{}", content_type="application/json")
    assert response.status_code == 404


def test_a_captured_request_replayed_under_a_new_delivery_id_is_not_stored_twice(db, client, sink, hook):
    body = json.dumps({"items": [ITEM]}).encode()
    signed = sign_inbound(SECRET, body, int(time.time()))
    first = client.post(
        f"/hooks/{hook.pk}/",
        data=body,
        content_type="application/json",
        headers={**signed, "X-CXM-Delivery": "original"},
    )
    replay = client.post(
        f"/hooks/{hook.pk}/",
        data=body,
        content_type="application/json",
        headers={**signed, "X-CXM-Delivery": "forged-new-id"},
    )
    assert first.status_code == 202
    assert replay.json()["duplicate"] is True
    assert sink.external_ids == ["r-1"]
