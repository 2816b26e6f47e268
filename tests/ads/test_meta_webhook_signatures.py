"""Meta's Page webhook (X-Hub-Signature-256: HMAC-SHA256 of the raw body under the app secret),
case by case, as tests/channels/test_webhook_signatures.py does for the X-CXM scheme.

Meta signs no timestamp and sends no delivery id, so "stale" and "future" cannot be told from the
headers (and Meta retries a failed delivery for hours with the same body, so the body's own times
cannot refuse it either); a replayed delivery is caught by the comment ids it carries, which are
stored once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from tests.ads.test_comments import running_ad  # noqa: F401 (fixture)
from tests.channels.test_webhook_signatures import CASES

OTHER_SECRET = "a-secret-this-account-does-not-have"

META_SECRET = "meta-app-secret-for-signature-cases"
META_CASES = [
    ("valid", {}, 200, 1),
    ("invalid signature", {"signature": "sha256=" + "0" * 64}, 401, 0),
    ("missing signature", {"signature": ""}, 401, 0),
    ("tampered body", {"tamper": True}, 401, 0),
    ("wrong secret", {"secret": OTHER_SECRET}, 401, 0),
]
# The cases that cannot apply to Meta, and what covers the risk instead.
META_NOT_APPLICABLE = {
    "stale timestamp": "Meta signs no timestamp; a captured delivery sent again is a replay, below",
    "future timestamp": "Meta signs no timestamp; nothing to be ahead of",
}


@pytest.fixture
def meta_ad(running_ad):  # noqa: F811
    from listening.ingest.context import forget_workspace_context

    forget_workspace_context()
    account = running_ad.campaign.account
    account.credentials = {**account.credentials, "app_secret": META_SECRET}
    account.save(update_fields=["credentials"])
    yield running_ad
    forget_workspace_context()


def _meta_body(ad, comment_id="9001_1") -> bytes:
    value = {
        "from": {"id": "555", "name": "Budi"},
        "post_id": ad.effective_object_story_id,
        "comment_id": comment_id,
        "created_time": int(time.time()),
        "item": "comment",
        "verb": "add",
        "message": "Kopinya enak tapi pengirimannya lambat",
    }
    entry = {"id": "page", "time": int(time.time()), "changes": [{"field": "feed", "value": value}]}
    return json.dumps({"object": "page", "entry": [entry]}, ensure_ascii=False).encode()


def _meta_post(client, ad, *, secret=META_SECRET, signature=None, tamper=False, body=None):
    body = body if body is not None else _meta_body(ad)
    header = (
        signature
        if signature is not None
        else "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    )
    sent = body.replace(b"lambat", b"cepat!") if tamper else body
    headers = {"X-Hub-Signature-256": header} if header else {}
    return client.post(
        f"/ads/hooks/meta/{ad.campaign.account_id}/",
        data=sent,
        content_type="application/json",
        headers=headers,
    )


def _meta_records(ad) -> int:
    from listening.models import Mention

    return Mention.objects.filter(workspace_id=ad.workspace_id, raw__ad_id=ad.pk).count()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "arguments", "status", "records"), META_CASES, ids=[c[0] for c in META_CASES]
)
def test_each_meta_signature_case(client, meta_ad, case, arguments, status, records):
    response = _meta_post(client, meta_ad, **arguments)
    assert response.status_code == status, response.content
    if status == 401:
        assert response.json()["error"] == "invalid_signature"
    assert _meta_records(meta_ad) == records


@pytest.mark.django_db
def test_a_replayed_meta_delivery_is_acknowledged_and_not_recorded_twice(client, meta_ad):
    body = _meta_body(meta_ad)
    first = _meta_post(client, meta_ad, body=body)
    again = _meta_post(client, meta_ad, body=body)
    assert first.status_code == 200 and first.json()["accepted"] == 1
    assert again.status_code == 200 and again.json()["duplicates"] == 1
    assert _meta_records(meta_ad) == 1


def test_every_signature_case_is_covered_or_explained_for_meta():
    covered = {case for case, *_ in META_CASES} | set(META_NOT_APPLICABLE) | {"replayed delivery id"}
    assert covered == {case for case, *_ in CASES} | {"replayed delivery id"}
