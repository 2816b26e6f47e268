"""Connect YouTube: Google's OAuth 2.0 sign-in (`cxm.channels.services.oauth2`, provider
`YOUTUBE`), then the channel it was granted for.

The code exchange answers a refresh token (offline access, asked with `prompt=consent` so every
sign-in brings a new one). The account keeps what the YouTube connector works with: the Google
project's OAuth client (`CXM_YOUTUBE_CLIENT_ID`, `CXM_YOUTUBE_CLIENT_SECRET`) and that refresh
token, from which the connector gets its access tokens itself (`connectors/google_token.py`).
Before anything is stored, the connector asks `channels.list?part=snippet&mine=true` with those
credentials (1 unit of the project's quota): its first call refreshes with the new refresh token,
so a token Google would not honour is found now rather than at the first sync, and the answer
names the channel: its id is the handle, its title the display name.

A channel the workspace has not connected becomes an account through `account_create`
(validation, encrypted credentials, audit); one it has takes the new credentials through
`account_update`, which also lifts "needs re-auth": signing in again is how a YouTube channel whose
refresh token Google stopped honouring is re-connected.
"""

from __future__ import annotations

import httpx
from django.db import transaction

from cxm.channels.connectors.base import AccountConfig, ConnectorError
from cxm.channels.connectors.youtube import YouTubeConnector
from cxm.channels.models import ChannelAccount, Platform
from cxm.channels.services import oauth2
from cxm.channels.services.accounts import account_create, account_update
from cxm.tenancy.models import Brand, BusinessUnit, Workspace


def youtube_account_connect(
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
    """Exchange the callback's code, ask YouTube which channel was granted, and connect it in
    `business_unit` and `brand` (or re-connect it where it is)."""
    provider = oauth2.YOUTUBE
    tokens = oauth2.code_exchange(provider=provider, code=code, verifier=verifier, http=http)
    if not tokens.refresh_token:
        raise oauth2.OAuth2Error("Google granted no offline access (no refresh token came back)")
    credentials = {
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "refresh_token": tokens.refresh_token,
    }
    connector = YouTubeConnector(
        AccountConfig(
            platform=Platform.YOUTUBE,
            handle="",
            base_url="",
            credentials=credentials,
            allow_private_targets=workspace.allow_private_webhook_targets,
        ),
        http=http,
    )
    try:
        channel = connector.own_channel()
    except ConnectorError as exc:
        raise oauth2.OAuth2Error(f"YouTube did not say which channel was granted: {exc}") from exc
    channel_id = str(channel["id"])
    title = str((channel.get("snippet") or {}).get("title") or channel_id)
    with transaction.atomic():
        account = (
            ChannelAccount.objects.select_for_update()
            .filter(workspace=workspace, platform=Platform.YOUTUBE, handle=channel_id)
            .first()
        )
        if account is None:
            account = account_create(
                workspace=workspace,
                platform=Platform.YOUTUBE,
                handle=channel_id,
                display_name=title,
                credentials=credentials,
                business_unit=business_unit,
                brand=brand,
                options={"connected_by_oauth": True},
                by=by,
                request=request,
            )
            return oauth2.Connected(account=account, created=True)
        account = account_update(
            account=account,
            options={**(account.options or {}), "connected_by_oauth": True},
            credentials=credentials,
            by=by,
            request=request,
        )
        return oauth2.Connected(account=account, created=False)
