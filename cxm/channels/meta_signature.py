"""Meta's webhook checks, shared by every Meta webhook endpoint (the app-level one for Pages,
Instagram and WhatsApp, and the ads one per ad account); pure functions, no storage.

Meta's Webhooks reference: the subscription handshake is a GET with `hub.mode=subscribe`,
`hub.verify_token` (the token typed in the App Dashboard) and `hub.challenge`, answered with the
challenge alone; each delivery is a POST whose `X-Hub-Signature-256` header is `sha256=` + the
hex HMAC-SHA256 of the raw body under the app secret. Both are compared in constant time. Meta
signs no timestamp and sends no delivery id: a replayed delivery is harmless only because what it
carries is stored once, keyed on the platform's own ids.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature-256"


class SignatureRefused(Exception):
    """Signature missing, malformed or wrong, or no secret to check it with; `str()` is safe to show."""


def subscription_challenge(*, expected_token: str, mode: str, token: str, challenge: str) -> str | None:
    """The challenge to echo when Meta's subscription request carries our verify token, else None."""
    if mode != "subscribe" or not expected_token:
        return None
    if not hmac.compare_digest(token.encode(), expected_token.encode()):
        return None
    return challenge


def signature_for(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value Meta sends with `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_check(*, secret: str, body: bytes, header: str, when_unset: str = "") -> None:
    """Raise SignatureRefused unless `header` signs the raw `body` with `secret`.

    `body` must be the bytes as received: re-serialised JSON would not match."""
    if not secret:
        raise SignatureRefused(when_unset or "no app secret is configured to check Meta's signature with")
    if not header.startswith("sha256="):
        raise SignatureRefused(f"{SIGNATURE_HEADER} is missing")
    given = header.removeprefix("sha256=").strip().lower()
    if not hmac.compare_digest(given.encode(), signature_for(secret, body).removeprefix("sha256=").encode()):
        raise SignatureRefused(f"{SIGNATURE_HEADER} does not match the body")
