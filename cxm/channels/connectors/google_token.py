"""Access tokens for Google APIs from a stored refresh token (OAuth 2.0 for web server
applications, "Refreshing an access token (offline access)").

`refresh_access_token` is the one exchange: `POST` to the token endpoint with `client_id`,
`client_secret`, `refresh_token` and `grant_type=refresh_token`, answered
`{"access_token", "expires_in", "scope", "token_type"}`. An OAuth connect flow calls it to test
what it obtained; connectors call `cached_access_token`, which keeps each token in this process
until shortly before it expires (never in Redis or the database: it is a secret, and another
refresh costs nothing but a round trip).

Google refuses a refresh token that was revoked, expired or issued to another client with
400 `{"error": "invalid_grant"}` (`invalid_client` for a wrong client id or secret): that is an
AuthError, the account needs re-authorisation. 5xx and network failures are transient.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

import httpx

from cxm.channels.connectors.base import (
    AuthError,
    PermanentError,
    RateLimited,
    TransientError,
    retry_after_from,
)

# A token is used until this many seconds before Google says it expires.
EXPIRY_MARGIN_SECONDS = 60
REFUSED_CREDENTIALS = {"invalid_grant", "invalid_client", "unauthorized_client"}


@dataclass(frozen=True)
class GoogleToken:
    access_token: str
    expires_in: int
    scope: str = ""


def refresh_access_token(
    *, client_id: str, client_secret: str, refresh_token: str, token_url: str, http: httpx.Client
) -> GoogleToken:
    """Exchange the refresh token for a new access token at `token_url`."""
    if not (client_id and client_secret and refresh_token):
        raise AuthError("a client_id, client_secret and refresh_token are needed to call Google")
    try:
        response = http.post(
            token_url,
            data={
                "client_id": client_id,
                "client_secret": client_secret,
                "refresh_token": refresh_token,
                "grant_type": "refresh_token",
            },
        )
    except httpx.TimeoutException as exc:
        raise TransientError("timed out refreshing the Google access token") from exc
    except httpx.TransportError as exc:
        raise TransientError(f"connection failed refreshing the token: {exc.__class__.__name__}") from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    if response.status_code >= 400:
        error = str(body.get("error") or "")
        detail = str(body.get("error_description") or error or response.text[:200])
        if error in REFUSED_CREDENTIALS or response.status_code == 401:
            raise AuthError(f"Google refused the refresh token ({error or response.status_code}): {detail}")
        if response.status_code == 429:
            raise RateLimited(f"token endpoint: {detail}", retry_after=retry_after_from(response, 60.0))
        if response.status_code >= 500:
            raise TransientError(f"token endpoint error {response.status_code}: {detail}")
        raise PermanentError(f"token refresh refused ({response.status_code}): {detail}")
    token = str(body.get("access_token") or "")
    if not token:
        raise TransientError("the token endpoint answered without an access_token")
    return GoogleToken(
        access_token=token, expires_in=int(body.get("expires_in") or 0), scope=str(body.get("scope") or "")
    )


_cache: dict[str, tuple[str, float]] = {}
_cache_lock = threading.Lock()


def _cache_key(client_id: str, refresh_token: str, token_url: str) -> str:
    return hashlib.sha256(f"{token_url}\0{client_id}\0{refresh_token}".encode()).hexdigest()


def cached_access_token(
    *,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    token_url: str,
    http: httpx.Client,
    fresh: bool = False,
) -> str:
    """An access token for these credentials: the one this process holds while it is valid, else
    a new one (`fresh=True` forgets the held one first, after Google refused it)."""
    key = _cache_key(client_id, refresh_token, token_url)
    with _cache_lock:
        if fresh:
            _cache.pop(key, None)
        held = _cache.get(key)
    if held is not None and held[1] > time.monotonic():
        return held[0]
    token = refresh_access_token(
        client_id=client_id,
        client_secret=client_secret,
        refresh_token=refresh_token,
        token_url=token_url,
        http=http,
    )
    with _cache_lock:
        _cache[key] = (token.access_token, time.monotonic() + token.expires_in - EXPIRY_MARGIN_SECONDS)
    return token.access_token


def forget_access_tokens() -> None:
    """Drop every held token (tests, and a process that rotates credentials)."""
    with _cache_lock:
        _cache.clear()
