"""Webhook signatures, inbound and outbound; pure functions, no storage.

Inbound (our own scheme, for sources that have no connector of their own)::

    X-CXM-Timestamp: 1717400000                 # unix seconds
    X-CXM-Delivery:  3f0c9a3e...                # unique per delivery
    X-CXM-Signature: sha256=<hex HMAC-SHA256(secret, b"<timestamp>." + raw body)>

Outbound: Standard Webhooks (https://www.standardwebhooks.com/)::

    webhook-id:        <message id, stable across retries>
    webhook-timestamp: <unix seconds of this attempt>
    webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")> [v1,<...> ...]

with secrets written `whsec_<base64 key>`. Several secrets are accepted on both sides so a
secret can be rotated without a gap: the sender signs with every active one, the receiver
accepts any.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _secrets
from collections.abc import Mapping

INBOUND_TIMESTAMP = "X-CXM-Timestamp"
INBOUND_DELIVERY = "X-CXM-Delivery"
INBOUND_SIGNATURE = "X-CXM-Signature"

STANDARD_ID = "webhook-id"
STANDARD_TIMESTAMP = "webhook-timestamp"
STANDARD_SIGNATURE = "webhook-signature"
STANDARD_SECRET_PREFIX = "whsec_"  # noqa: S105 (a format marker, not a secret)
# What _standard_key accepts: the prefix (optional) and non-empty, correctly padded base64.
STANDARD_SECRET_PATTERN = (
    r"^\s*(?:whsec_)?(?:[A-Za-z0-9+/]{4})*"  # noqa: S105 (a format, not a secret)
    r"(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})\s*$"
)

DEFAULT_TOLERANCE = 300  # seconds; the window Standard Webhooks recommends


class SignatureError(Exception):
    """A delivery failed verification; `reason` says why and is safe to log or return."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- inbound: X-CXM-* ---------------------------------------------------------------------------


def sign_inbound(
    secret: str, body: bytes, timestamp: int, *, delivery_id: str | None = None
) -> dict[str, str]:
    """Headers a client sends with `body` so that `verify_inbound` accepts it."""
    return {
        INBOUND_TIMESTAMP: str(timestamp),
        INBOUND_DELIVERY: delivery_id or _secrets.token_hex(16),
        INBOUND_SIGNATURE: "sha256=" + _inbound_digest(secret, str(timestamp), body),
    }


def verify_inbound(
    *,
    secrets: list[str],
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE,
) -> str:
    """Check an inbound delivery signed with one of `secrets`; return its delivery id.

    `body` must be the raw request bytes as received: re-serialised JSON would not match.
    Raises `SignatureError` for missing headers, a malformed or wrong signature, a timestamp
    further than `tolerance` seconds in the past or the future, and when no secret is configured.

    Replay detection is the caller's job, because it needs storage: remember the returned
    delivery id for at least `tolerance` seconds and refuse it the second time. The delivery id
    is not covered by the signature, so a replayer can change it; key the replay record on the
    signature header as well to close that gap.
    """
    if not secrets:
        # Fail closed, and say so: an endpoint without a secret accepts nothing.
        raise SignatureError("no signing secret is configured for this endpoint")
    lowered = _lower(headers)
    missing = [
        name
        for name in (INBOUND_TIMESTAMP, INBOUND_DELIVERY, INBOUND_SIGNATURE)
        if not lowered.get(name.lower())
    ]
    if missing:
        raise SignatureError(f"missing header(s): {', '.join(missing)}")
    raw_timestamp = lowered[INBOUND_TIMESTAMP.lower()].strip()
    delivery_id = lowered[INBOUND_DELIVERY.lower()].strip()
    timestamp = _parse_timestamp(raw_timestamp, INBOUND_TIMESTAMP)

    scheme, _, given = lowered[INBOUND_SIGNATURE.lower()].strip().partition("=")
    if scheme != "sha256" or not _is_hex_sha256(given):
        raise SignatureError(f"malformed {INBOUND_SIGNATURE}: expected sha256=<64 hex digits>")
    given_bytes = given.lower().encode("ascii")
    # Every secret is tried, and the signature is checked before the clock, so "stale" and
    # "future" are only ever said about deliveries that really come from a secret holder.
    if not any(
        hmac.compare_digest(_inbound_digest(secret, raw_timestamp, body).encode("ascii"), given_bytes)
        for secret in secrets
    ):
        raise SignatureError("signature does not match the body and timestamp")
    _check_clock(timestamp, now=now, tolerance=tolerance)
    return delivery_id


def _inbound_digest(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _is_hex_sha256(value: str) -> bool:
    return len(value) == 64 and all(char in "0123456789abcdefABCDEF" for char in value)


# --- outbound: Standard Webhooks ----------------------------------------------------------------


def new_standard_secret() -> str:
    """A fresh `whsec_` secret (32 random bytes; the spec asks for 24 to 64)."""
    return STANDARD_SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(32)).decode("ascii")


def sign_standard(*, secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Standard Webhooks headers for `body`, with one `v1,` signature per active secret."""
    if not secrets:
        raise ValueError("no outbound signing secret configured")
    signatures = [
        "v1,"
        + base64.b64encode(_standard_digest(_standard_key(secret), msg_id, str(timestamp), body)).decode()
        for secret in secrets
    ]
    return {
        STANDARD_ID: msg_id,
        STANDARD_TIMESTAMP: str(timestamp),
        STANDARD_SIGNATURE: " ".join(signatures),
    }


def verify_standard(
    *,
    secrets: list[str],
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE,
) -> str:
    """Check a Standard Webhooks delivery against any of `secrets`; return its `webhook-id`.

    Accepts the delivery when any `v1,` signature in the header matches any secret; signatures
    of other versions (such as `v1a,` asymmetric ones) are ignored, as the spec asks. As with
    `verify_inbound`, remembering ids to refuse replays is the caller's job.
    """
    if not secrets:
        raise SignatureError("no signing secret is configured for this endpoint")
    keys = [_standard_key(secret) for secret in secrets]
    lowered = _lower(headers)
    missing = [
        name for name in (STANDARD_ID, STANDARD_TIMESTAMP, STANDARD_SIGNATURE) if not lowered.get(name)
    ]
    if missing:
        raise SignatureError(f"missing header(s): {', '.join(missing)}")
    msg_id = lowered[STANDARD_ID].strip()
    raw_timestamp = lowered[STANDARD_TIMESTAMP].strip()
    timestamp = _parse_timestamp(raw_timestamp, STANDARD_TIMESTAMP)

    given: list[bytes] = []
    for entry in lowered[STANDARD_SIGNATURE].split():
        version, _, encoded = entry.partition(",")
        if version != "v1":
            continue
        try:
            given.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    if not given:
        raise SignatureError(f"malformed {STANDARD_SIGNATURE}: expected v1,<base64> entries")
    expected = [_standard_digest(key, msg_id, raw_timestamp, body) for key in keys]
    if not any(hmac.compare_digest(want, got) for want in expected for got in given):
        raise SignatureError("signature does not match the body, id and timestamp")
    _check_clock(timestamp, now=now, tolerance=tolerance)
    return msg_id


def _standard_key(secret: str) -> bytes:
    # The reference libraries accept the bare base64 too; so do we.
    encoded = secret.removeprefix(STANDARD_SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("signing secret is not in the whsec_<base64> form") from None
    if not key:
        raise ValueError("signing secret is empty")
    return key


def _standard_digest(key: bytes, msg_id: str, timestamp: str, body: bytes) -> bytes:
    return hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()


# --- shared -------------------------------------------------------------------------------------


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    # HTTP header names are case-insensitive; callers pass dicts, httpx or Django headers.
    return {str(name).lower(): value for name, value in headers.items()}


def _parse_timestamp(raw: str, header: str) -> int:
    if not raw.isascii() or not raw.isdigit():
        raise SignatureError(f"malformed {header}: expected unix seconds")
    return int(raw)


def _check_clock(timestamp: int, *, now: float, tolerance: int) -> None:
    age = now - timestamp
    if age > tolerance:
        raise SignatureError(f"timestamp too old: {int(age)} s ago, tolerance {tolerance} s")
    if -age > tolerance:
        raise SignatureError(f"timestamp in the future: {int(-age)} s ahead, tolerance {tolerance} s")
