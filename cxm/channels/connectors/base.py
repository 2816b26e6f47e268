"""The one interface every platform connector implements, and the shapes it speaks.

A connector is built for one ChannelAccount (`Connector(account=..., credentials=...)`) and
never touches the database: it fetches, publishes and replies over the platform's own wire
protocol and returns plain dataclasses. Services decide what to store, and
`cxm.channels.retry` when to try again, based on the exceptions below.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

import certifi
import httpx

from cxm.channels import outbound
from cxm.channels.topics import TopicSearch


class ItemKind:
    POST = "post"
    COMMENT = "comment"
    DM = "dm"
    EMAIL = "email"
    REVIEW = "review"
    ALL = (POST, COMMENT, DM, EMAIL, REVIEW)


@dataclass(frozen=True)
class Author:
    """Who wrote an item, as the platform identifies them."""

    platform_id: str  # stable id on the platform: Mastodon account id, Bluesky DID, email address
    handle: str  # @user@host, handle.bsky.social, name@example.com
    name: str = ""
    url: str = ""


@dataclass(frozen=True)
class Item:
    """One inbound public mention, comment, direct message, email or review, normalised."""

    platform: str
    external_id: str
    author: Author
    text: str
    created_at: datetime  # timezone-aware
    kind: str = ItemKind.POST
    url: str = ""
    in_reply_to: str | None = None  # external id of the item this answers, if any
    thread_id: str | None = None  # conversation / email thread this item belongs to
    language_hint: str | None = None
    subject: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FetchPage:
    """A page of items and the cursor to resume after them.

    The caller stores `items` and `cursor` together, then calls again with `cursor` while `more`.
    """

    items: list[Item]
    cursor: dict[str, Any]
    more: bool = False


@dataclass(frozen=True)
class Media:
    filename: str
    content_type: str
    data: bytes
    description: str = ""
    # Where the platform can fetch the file itself (Instagram takes media only by public URL).
    url: str = ""


@dataclass(frozen=True)
class Outgoing:
    """A post or a reply to publish. `idempotency_key` is stable across retries of the same intent."""

    text: str
    idempotency_key: str
    reply_to: str | None = None  # external id of the item answered
    media: tuple[Media, ...] = ()
    subject: str = ""  # email
    recipient: str = ""  # email / direct messages: the address or handle to write to
    thread_id: str | None = None
    # Direct messages on platforms that limit when a business may answer (Messenger, Instagram):
    # when the customer last wrote, as the caller stored it (None: the connector asks the
    # platform), and whether no person wrote this answer (a rule, a survey), which some windows refuse.
    last_inbound_at: datetime | None = None
    automated: bool = False
    # How far earlier attempts of this same intent got on the platform, for a connector whose
    # publish takes several calls (Instagram: the container it created). The connector writes
    # into it as it goes; the caller stores it with a failed attempt and hands it back next time.
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Published:
    external_id: str
    url: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Limits:
    max_text_length: int
    max_media: int
    # how the platform counts length: "characters" (code points), "graphemes", "utf16", "bytes"
    length_unit: str = "characters"
    can_publish: bool = True
    can_reply: bool = True


@dataclass(frozen=True)
class PostMetrics:
    external_id: str
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    reach: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Quota:
    """What the platform says of its call allowance in one window (X's x-rate-limit-* headers)."""

    remaining: int
    reset_at: datetime  # timezone-aware
    limit: int | None = None
    endpoint: str = ""  # the window's name, e.g. "GET /2/users/:id/mentions"


@dataclass(frozen=True)
class AccountConfig:
    """What a connector knows of the account it works for; no database object."""

    platform: str
    handle: str
    base_url: str = ""
    credentials: dict[str, str] = field(default_factory=dict)  # decrypted; never logged
    # non-secret settings: {"search_terms": [...]} (Mastodon, Bluesky), {"feed_url": ...} (RSS),
    # {"imap_host", "imap_port", "smtp_host", "smtp_port", "address", "mailbox"} (email), ...
    options: dict[str, Any] = field(default_factory=dict)
    account_id: int | None = None
    # The workspace's admin allowed private network targets (see cxm.channels.outbound).
    allow_private_targets: bool = False
    # The workspace's listening topics, for a connector that searches per topic
    # (`searches_topics = True` on its class); empty for every other one.
    topics: tuple[TopicSearch, ...] = ()
    # Hooks the services give a connector that needs them, so it never touches the database:
    # `token_source()` answers a current OAuth 2.0 access token, refreshed shortly before it lapses
    # (`token_source(refused=token)` after the platform refused that one); `quota_report(quota)`
    # records the platform's call allowance on the account.
    token_source: Callable[..., str] | None = field(default=None, repr=False, compare=False)
    quota_report: Callable[[Quota], None] | None = field(default=None, repr=False, compare=False)


class ConnectorError(Exception):
    """Base of every error a connector raises; `str()` is safe to show (never holds secrets)."""


class AuthError(ConnectorError):
    """401/403 or revoked credentials: the account needs re-authorisation; do not retry."""


class RateLimited(ConnectorError):
    """The platform asks to wait `retry_after` seconds. `account_wide`: the whole account is
    throttled (its other calls would be refused too); False when only this call's target is
    (WhatsApp's limit on messages to one customer)."""

    def __init__(self, message: str, *, retry_after: float, account_wide: bool = True):
        super().__init__(message)
        self.retry_after = retry_after
        self.account_wide = account_wide


class TransientError(ConnectorError):
    """Timeouts, connection errors and 5xx: retry with backoff."""


class PermanentError(ConnectorError):
    """The platform refused this request for good (validation, not found, duplicate...)."""


class Gone(PermanentError):
    """The object named is not on the platform (any more): HTTP 404 or 410, Graph's code 100 with
    subcode 33 ("does not exist"). A deletion meeting it has nothing left to delete."""


class NotSupported(ConnectorError):
    """The platform cannot do this (e.g. publish to an RSS feed)."""


class Connector(Protocol):
    platform: ClassVar[str]

    def __init__(self, config: AccountConfig, *, http: httpx.Client | None = None) -> None: ...

    def check(self) -> str:
        """Verify the credentials; return the account's handle/name as the platform knows it."""

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        """Items newer than `cursor` (empty dict = start now, or from the beginning)."""

    def publish(self, outgoing: Outgoing) -> Published:
        """Publish a post; safe to call again with the same idempotency key."""

    def reply(self, outgoing: Outgoing) -> Published:
        """Answer `outgoing.reply_to`; safe to call again with the same idempotency key."""

    # Optional, where the platform lets an account take back what it published (see
    # `connectors.can_delete`): `delete(external_id)` removes a published post,
    # `comment_delete(external_id)` one of the account's own comments or replies. Each answers
    # None once the platform confirmed it and raises `Gone` when the object is not there.

    def fetch_metrics(self, external_ids: list[str]) -> list[PostMetrics]: ...

    def limits(self) -> Limits: ...


def outbound_check(address: str, config: AccountConfig, *, host: bool = False) -> None:
    """Check an address a member typed (a URL, or with `host` a bare host) right before calling
    it, since DNS answers change after it was saved; a refused one is a PermanentError."""
    check = outbound.host_check if host else outbound.target_check
    try:
        check(address, allow_private=config.allow_private_targets)
    except outbound.UnsafeTarget as exc:
        raise PermanentError(str(exc)) from None


def raise_for_http_status(response: httpx.Response, *, retry_after_default: float = 60.0) -> None:
    """Map an HTTP answer onto the connector errors (shared by the HTTP connectors)."""
    status = response.status_code
    if status < 400:
        return
    detail = _error_text(response)
    if status == 429:
        raise RateLimited(
            f"rate limited: {detail}", retry_after=retry_after_from(response, retry_after_default)
        )
    if status in (401, 403):
        raise AuthError(f"not authorised ({status}): {detail}")
    if status in (404, 410):
        raise Gone(f"not found ({status}): {detail}")
    if status >= 500 or status in (408, 425):
        raise TransientError(f"platform error {status}: {detail}")
    raise PermanentError(f"refused ({status}): {detail}")


def retry_after_from(response: httpx.Response, default: float) -> float:
    """Seconds to wait, from Retry-After or the platforms' X-RateLimit-Reset / RateLimit-Reset."""
    from email.utils import parsedate_to_datetime
    from time import time

    value = response.headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time())
            except (TypeError, ValueError):
                pass
    for header in ("X-RateLimit-Reset", "RateLimit-Reset", "ratelimit-reset"):
        value = response.headers.get(header)
        if not value:
            continue
        try:
            number = float(value)
            # epoch seconds (Bluesky) or seconds from now
            return max(0.0, number - time()) if number > 1_000_000_000 else max(0.0, number)
        except ValueError:
            try:
                return max(0.0, datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() - time())
            except ValueError:
                continue
    return default


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("error_description") or body.get("error") or body.get("message") or body)[:200]
    return str(body)[:200]


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle takes tens of milliseconds; every connector shares one context.
    return ssl.create_default_context(cafile=certifi.where())


def http_client(
    *, base_url: str, timeout: float = 15.0, headers: dict[str, str] | None = None
) -> httpx.Client:
    """An HTTP client for a platform; connectors accept one injected for tests."""
    return httpx.Client(
        base_url=base_url,
        timeout=timeout,
        verify=_tls_context(),
        headers={"User-Agent": "cxm-platform/0.1", **(headers or {})},
        follow_redirects=False,
    )


def http_call(client: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response:
    """One request; network failures become TransientError, error statuses the mapped errors."""
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise TransientError(f"timed out: {method} {url}") from exc
    except httpx.TransportError as exc:
        raise TransientError(f"connection failed: {exc.__class__.__name__}") from exc
    raise_for_http_status(response)
    return response


def iso_time(value: Any) -> datetime | None:
    """An aware datetime from an ISO 8601 time (RFC 3339 with `Z` too); None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def newer_than(items: list[Item], position: dict[str, Any] | None) -> tuple[list[Item], dict[str, Any]]:
    """The items after a cursor position (`{"at": newest time delivered, "ids": the ids delivered
    at that time}`), and the position after them: an item of the same second as the last one
    delivered is handed over once, neither lost nor repeated."""
    at = iso_time((position or {}).get("at"))
    seen = set((position or {}).get("ids") or [])
    fresh = [
        item
        for item in items
        if at is None or item.created_at > at or (item.created_at == at and item.external_id not in seen)
    ]
    newest = max((item.created_at for item in items), default=at)
    if newest is None:
        return fresh, {}
    ids = {item.external_id for item in items if item.created_at == newest}
    if newest == at:
        ids |= seen
    return fresh, {"at": newest.isoformat(), "ids": sorted(ids)}
