"""What the YouTube tests share: the stand-in for one test, a clock the tests move, and a
connector for the stand-in's channel."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from cxm.channels.connectors.base import AccountConfig
from cxm.channels.connectors.google_token import forget_access_tokens
from cxm.channels.connectors.youtube import YouTubeConnector
from cxm.channels.connectors.youtube_quota import PACIFIC
from cxm.channels.models import ChannelAccount
from cxm.channels.topics import TopicSearch
from tests.channels.stubs.youtube_server import CHANNEL_ID, CLIENT_SECRET, REFRESH_TOKEN, YouTubeStub

# Noon in California: twelve hours of the quota day are left.
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=PACIFIC).astimezone(UTC)
ANA = ("UCa1b2c3d4e5f6g7h8i9j0kL", "@anaputri")
BUDI = ("UCz9y8x7w6v5u4t3s2r1q0pO", "@budisantoso")
REVIEWER = ("UCrDkAvwZum-UTjHmzDI2iIw", "Coffee Reviews")
OAT = TopicSearch(
    topic_id=1, name="Oat latte", all_of=(("oat latte",), ("coffee", "kopi")), none_of=("recipe",)
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def serve_youtube(settings):
    """For a fixture: the stand-in, with the settings pointing at it. Each test gets its own
    Google project (client id), so their counts in Redis never meet."""
    with YouTubeStub(client_id=f"{uuid.uuid4().hex}.apps.googleusercontent.com") as stub:
        settings.CXM_YOUTUBE_API_URL = stub.api_url
        settings.CXM_YOUTUBE_TOKEN_URL = stub.token_url
        forget_access_tokens()
        yield stub
    forget_access_tokens()


def youtube_sign_in(settings, stub, *, base_url: str = "https://cxm.example") -> None:
    """Point "Connect YouTube" at the stand-in: its consent page, and its OAuth client as ours."""
    settings.CXM_BASE_URL = base_url
    settings.CXM_YOUTUBE_CLIENT_ID = stub.client_id
    settings.CXM_YOUTUBE_CLIENT_SECRET = CLIENT_SECRET
    settings.CXM_YOUTUBE_AUTHORIZE_URL = stub.authorize_url
    stub.redirect_uri = f"{base_url}/admin/accounts/connect/youtube/callback/"


def connect(stub, clock, *, topics=(), account_id=1, base_url="", private=True) -> YouTubeConnector:
    config = AccountConfig(
        platform="youtube",
        handle=CHANNEL_ID,
        base_url=base_url,
        credentials={
            "client_id": stub.client_id,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
        },
        account_id=account_id,
        allow_private_targets=private,
        topics=tuple(topics),
    )
    return YouTubeConnector(config, clock=clock)


def poll_all(connector, cursor):
    """Fetch pages the way the sync does, until nothing more waits."""
    items = []
    while True:
        page = connector.fetch(cursor)
        items += page.items
        cursor = page.cursor
        if not page.more:
            return items, cursor


def youtube_account(workspace, stub):
    """The stand-in's channel connected in `workspace` (calling Google's address, which the
    settings point at the stand-in, so no typed address needs allowing)."""
    return ChannelAccount.objects.create(
        workspace=workspace,
        platform="youtube",
        handle=CHANNEL_ID,
        display_name="Kopi Nusantara",
        credentials={
            "client_id": stub.client_id,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
        },
    )
