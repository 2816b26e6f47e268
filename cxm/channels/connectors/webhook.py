"""Generic webhook channel: items come in through our HTTP endpoint, posts go out as signed events.

Inbound deliveries are received and verified by the endpoint (see `cxm.channels.signing`), so
`fetch` has nothing to pull. Outbound, `publish` and `reply` POST a JSON event to
`options["target_url"]` signed the Standard Webhooks way with `credentials["signing_secrets"]`
(or a single `credentials["signing_secret"]`). The `webhook-id` is the idempotency key, so a
receiver that dedupes on it sees a retried publish once.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from cxm.channels import signing
from cxm.channels.connectors.base import (
    AccountConfig,
    FetchPage,
    Limits,
    NotSupported,
    Outgoing,
    PermanentError,
    PostMetrics,
    Published,
    http_call,
    http_client,
    outbound_check,
)

MAX_TEXT_LENGTH = 100_000
MAX_MEDIA = 10


class WebhookConnector:
    platform: ClassVar[str] = "webhook"

    def __init__(
        self,
        config: AccountConfig,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.http = http or http_client(base_url="")
        self._clock = clock

    def check(self) -> str:
        """Send a signed `ping` event; any 2xx answer means the receiver is there."""
        self._deliver({"type": "ping"}, msg_id=f"ping-{uuid.uuid4().hex}")
        return self.config.handle or urlsplit(self._target_url()).netloc

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        # Inbound items are pushed to our endpoint; there is nothing to pull.
        return FetchPage([], cursor)

    def publish(self, outgoing: Outgoing) -> Published:
        return self._send("post.published", outgoing)

    def reply(self, outgoing: Outgoing) -> Published:
        return self._send("reply.published", outgoing)

    def fetch_metrics(self, external_ids: list[str]) -> list[PostMetrics]:
        raise NotSupported("a webhook receiver reports no metrics")

    def limits(self) -> Limits:
        return Limits(max_text_length=MAX_TEXT_LENGTH, max_media=MAX_MEDIA)

    def _send(self, event_type: str, outgoing: Outgoing) -> Published:
        if len(outgoing.text) > MAX_TEXT_LENGTH:
            raise PermanentError(f"text longer than {MAX_TEXT_LENGTH} characters")
        if len(outgoing.media) > MAX_MEDIA:
            raise PermanentError(f"more than {MAX_MEDIA} media files")
        event = {
            "type": event_type,
            "idempotency_key": outgoing.idempotency_key,
            "text": outgoing.text,
            "reply_to": outgoing.reply_to,
            "thread_id": outgoing.thread_id,
            "recipient": outgoing.recipient,
            "subject": outgoing.subject,
            # Metadata only: receivers that need the bytes fetch them through the API.
            "media": [
                {"filename": media.filename, "content_type": media.content_type, "size": len(media.data)}
                for media in outgoing.media
            ],
        }
        response = self._deliver(event, msg_id=outgoing.idempotency_key)
        answer = _json_object(response)
        external_id = answer.get("id")
        return Published(
            external_id=str(external_id) if external_id not in (None, "") else outgoing.idempotency_key,
            url=str(answer.get("url") or ""),
            raw=answer,
        )

    def _deliver(self, event: dict[str, Any], *, msg_id: str) -> httpx.Response:
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        # A fresh timestamp (and so signature) per attempt, the same webhook-id across retries.
        try:
            headers = signing.sign_standard(
                secrets=self._secrets(), msg_id=msg_id, timestamp=int(self._clock()), body=body
            )
        except ValueError as exc:  # a secret not in the whsec_<base64> form
            raise PermanentError(str(exc)) from None
        headers["Content-Type"] = "application/json"
        response = http_call(self.http, "POST", self._target_url(), content=body, headers=headers)
        if not 200 <= response.status_code < 300:
            # Redirects are not followed: the target was checked as given, not wherever it points.
            raise PermanentError(f"webhook target answered {response.status_code}, expected 2xx")
        return response

    def _target_url(self) -> str:
        url = str(self.config.options.get("target_url") or "")
        if urlsplit(url).scheme not in ("http", "https"):
            raise PermanentError("webhook target_url is missing or not an http(s) URL")
        outbound_check(url, self.config)
        return url

    def _secrets(self) -> list[str]:
        configured: Any = self.config.credentials.get("signing_secrets") or self.config.credentials.get(
            "signing_secret"
        )
        if isinstance(configured, str):
            # A single secret, or several separated by whitespace (whsec_ values contain none).
            configured = configured.split()
        secrets = [str(secret) for secret in configured or [] if secret]
        if not secrets:
            raise PermanentError("webhook has no signing secret; refusing to send unsigned events")
        return secrets


def _json_object(response: httpx.Response) -> dict[str, Any]:
    # Receivers may answer with an empty body or plain text; only a JSON object is informative.
    if not response.content:
        return {}
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
