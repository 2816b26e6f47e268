"""Webhook signatures (our inbound X-CXM scheme and Standard Webhooks outbound) and the webhook
connector publishing to a receiver on loopback."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from cxm.channels.connectors.base import (
    AccountConfig,
    AuthError,
    Limits,
    Media,
    NotSupported,
    Outgoing,
    PermanentError,
    RateLimited,
    TransientError,
)
from cxm.channels.connectors.webhook import WebhookConnector
from cxm.channels.signing import (
    SignatureError,
    new_standard_secret,
    sign_inbound,
    sign_standard,
    verify_inbound,
    verify_standard,
)
from tests.stub_server import StubServer, serve_stub

NOW = 1_717_400_000
BODY = b'{"text":"Kapan promo Kopi Nusantara berakhir?","author":"sari@demo.invalid"}'
SECRET = "in-secret-2025"
OLD_SECRET = "in-secret-2024"
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def verify(
    headers: dict[str, str], body: bytes = BODY, *, secrets: list[str] | None = None, now: float = NOW
):
    return verify_inbound(secrets=secrets or [SECRET], headers=headers, body=body, now=now)


# --- inbound ------------------------------------------------------------------------------------


def test_inbound_valid_signature_returns_the_delivery_id():
    headers = sign_inbound(SECRET, BODY, NOW, delivery_id="dlv-1")

    assert verify(headers) == "dlv-1"


def test_inbound_header_names_are_case_insensitive():
    headers = {
        name.lower(): value for name, value in sign_inbound(SECRET, BODY, NOW, delivery_id="d").items()
    }

    assert verify(headers) == "d"


def test_inbound_signature_is_hex_hmac_of_timestamp_dot_body():
    import hashlib
    import hmac

    headers = sign_inbound(SECRET, BODY, NOW)

    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert headers["X-CXM-Signature"] == f"sha256={expected}"
    assert headers["X-CXM-Timestamp"] == str(NOW)
    assert headers["X-CXM-Delivery"]


def test_inbound_wrong_signature_is_refused():
    headers = sign_inbound(SECRET, BODY, NOW) | {"X-CXM-Signature": "sha256=" + "0" * 64}

    with pytest.raises(SignatureError, match="does not match"):
        verify(headers)


@pytest.mark.parametrize("missing", ["X-CXM-Timestamp", "X-CXM-Delivery", "X-CXM-Signature"])
def test_inbound_missing_header_is_named(missing):
    headers = sign_inbound(SECRET, BODY, NOW)
    del headers[missing]

    with pytest.raises(SignatureError, match=rf"missing header.*{missing}"):
        verify(headers)


@pytest.mark.parametrize("value", ["abc123", "sha1=" + "a" * 40, "sha256=xyz", "sha256=" + "g" * 64])
def test_inbound_malformed_signature_is_refused_as_malformed(value):
    headers = sign_inbound(SECRET, BODY, NOW) | {"X-CXM-Signature": value}

    with pytest.raises(SignatureError, match="malformed X-CXM-Signature"):
        verify(headers)


def test_inbound_malformed_timestamp_is_refused_as_malformed():
    headers = sign_inbound(SECRET, BODY, NOW) | {"X-CXM-Timestamp": "yesterday"}

    with pytest.raises(SignatureError, match="malformed X-CXM-Timestamp"):
        verify(headers)


def test_inbound_tampered_body_is_refused():
    headers = sign_inbound(SECRET, BODY, NOW)

    with pytest.raises(SignatureError, match="does not match"):
        verify(headers, BODY.replace(b"Kopi", b"Rival"))


def test_inbound_reserialised_body_is_refused_because_only_raw_bytes_count():
    headers = sign_inbound(SECRET, BODY, NOW)

    with pytest.raises(SignatureError, match="does not match"):
        verify(headers, json.dumps(json.loads(BODY)).encode())


def test_inbound_body_signed_with_another_secret_is_refused():
    headers = sign_inbound("someone-else", BODY, NOW)

    with pytest.raises(SignatureError, match="does not match"):
        verify(headers)


def test_inbound_stale_timestamp_is_refused():
    headers = sign_inbound(SECRET, BODY, NOW - 301)

    with pytest.raises(SignatureError, match="too old"):
        verify(headers)


def test_inbound_timestamp_within_tolerance_is_accepted():
    assert verify(sign_inbound(SECRET, BODY, NOW - 299, delivery_id="late")) == "late"


def test_inbound_future_timestamp_is_refused():
    headers = sign_inbound(SECRET, BODY, NOW + 301)

    with pytest.raises(SignatureError, match="in the future"):
        verify(headers)


def test_inbound_changed_timestamp_breaks_the_signature():
    headers = sign_inbound(SECRET, BODY, NOW - 1000) | {"X-CXM-Timestamp": str(NOW)}

    with pytest.raises(SignatureError, match="does not match"):
        verify(headers)


def test_inbound_accepts_old_and_new_secret_during_rotation():
    secrets = [SECRET, OLD_SECRET]

    assert verify(sign_inbound(OLD_SECRET, BODY, NOW, delivery_id="old"), secrets=secrets) == "old"
    assert verify(sign_inbound(SECRET, BODY, NOW, delivery_id="new"), secrets=secrets) == "new"


def test_inbound_endpoint_without_a_secret_refuses_everything():
    with pytest.raises(SignatureError, match="no signing secret"):
        verify_inbound(secrets=[], headers=sign_inbound(SECRET, BODY, NOW), body=BODY, now=NOW)


# --- Standard Webhooks --------------------------------------------------------------------------


def test_standard_signature_matches_the_published_test_vector():
    headers = sign_standard(
        secrets=[WHSEC],
        msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
        body=b'{"test": 2432232314}',
    )

    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_standard_round_trip_returns_the_message_id():
    secret = new_standard_secret()
    headers = sign_standard(secrets=[secret], msg_id="msg_1", timestamp=NOW, body=BODY)

    assert secret.startswith("whsec_")
    assert verify_standard(secrets=[secret], headers=headers, body=BODY, now=NOW) == "msg_1"


def test_standard_rotation_signs_with_both_secrets_and_either_verifies():
    old, new = new_standard_secret(), new_standard_secret()
    headers = sign_standard(secrets=[new, old], msg_id="msg_2", timestamp=NOW, body=BODY)

    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(signature.startswith("v1,") for signature in signatures)
    assert verify_standard(secrets=[old], headers=headers, body=BODY, now=NOW) == "msg_2"
    assert verify_standard(secrets=[new], headers=headers, body=BODY, now=NOW) == "msg_2"


def test_standard_ignores_signatures_of_other_versions():
    secret = new_standard_secret()
    headers = sign_standard(secrets=[secret], msg_id="m", timestamp=NOW, body=BODY)
    headers["webhook-signature"] = "v1a,c2lnbmVk " + headers["webhook-signature"]

    assert verify_standard(secrets=[secret], headers=headers, body=BODY, now=NOW) == "m"


def test_standard_tampered_body_is_refused():
    secret = new_standard_secret()
    headers = sign_standard(secrets=[secret], msg_id="m", timestamp=NOW, body=BODY)

    with pytest.raises(SignatureError, match="does not match"):
        verify_standard(secrets=[secret], headers=headers, body=BODY + b" ", now=NOW)


def test_standard_changed_message_id_is_refused():
    secret = new_standard_secret()
    headers = sign_standard(secrets=[secret], msg_id="m", timestamp=NOW, body=BODY) | {"webhook-id": "other"}

    with pytest.raises(SignatureError, match="does not match"):
        verify_standard(secrets=[secret], headers=headers, body=BODY, now=NOW)


def test_standard_wrong_secret_is_refused():
    headers = sign_standard(secrets=[new_standard_secret()], msg_id="m", timestamp=NOW, body=BODY)

    with pytest.raises(SignatureError, match="does not match"):
        verify_standard(secrets=[new_standard_secret()], headers=headers, body=BODY, now=NOW)


def test_standard_missing_headers_are_named():
    with pytest.raises(SignatureError, match=r"missing header.*webhook-signature"):
        verify_standard(
            secrets=[WHSEC], headers={"webhook-id": "m", "webhook-timestamp": str(NOW)}, body=BODY, now=NOW
        )


def test_standard_signature_without_v1_entry_is_malformed():
    headers = {"webhook-id": "m", "webhook-timestamp": str(NOW), "webhook-signature": "sha256=abc"}

    with pytest.raises(SignatureError, match="malformed webhook-signature"):
        verify_standard(secrets=[WHSEC], headers=headers, body=BODY, now=NOW)


@pytest.mark.parametrize(("offset", "reason"), [(-301, "too old"), (301, "in the future")])
def test_standard_timestamp_outside_tolerance_is_refused(offset, reason):
    headers = sign_standard(secrets=[WHSEC], msg_id="m", timestamp=NOW + offset, body=BODY)

    with pytest.raises(SignatureError, match=reason):
        verify_standard(secrets=[WHSEC], headers=headers, body=BODY, now=NOW)


def test_standard_secret_that_is_not_base64_is_a_configuration_error():
    with pytest.raises(ValueError, match="whsec_"):
        sign_standard(secrets=["whsec_not base64!"], msg_id="m", timestamp=NOW, body=BODY)


# --- the webhook connector ----------------------------------------------------------------------


class Receiver(StubServer):
    """An HTTP endpoint on loopback that records what it receives and answers as told."""

    name = "receiver"
    content_type = "application/octet-stream"

    def __init__(self) -> None:
        super().__init__()
        self.url = f"{self.base_url}/hooks/cxm"
        self.status = 200
        self.answer = b""
        self.answer_headers: dict[str, str] = {}
        self.route("POST", ".*", lambda request: (self.status, self.answer, self.answer_headers))

    @property
    def received(self) -> list[tuple[dict[str, str], bytes]]:
        """(headers in lower case, body) of each request, in arrival order."""
        return [({k.lower(): v for k, v in r.headers.items()}, r.raw) for r in self.requests]


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    # The receiver listens on loopback, which outbound webhooks refuse unless allowed.
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    yield from serve_stub(Receiver())


def webhook(receiver: Receiver, http: httpx.Client, **credentials) -> WebhookConnector:
    config = AccountConfig(
        platform="webhook",
        handle="crm-bridge",
        options={"target_url": receiver.url},
        credentials=credentials or {"signing_secrets": [WHSEC]},
    )
    return WebhookConnector(config, http=http, clock=lambda: NOW)


def test_publish_reaches_the_receiver_with_verifiable_headers_and_idempotency_key_as_id(receiver, http):
    outgoing = Outgoing(
        text="Promo Kopi Nusantara berlaku sampai 30 Juni.",
        idempotency_key="pub-42-attempt",
        media=(Media(filename="promo.jpg", content_type="image/jpeg", data=b"\xff\xd8" * 50),),
    )

    published = webhook(receiver, http).publish(outgoing)

    [(headers, body)] = receiver.received
    assert headers["webhook-id"] == "pub-42-attempt"
    assert headers["content-type"] == "application/json"
    assert verify_standard(secrets=[WHSEC], headers=headers, body=body, now=NOW) == "pub-42-attempt"
    event = json.loads(body)
    assert event == {
        "type": "post.published",
        "idempotency_key": "pub-42-attempt",
        "text": "Promo Kopi Nusantara berlaku sampai 30 Juni.",
        "reply_to": None,
        "thread_id": None,
        "recipient": "",
        "subject": "",
        "media": [{"filename": "promo.jpg", "content_type": "image/jpeg", "size": 100}],
    }
    assert published.external_id == "pub-42-attempt"


def test_retried_publish_carries_the_same_webhook_id(receiver, http):
    connector = webhook(receiver, http)
    outgoing = Outgoing(text="Halo!", idempotency_key="same-intent")

    connector.publish(outgoing)
    connector.publish(outgoing)

    assert [headers["webhook-id"] for headers, _ in receiver.received] == ["same-intent", "same-intent"]


def test_reply_is_sent_as_reply_published_with_its_thread(receiver, http):
    outgoing = Outgoing(
        text="Sudah ready lagi, kak!", idempotency_key="r-1", reply_to="demo-0-7", thread_id="t-9"
    )

    webhook(receiver, http).reply(outgoing)

    event = json.loads(receiver.received[0][1])
    assert event["type"] == "reply.published"
    assert event["reply_to"] == "demo-0-7"
    assert event["thread_id"] == "t-9"


def test_published_id_comes_from_the_receiver_answer_when_given(receiver, http):
    receiver.answer = b'{"id": 981, "url": "https://crm.example/posts/981"}'
    receiver.answer_headers = {"Content-Type": "application/json"}

    published = webhook(receiver, http).publish(Outgoing(text="hi", idempotency_key="k"))

    assert published.external_id == "981"
    assert published.url == "https://crm.example/posts/981"


def test_publish_during_rotation_carries_two_signatures_each_verifiable(receiver, http):
    old, new = new_standard_secret(), new_standard_secret()

    webhook(receiver, http, signing_secrets=[new, old]).publish(Outgoing(text="hi", idempotency_key="k"))

    headers, body = receiver.received[0]
    assert len(headers["webhook-signature"].split()) == 2
    assert verify_standard(secrets=[old], headers=headers, body=body, now=NOW) == "k"
    assert verify_standard(secrets=[new], headers=headers, body=body, now=NOW) == "k"


def test_single_signing_secret_credential_is_accepted(receiver, http):
    webhook(receiver, http, signing_secret=WHSEC).publish(Outgoing(text="hi", idempotency_key="k"))

    headers, body = receiver.received[0]
    assert verify_standard(secrets=[WHSEC], headers=headers, body=body, now=NOW) == "k"


@pytest.mark.parametrize(
    ("status", "error"), [(500, TransientError), (429, RateLimited), (400, PermanentError), (401, AuthError)]
)
def test_receiver_errors_map_onto_connector_errors(receiver, http, status, error):
    receiver.status = status

    with pytest.raises(error):
        webhook(receiver, http).publish(Outgoing(text="hi", idempotency_key="k"))


def test_receiver_redirect_is_not_followed(receiver, http):
    receiver.status = 302
    receiver.answer_headers = {"Location": "http://127.0.0.1:1/elsewhere"}

    with pytest.raises(PermanentError, match="302"):
        webhook(receiver, http).publish(Outgoing(text="hi", idempotency_key="k"))
    assert len(receiver.received) == 1


def test_publish_without_signing_secret_is_refused_before_sending(receiver, http):
    connector = webhook(receiver, http, unrelated="x")

    with pytest.raises(PermanentError, match="signing secret"):
        connector.publish(Outgoing(text="hi", idempotency_key="k"))
    assert receiver.received == []


def test_check_sends_a_signed_ping(receiver, http):
    assert webhook(receiver, http).check() == "crm-bridge"

    headers, body = receiver.received[0]
    assert json.loads(body) == {"type": "ping"}
    assert verify_standard(secrets=[WHSEC], headers=headers, body=body, now=NOW) == headers["webhook-id"]


def test_check_fails_when_the_receiver_refuses(receiver, http):
    receiver.status = 404

    with pytest.raises(PermanentError):
        webhook(receiver, http).check()


def test_fetch_returns_nothing_and_keeps_the_cursor(receiver, http):
    page = webhook(receiver, http).fetch({"since": "x"})

    assert page.items == []
    assert page.cursor == {"since": "x"}


def test_webhook_limits_and_no_metrics(receiver, http):
    connector = webhook(receiver, http)

    assert connector.limits() == Limits(max_text_length=100_000, max_media=10)
    with pytest.raises(NotSupported):
        connector.fetch_metrics(["k"])


def test_secret_is_base64_after_the_whsec_prefix():
    secret = new_standard_secret()

    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
