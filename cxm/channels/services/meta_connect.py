"""Connect Facebook & Instagram: Facebook Login's authorization-code flow, then the Pages (with
their Instagram professional accounts), ad accounts and WhatsApp numbers the person may add.

The code is exchanged for a user token (`GET /oauth/access_token?client_id&redirect_uri&
client_secret&code`), that for a long-lived one (`grant_type=fb_exchange_token`), and the token
lists `/me/accounts` (each Page with its own Page token and its `instagram_business_account`),
`/me/adaccounts` and, through `/me/businesses` → `/{business}/owned_whatsapp_business_accounts` →
`/{waba}/phone_numbers`, the WhatsApp numbers. Each one the admin picks becomes a channel account
through `account_create` (validation, encryption, audit). Tokens never leave this module except
into an account's encrypted credentials or the encrypted hand-over between callback and picker;
they are never rendered or logged.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cxm.channels.connectors.base import ConnectorError, TransientError, http_client
from cxm.channels.connectors.graph import graph_error
from cxm.channels.models import ChannelAccount, Platform
from cxm.channels.services.accounts import account_create
from cxm.encryption import decrypt_text, encrypt_text
from cxm.tenancy.models import Brand, BusinessUnit, Workspace

# What the dialog asks for: Pages (read, publish, moderate, Messenger), Instagram (content,
# comments, messages), WhatsApp (manage and message) and ads; and business_management to list
# the businesses that own the WhatsApp Business Accounts.
SCOPES = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_posts",
    "pages_manage_engagement",
    "pages_manage_metadata",
    "pages_messaging",
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
    "instagram_manage_messages",
    "whatsapp_business_management",
    "whatsapp_business_messaging",
    "business_management",
    "ads_management",
    "ads_read",
)
# A re-connect is offered this many days before a token lapses.
RECONNECT_WITHIN_DAYS = 7


class MetaConnectError(Exception):
    """The flow could not go on; `str()` is safe to show (holds no token)."""


@dataclass(frozen=True)
class Candidate:
    """One Page, Instagram account, ad account or WhatsApp number the person may add."""

    key: str  # "<platform>:<handle>", what the picker's checkbox sends back
    platform: str
    handle: str
    name: str
    detail: str = ""  # what helps a person recognise it: the @username, the phone number
    token: str = field(default="", repr=False)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Discovery:
    candidates: list[Candidate]
    expires_in: int | None  # seconds the long-lived user token lasts, as Meta said


def redirect_uri() -> str:
    return settings.CXM_BASE_URL.rstrip("/") + reverse("channels:meta-connect-callback")


def dialog_url(*, state: str) -> str:
    query = {
        "client_id": settings.CXM_META_APP_ID,
        "redirect_uri": redirect_uri(),
        "state": state,
        "response_type": "code",
        "scope": ",".join(SCOPES),
    }
    return f"{settings.CXM_META_DIALOG_URL}?{urlencode(query)}"


class _Graph:
    def __init__(self, http: httpx.Client | None = None) -> None:
        base = f"{settings.CXM_META_GRAPH_URL.rstrip('/')}/{settings.CXM_META_API_VERSION}"
        self._http = http or http_client(base_url=base, timeout=30.0)

    def get(self, path: str, *, token: str = "", **params: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = self._http.get(f"/{path.lstrip('/')}", params=params, headers=headers)
        except httpx.TransportError as exc:
            raise TransientError(f"Meta could not be reached: {exc.__class__.__name__}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        error = graph_error(response.status_code, body, response.headers)
        if error is not None:
            raise error
        if not isinstance(body, dict):
            raise TransientError(f"unexpected answer to GET /{path}")
        return body

    def listing(self, path: str, *, token: str, **params: str) -> list[dict[str, Any]]:
        """Every `data` row of a listing, following `paging.cursors.after` while `paging.next` is there."""
        rows: list[dict[str, Any]] = []
        for _ in range(20):
            body = self.get(path, token=token, **params)
            rows.extend(row for row in body.get("data") or [] if isinstance(row, dict))
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                break
            params = {**params, "after": after}
        return rows


def meta_discover(*, code: str, http: httpx.Client | None = None) -> Discovery:
    """Exchange the dialog's code and list what the person may add."""
    graph = _Graph(http)
    app = {"client_id": settings.CXM_META_APP_ID, "client_secret": settings.CXM_META_APP_SECRET}
    try:
        short = graph.get("oauth/access_token", redirect_uri=redirect_uri(), code=code, **app)
        long = graph.get(
            "oauth/access_token",
            grant_type="fb_exchange_token",
            fb_exchange_token=str(short.get("access_token") or ""),
            **app,
        )
        user_token = str(long.get("access_token") or "")
        if not user_token:
            raise MetaConnectError("Meta gave no access token.")
        expires_in = int(long["expires_in"]) if long.get("expires_in") else None
        candidates = _pages(graph, user_token) + _ad_accounts(graph, user_token)
        candidates += _whatsapp_numbers(graph, user_token)
    except ConnectorError as exc:
        raise MetaConnectError(f"Meta refused: {exc}") from exc
    return Discovery(candidates=candidates, expires_in=expires_in)


def _pages(graph: _Graph, token: str) -> list[Candidate]:
    found: list[Candidate] = []
    fields = "id,name,access_token,instagram_business_account{id,username}"
    for page in graph.listing("me/accounts", token=token, fields=fields):
        page_token = str(page.get("access_token") or "")
        page_id = str(page.get("id") or "")
        if not page_id or not page_token:
            continue
        name = str(page.get("name") or page_id)
        found.append(
            Candidate(f"facebook_page:{page_id}", Platform.FACEBOOK_PAGE, page_id, name, token=page_token)
        )
        ig = page.get("instagram_business_account") or {}
        if ig.get("id"):
            username = str(ig.get("username") or "")
            found.append(
                Candidate(
                    f"instagram:{ig['id']}",
                    Platform.INSTAGRAM,
                    str(ig["id"]),
                    username or name,
                    detail=f"@{username}" if username else "",
                    token=page_token,
                    options={"page_id": page_id},
                )
            )
    return found


def _ad_accounts(graph: _Graph, token: str) -> list[Candidate]:
    return [
        Candidate(
            f"meta_ads:act_{row['account_id']}",
            Platform.META_ADS,
            f"act_{row['account_id']}",
            str(row.get("name") or row["account_id"]),
            token=token,
        )
        for row in graph.listing("me/adaccounts", token=token, fields="account_id,name")
        if row.get("account_id")
    ]


def _whatsapp_numbers(graph: _Graph, token: str) -> list[Candidate]:
    found: list[Candidate] = []
    for business in graph.listing("me/businesses", token=token, fields="id,name"):
        if not business.get("id"):
            continue
        for waba in graph.listing(f"{business['id']}/owned_whatsapp_business_accounts", token=token):
            if not waba.get("id"):
                continue
            for number in graph.listing(f"{waba['id']}/phone_numbers", token=token):
                if not number.get("id"):
                    continue
                found.append(
                    Candidate(
                        f"whatsapp:{number['id']}",
                        Platform.WHATSAPP,
                        str(number["id"]),
                        str(number.get("verified_name") or waba.get("name") or number["id"]),
                        detail=str(number.get("display_phone_number") or ""),
                        token=token,
                        options={"waba_id": str(waba["id"])},
                    )
                )
    return found


# --- the hand-over from callback to picker, encrypted ---------------------------------------------


def discovery_seal(discovery: Discovery) -> str:
    """The discovery as one encrypted string, for the session between callback and picker."""
    return encrypt_text(
        json.dumps(
            {"expires_in": discovery.expires_in, "candidates": [asdict(c) for c in discovery.candidates]}
        )
    )


def discovery_open(sealed: str) -> Discovery:
    data = json.loads(decrypt_text(sealed))
    return Discovery(
        candidates=[Candidate(**row) for row in data["candidates"]], expires_in=data.get("expires_in")
    )


# --- adding the picked ones -----------------------------------------------------------------------


@transaction.atomic
def meta_accounts_connect(
    *,
    workspace: Workspace,
    discovery: Discovery,
    keys: list[str],
    business_unit: BusinessUnit | None,
    brand: Brand | None,
    by=None,
    request=None,
) -> list[ChannelAccount]:
    """Add each picked candidate as a channel account of `workspace`; all or none."""
    chosen = [c for c in discovery.candidates if c.key in set(keys)]
    if not chosen:
        raise ValidationError({"accounts": "Pick at least one account to add."})
    expiry: dict[str, Any] = {}
    if discovery.expires_in:
        expires_at = timezone.now() + timedelta(seconds=discovery.expires_in)
        expiry = {"token_expires_at": expires_at.isoformat(), "token_expires_in": discovery.expires_in}
    created = []
    for candidate in chosen:
        options = {**candidate.options, "connected_by_oauth": True}
        if candidate.platform not in (Platform.FACEBOOK_PAGE, Platform.INSTAGRAM):
            options.update(expiry)  # Page tokens from a long-lived user token do not expire
        created.append(
            account_create(
                workspace=workspace,
                platform=candidate.platform,
                handle=candidate.handle,
                display_name=candidate.name,
                credentials={"access_token": candidate.token},
                base_url=_graph_base_url(),
                business_unit=business_unit,
                brand=brand,
                options=options,
                by=by,
                request=request,
            )
        )
    return created


def _graph_base_url() -> str:
    """Empty for Meta's own Graph host (the connectors' default); the configured host otherwise."""
    configured = settings.CXM_META_GRAPH_URL.rstrip("/")
    return "" if configured == "https://graph.facebook.com" else configured
