"""OAuth 2.0 sign-in for any platform that speaks it: the authorization-code flow with PKCE
(RFC 7636) and refresh tokens (RFC 6749 §6), described once per platform by a `Provider`.

1. `authorization_start` keeps a random nonce and a PKCE verifier in the session and answers the
   platform's authorize address: `response_type=code`, the client id, `redirect_uri` (under
   `CXM_BASE_URL`), the scopes, a `state` (the nonce, signed, good for `STATE_MAX_AGE` and once)
   and the S256 `code_challenge` where the platform requires it, plus the platform's own extra
   parameters (Google's `access_type=offline&prompt=consent`).
2. `authorization_verify` takes the callback's state: it must be this session's, unexpired, and
   it is used up either way; it answers the verifier for the exchange.
3. `code_exchange` posts the code and the verifier to the token endpoint, the client
   authenticating with HTTP Basic (X) or in the body (Google), and answers the `Tokens`;
   `tokens_credentials` is what an account keeps of them (encrypted, like every credential).
4. `refresh_if_needed(account)` answers an access token for the account's connector before each
   call, refreshing it when less than `REFRESH_MARGIN` is left (or when the platform refused the
   token the connector had). The account row is locked while refreshing, so two workers never
   spend the same refresh token: X's are single-use, and spending one twice revokes them all. A
   refused refresh marks the account "needs re-auth" and raises `AuthError`.

The refreshed tokens are written in the caller's transaction (the publishing dispatcher calls
connectors inside its own). If that transaction rolls back after a refresh (the worker died
mid-call), the platform has rotated a refresh token that was never stored and the account needs
re-authorising; the sync, which calls outside any transaction every minute, refreshes first in
practice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cxm.channels.connectors.base import (
    AuthError,
    ConnectorError,
    RateLimited,
    TransientError,
    http_client,
    retry_after_from,
)
from cxm.channels.models import AccountStatus, ChannelAccount

STATE_MAX_AGE = 15 * 60  # seconds a person may spend on the platform's consent page
REFRESH_MARGIN = timedelta(minutes=5)
SESSION_KEY = "channels.oauth2.{name}"


@dataclass(frozen=True)
class Provider:
    """How one platform signs in. Addresses are read from settings when used, so tests and
    stand-ins can point them elsewhere."""

    name: str  # the platform, e.g. "x"
    label: str  # what a person calls it, e.g. "X"
    authorize_url: Callable[[], str]
    token_url: Callable[[], str]
    client_id_setting: str
    client_secret_setting: str
    scopes: tuple[str, ...]
    pkce: bool = True  # S256 code challenge required
    extra_authorize_params: Mapping[str, str] = field(default_factory=dict)
    # How the client authenticates at the token endpoint: HTTP Basic (X's confidential clients)
    # or client_id and client_secret in the form body (Google).
    basic_auth: bool = True

    @property
    def client_id(self) -> str:
        return str(getattr(settings, self.client_id_setting, "") or "")

    @property
    def client_secret(self) -> str:
        return str(getattr(settings, self.client_secret_setting, "") or "")

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)


X = Provider(
    name="x",
    label="X",
    authorize_url=lambda: settings.CXM_X_AUTHORIZE_URL,
    token_url=lambda: f"{settings.CXM_X_API_URL.rstrip('/')}/2/oauth2/token",
    client_id_setting="CXM_X_CLIENT_ID",
    client_secret_setting="CXM_X_CLIENT_SECRET",  # noqa: S106 (the setting's name, not a secret)
    # Read and write posts, read users, read and send direct messages, and a refresh token.
    scopes=("tweet.read", "tweet.write", "users.read", "dm.read", "dm.write", "offline.access"),
)

# Google's sign-in for a YouTube channel (OAuth 2.0 for web server applications): offline access
# for a refresh token, and `prompt=consent` so Google sends one at every sign-in, not only the
# first (a re-connect needs a new one). Google takes PKCE S256 from web clients too.
YOUTUBE = Provider(
    name="youtube",
    label="YouTube",
    authorize_url=lambda: settings.CXM_YOUTUBE_AUTHORIZE_URL,
    token_url=lambda: settings.CXM_YOUTUBE_TOKEN_URL,
    client_id_setting="CXM_YOUTUBE_CLIENT_ID",
    client_secret_setting="CXM_YOUTUBE_CLIENT_SECRET",  # noqa: S106 (the setting's name, not a secret)
    # Read, answer and moderate comments on the channel's videos.
    scopes=("https://www.googleapis.com/auth/youtube.force-ssl",),
    extra_authorize_params={"access_type": "offline", "prompt": "consent"},
    basic_auth=False,
)

PROVIDERS: dict[str, Provider] = {X.name: X, YOUTUBE.name: YOUTUBE}


class OAuth2Error(Exception):
    """The sign-in could not go on; `str()` is safe to show (it holds no token)."""


class StateRefused(OAuth2Error):
    """The callback's state is not this session's, has expired or was used already."""


class RefreshRefused(AuthError):
    """The platform refused the refresh token: someone has to sign in again."""


@dataclass(frozen=True)
class Connected:
    """What a platform's connect step did with a sign-in."""

    account: ChannelAccount
    created: bool  # False: an account already connected took the new tokens


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)
    expires_at: datetime | None = None
    scope: str = ""


def provider_get(name: str) -> Provider | None:
    return PROVIDERS.get(name)


def redirect_uri(provider: Provider) -> str:
    return settings.CXM_BASE_URL.rstrip("/") + reverse("channels:oauth2-callback", args=[provider.name])


# --- the browser's round trip -------------------------------------------------------------------


def authorization_start(*, provider: Provider, session) -> str:
    """The platform's authorize address, with a state and a verifier kept in `session`."""
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters of RFC 7636's unreserved alphabet
    session[SESSION_KEY.format(name=provider.name)] = {"nonce": nonce, "verifier": verifier}
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri(provider),
        "scope": " ".join(provider.scopes),
        "state": signing.dumps(nonce, salt=_salt(provider)),
    }
    if provider.pkce:
        query["code_challenge"] = pkce_challenge(verifier)
        query["code_challenge_method"] = "S256"
    query.update(provider.extra_authorize_params)
    return f"{provider.authorize_url()}?{urlencode(query)}"


def authorization_verify(*, provider: Provider, session, state: str) -> str:
    """The PKCE verifier of this session's sign-in, if `state` is its own; used up either way."""
    kept = session.pop(SESSION_KEY.format(name=provider.name), None) or {}
    try:
        signed = signing.loads(state, salt=_salt(provider), max_age=STATE_MAX_AGE)
    except signing.BadSignature:
        raise StateRefused("the state is not signed by us or has expired") from None
    nonce = kept.get("nonce")
    if not (isinstance(nonce, str) and isinstance(signed, str) and hmac.compare_digest(signed, nonce)):
        raise StateRefused("the state belongs to no sign-in started in this session")
    return str(kept.get("verifier") or "")


def pkce_challenge(verifier: str) -> str:
    """S256: the unpadded base64url of the verifier's SHA-256 (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _salt(provider: Provider) -> str:
    return f"channels.oauth2.state.{provider.name}"


# --- the token endpoint --------------------------------------------------------------------------


def code_exchange(
    *, provider: Provider, code: str, verifier: str, http: httpx.Client | None = None
) -> Tokens:
    """Trade the callback's code (and the PKCE verifier) for tokens."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(provider)}
    if provider.pkce:
        form["code_verifier"] = verifier
    try:
        return _token_call(provider, form, http=http)
    except ConnectorError as exc:
        raise OAuth2Error(f"{provider.label} refused the code: {exc}") from exc


def token_refresh(*, provider: Provider, refresh_token: str, http: httpx.Client | None = None) -> Tokens:
    """New tokens for a refresh token; a platform that sends no new refresh token keeps the old."""
    tokens = _token_call(provider, {"grant_type": "refresh_token", "refresh_token": refresh_token}, http=http)
    if not tokens.refresh_token:
        tokens = Tokens(tokens.access_token, refresh_token, tokens.expires_at, tokens.scope)
    return tokens


def _token_call(provider: Provider, form: dict[str, str], *, http: httpx.Client | None) -> Tokens:
    headers = {"Accept": "application/json"}
    if provider.basic_auth:
        pair = f"{provider.client_id}:{provider.client_secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    else:
        form = {**form, "client_id": provider.client_id, "client_secret": provider.client_secret}
    client = http or http_client(base_url=provider.token_url(), timeout=30.0)
    try:
        response = client.post(provider.token_url(), data=form, headers=headers)
    except httpx.TransportError as exc:
        raise TransientError(f"{provider.label} could not be reached: {exc.__class__.__name__}") from exc
    finally:
        if http is None:
            client.close()
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    if response.status_code == 429:
        raise RateLimited(
            f"{provider.label} is rate limiting sign-ins", retry_after=retry_after_from(response, 60)
        )
    if response.status_code >= 500:
        raise TransientError(f"{provider.label} token endpoint answered {response.status_code}")
    if response.status_code >= 400 or not body.get("access_token"):
        # RFC 6749 §5.2: {"error", "error_description"}; invalid_grant for a spent refresh token.
        reason = str(body.get("error_description") or body.get("error") or response.status_code)[:200]
        raise RefreshRefused(f"{provider.label} refused the token request: {reason}")
    expires_in = body.get("expires_in")
    return Tokens(
        access_token=str(body["access_token"]),
        refresh_token=str(body.get("refresh_token") or ""),
        expires_at=timezone.now() + timedelta(seconds=int(expires_in)) if expires_in else None,
        scope=str(body.get("scope") or ""),
    )


def tokens_credentials(provider: Provider, tokens: Tokens) -> dict[str, Any]:
    """What an account keeps of its tokens (encrypted at rest, never shown)."""
    return {
        "oauth2_provider": provider.name,
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else "",
        "scope": tokens.scope,
    }


# --- a current token for each call ---------------------------------------------------------------


def refresh_if_needed(
    account: ChannelAccount, *, refused: str | None = None, http: httpx.Client | None = None
) -> str:
    """The account's access token, refreshed first when it lapses within `REFRESH_MARGIN` or is
    the one the platform just `refused`; see the module docstring for the locking."""
    credentials = account.credentials or {}
    if not _due(credentials, refused):
        return str(credentials.get("access_token") or "")
    failure: AuthError | None = None
    with transaction.atomic():
        locked = ChannelAccount.objects.select_for_update().get(
            workspace_id=account.workspace_id, pk=account.pk
        )
        credentials = locked.credentials or {}
        # Another worker may have refreshed while this one waited for the lock.
        if _due(credentials, refused):
            provider = provider_get(str(credentials.get("oauth2_provider") or ""))
            if provider is None or not credentials.get("refresh_token"):
                failure = AuthError("the access token has lapsed and there is no refresh token")
            else:
                try:
                    tokens = token_refresh(
                        provider=provider, refresh_token=str(credentials["refresh_token"]), http=http
                    )
                except RefreshRefused as exc:
                    failure = exc
                else:
                    credentials = {**credentials, **tokens_credentials(provider, tokens)}
                    ChannelAccount.objects.filter(pk=account.pk).update(credentials=credentials)
    if failure is not None:
        # Outside the block above, so the lock's savepoint does not take the mark back with it.
        ChannelAccount.objects.filter(pk=account.pk).exclude(status=AccountStatus.PAUSED).update(
            status=AccountStatus.NEEDS_REAUTH, error_text=str(failure)[:2000], next_sync_at=None
        )
        raise failure
    account.credentials = credentials
    return str(credentials.get("access_token") or "")


def _due(credentials: dict[str, Any], refused: str | None) -> bool:
    if refused is not None:
        # A refused token is renewed; one that differs from it came from another worker's refresh.
        return str(credentials.get("access_token") or "") == refused
    raw = credentials.get("expires_at")
    expires_at = parse_datetime(raw) if isinstance(raw, str) and raw else None
    return expires_at is not None and expires_at - timezone.now() < REFRESH_MARGIN


def token_source(account: ChannelAccount) -> Callable[..., str] | None:
    """The hook a connector calls for its token, for an account signed in through OAuth 2.0."""
    if not (account.credentials or {}).get("oauth2_provider"):
        return None

    def current(*, refused: str | None = None) -> str:
        return refresh_if_needed(account, refused=refused)

    return current
