"""What the X tests share: the stand-in of X with the settings pointed at it, and an X account as
"Connect X" leaves it, its tokens issued by the stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.utils import timezone

from cxm.channels.models import ChannelAccount
from tests.channels.stubs.x_server import CLIENT_ID, CLIENT_SECRET, XStub

BASE_URL = "https://cxm.example"
REDIRECT_URI = f"{BASE_URL}/admin/accounts/connect/x/callback/"


@contextmanager
def x_stand_in(settings, *, base_url: str = BASE_URL) -> Iterator[XStub]:
    """The stand-in, running, with "Connect X" and the connector pointed at it."""
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stand-in listens on 127.0.0.1
    settings.CXM_BASE_URL = base_url
    settings.CXM_X_CLIENT_ID = CLIENT_ID
    settings.CXM_X_CLIENT_SECRET = CLIENT_SECRET
    with XStub(redirect_uri=f"{base_url}/admin/accounts/connect/x/callback/") as stub:
        settings.CXM_X_API_URL = stub.base_url
        settings.CXM_X_AUTHORIZE_URL = f"{stub.base_url}/i/oauth2/authorize"
        yield stub


def connected(workspace, x: XStub, *, expires_in=timedelta(hours=2), business_unit=None, **options):
    access, refresh = x.grant_tokens()
    return ChannelAccount.objects.create(
        workspace=workspace,
        platform="x",
        handle="@XDevelopers",
        base_url=x.base_url,
        business_unit=business_unit,
        options={"user_id": x.me["id"], **options},
        credentials={
            "oauth2_provider": "x",
            "access_token": access,
            "refresh_token": refresh,
            "expires_at": (timezone.now() + expires_in).isoformat(),
        },
    )
