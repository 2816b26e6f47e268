"""Connect X: the OAuth 2.0 sign-in (`cxm.channels.services.oauth2`, provider `X`), then the
account it signed in as.

After the code exchange, `GET /2/users/me` names the account: its id (`options.user_id`) and its
username (the handle, `@username`). A new one becomes a channel account through `account_create`
(validation, encrypted credentials, audit); one the workspace has already connected (the same
user id, or the same handle) takes the new tokens through `account_update`, which also lifts
"needs re-auth": signing in again is how a lapsed X account is re-connected. The allowance X
reported on that first call is kept for the account tile.
"""

from __future__ import annotations

import httpx
from django.conf import settings
from django.db import transaction

from cxm.channels.connectors.base import AccountConfig, ConnectorError, Quota
from cxm.channels.connectors.x import DEFAULT_API, XConnector
from cxm.channels.models import ChannelAccount, Platform
from cxm.channels.services import oauth2
from cxm.channels.services.accounts import account_create, account_quota_record, account_update
from cxm.tenancy.models import Brand, BusinessUnit, Workspace

# Each sync reads mentions, every search and the direct messages; X allows 15 reads of direct
# messages per 15 minutes, so an account polls every two minutes.
SYNC_SECONDS = 120


def x_account_connect(
    *,
    workspace: Workspace,
    code: str,
    verifier: str,
    business_unit: BusinessUnit | None = None,
    brand: Brand | None = None,
    by=None,
    request=None,
    http: httpx.Client | None = None,
) -> oauth2.Connected:
    """Exchange the callback's code, ask X who signed in, and connect them in `business_unit` and
    `brand` (or re-connect them where they are)."""
    tokens = oauth2.code_exchange(provider=oauth2.X, code=code, verifier=verifier, http=http)
    credentials = oauth2.tokens_credentials(oauth2.X, tokens)
    seen: list[Quota] = []
    connector = XConnector(
        AccountConfig(
            platform=Platform.X,
            handle="",
            base_url=api_base_url(),
            credentials=credentials,
            allow_private_targets=workspace.allow_private_webhook_targets,
            quota_report=seen.append,
        ),
        http=http,
    )
    try:
        me = connector.me()
    except ConnectorError as exc:
        raise oauth2.OAuth2Error(f"X did not say who signed in: {exc}") from exc
    handle = "@" + str(me.get("username") or me["id"])
    with transaction.atomic():
        account = _already_connected(workspace, user_id=str(me["id"]), handle=handle)
        if account is None:
            account = account_create(
                workspace=workspace,
                platform=Platform.X,
                handle=handle,
                display_name=str(me.get("name") or handle),
                base_url=api_base_url(),
                credentials=credentials,
                business_unit=business_unit,
                brand=brand,
                options={"user_id": str(me["id"]), "connected_by_oauth": True},
                sync_interval_seconds=SYNC_SECONDS,
                by=by,
                request=request,
            )
            created = True
        else:
            account = account_update(
                account=account,
                handle=handle,
                options={**(account.options or {}), "user_id": str(me["id"]), "connected_by_oauth": True},
                credentials=credentials,
                by=by,
                request=request,
            )
            created = False
        if seen:
            account_quota_record(seen[-1], account_id=account.pk)
    return oauth2.Connected(account=account, created=created)


def _already_connected(workspace: Workspace, *, user_id: str, handle: str) -> ChannelAccount | None:
    accounts = ChannelAccount.objects.select_for_update().filter(workspace=workspace, platform=Platform.X)
    return accounts.filter(options__user_id=user_id).first() or accounts.filter(handle__iexact=handle).first()


def api_base_url() -> str:
    """Empty for X's own API host (the connector's default); the configured host otherwise."""
    configured = settings.CXM_X_API_URL.rstrip("/")
    return "" if configured == DEFAULT_API else configured
