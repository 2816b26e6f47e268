"""Inbound webhook signatures, case by case, for every provider the platform accepts pushes from.

- X-CXM-* at /hooks/<account-id>/ (HMAC-SHA256 over "<timestamp>." + the raw body, see
  cxm.channels.signing), for sources without a connector: all eight cases.
- Meta's Page webhook at /ads/hooks/meta/<account-id>/: tests/ads/test_meta_webhook_signatures.py,
  which reuses CASES below and says which of them cannot apply to Meta.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from cxm.channels.models import ChannelAccount, WebhookDelivery
from cxm.channels.signing import INBOUND_DELIVERY, INBOUND_SIGNATURE, sign_inbound

SECRET = "inbound-secret-for-signature-cases"
OTHER_SECRET = "a-secret-this-account-does-not-have"
TOLERANCE = 300


@dataclass(frozen=True)
class Provider:
    name: str
    platform: str
    credentials: dict
    sign: Callable[[str, bytes, int, str], dict[str, str]]
    signature_header: str
    delivery_header: str


PROVIDERS = [
    Provider(
        name="cxm",
        platform="webhook",
        credentials={"webhook_secrets": [SECRET]},
        sign=lambda secret, body, timestamp, delivery: sign_inbound(
            secret, body, timestamp, delivery_id=delivery
        ),
        signature_header=INBOUND_SIGNATURE,
        delivery_header=INBOUND_DELIVERY,
    ),
]

ITEM = {
    "external_id": "sig-1",
    "text": "Kopi enak, pengiriman lambat — ☕",
    "created_at": "2026-11-20T10:00:00Z",
    "author": {"handle": "ana@example.com", "name": "Ana"},
}
# Odd spacing and raw UTF-8 on purpose: only the bytes as sent verify, not a re-serialisation.
BODY = ('{ "items" : [' + json.dumps(ITEM, ensure_ascii=False, indent=1) + "] }").encode()
TAMPERED = BODY.replace(b"lambat", b"cepat!")


def _request(
    client,
    account,
    provider,
    *,
    secret=SECRET,
    sent_body=None,
    offset=0,
    delivery="d-1",
    signature=None,
    drop=(),
):
    headers = provider.sign(secret, BODY, int(time.time()) + offset, delivery)
    if signature is not None:
        headers[provider.signature_header] = signature
    for name in drop:
        headers.pop(name)
    return client.post(
        f"/hooks/{account.pk}/",
        data=sent_body if sent_body is not None else BODY,
        content_type="application/json",
        headers=headers,
    )


CASES = [
    # (case, request arguments, expected status, records expected after it)
    ("valid", {}, 202, 1),
    ("invalid signature", {"signature": "sha256=" + "0" * 64}, 401, 0),
    ("missing signature", {"drop": "signature"}, 401, 0),
    ("tampered body", {"sent_body": TAMPERED}, 401, 0),
    ("wrong secret", {"secret": OTHER_SECRET}, 401, 0),
    ("stale timestamp", {"offset": -(TOLERANCE + 5)}, 401, 0),
    ("future timestamp", {"offset": TOLERANCE + 5}, 401, 0),
]


@pytest.fixture(params=PROVIDERS, ids=lambda p: p.name)
def provider(request):
    return request.param


@pytest.fixture
def account(workspace_a, provider):
    return ChannelAccount.objects.create(
        workspace=workspace_a, platform=provider.platform, handle="inbound", credentials=provider.credentials
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "arguments", "status", "records"), CASES, ids=[c[0] for c in CASES])
def test_each_signature_case(client, sink, account, provider, case, arguments, status, records):
    if arguments.get("drop") == "signature":
        arguments = {"drop": (provider.signature_header,)}
    response = _request(client, account, provider, **arguments)
    assert response.status_code == status, response.content
    if status == 401:
        assert response.json()["error"] == "invalid_signature"
    assert WebhookDelivery.objects.filter(account=account).count() == records
    assert len(sink.items) == records


@pytest.mark.django_db
def test_a_replayed_delivery_id_is_acknowledged_and_not_recorded_twice(client, sink, account, provider):
    first = _request(client, account, provider, delivery="once")
    # The sender's retry: the same delivery id, freshly signed a moment later.
    retry = _request(client, account, provider, delivery="once", offset=1)
    assert first.status_code == 202
    assert 200 <= retry.status_code < 300
    assert retry.json()["duplicate"] is True
    assert WebhookDelivery.objects.filter(account=account).count() == 1
    assert sink.external_ids == ["sig-1"]


@pytest.mark.django_db
def test_a_captured_request_sent_again_under_a_new_delivery_id_is_not_recorded_twice(
    client, sink, account, provider
):
    timestamp = int(time.time())
    headers = provider.sign(SECRET, BODY, timestamp, "original")
    first = client.post(f"/hooks/{account.pk}/", data=BODY, content_type="application/json", headers=headers)
    replay = client.post(
        f"/hooks/{account.pk}/",
        data=BODY,
        content_type="application/json",
        headers={**headers, provider.delivery_header: "forged"},
    )
    assert first.status_code == 202
    assert 200 <= replay.status_code < 300 and replay.json()["duplicate"] is True
    assert WebhookDelivery.objects.filter(account=account).count() == 1
    assert sink.external_ids == ["sig-1"]


@pytest.mark.django_db
def test_signatures_are_compared_in_constant_time_over_the_raw_body(
    client, sink, account, provider, monkeypatch
):
    from cxm.channels import signing

    compared = []
    real = signing.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signing.hmac, "compare_digest", spy)
    assert _request(client, account, provider).status_code == 202
    assert compared
    assert _request(client, account, provider, sent_body=TAMPERED, delivery="d-2").status_code == 401
