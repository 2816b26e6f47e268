"""`make run-standins`: the platform as `make run` starts it, beside local stand-ins for the
platforms whose accounts are connected by signing in or with a token (Facebook Login, X, Google
for YouTube, a Telegram bot), so a person can walk each connect flow end to end without an app
registered with the platform or any network.

The stand-ins are the ones the contract and browser tests use, answering with the shapes of each
platform's documentation; here they listen on fixed loopback ports and the platform is pointed at
them through its settings (printed at start, with what to do for each). Accounts connected this
way keep working only while the stand-ins run: they are for trying the flows, not for real use.

    python -m tests.standins [--port 8000] [--graph-port 8790] [--x-port 8791]
                             [--youtube-port 8792] [--telegram-port 8793]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tests.channels.stubs.facebook_page_server import FacebookPageStub
from tests.channels.stubs.instagram_server import InstagramStub
from tests.channels.stubs.meta_oauth_server import MetaOAuthServer, documented
from tests.channels.stubs.telegram_server import TelegramStub
from tests.channels.stubs.telegram_server import fixture as telegram_fixture
from tests.channels.stubs.whatsapp_server import WhatsAppStub
from tests.channels.stubs.x_server import CLIENT_ID as X_CLIENT_ID
from tests.channels.stubs.x_server import CLIENT_SECRET as X_CLIENT_SECRET
from tests.channels.stubs.x_server import XStub
from tests.channels.stubs.youtube_server import CHANNEL_TITLE, CLIENT_SECRET, YouTubeStub
from tests.stub_server import StubServer

META_APP_ID = "1234567890"
META_APP_SECRET = "stand-in-app-secret"
# Who comments on the stand-in channel's video.
SARI = ("UCa1b2c3d4e5f6g7h8i9j0kL", "@sariwulan")


@dataclass
class StandIn:
    """A running stand-in: the settings that point the platform at it, and what a person does."""

    env: dict[str, str]
    steps: list[str] = field(default_factory=list)


def on_port(stub_class: type[StubServer], port: int) -> type[StubServer]:
    """The stand-in listening on `port` (0: any free one) rather than on a free port."""
    return type(f"StandIn{stub_class.__name__}", (stub_class,), {"port": port})


def callback(base_url: str, provider: str) -> str:
    return f"{base_url}/admin/accounts/connect/{provider}/callback/"


@contextlib.contextmanager
def meta_standin(*, base_url: str, port: int) -> Iterator[StandIn]:
    """Facebook's login dialog and Graph as one host on `port`: the Page, Instagram account and
    WhatsApp number the dialog lists answer with the tokens the flow hands their accounts."""
    page = documented("oauth_me_accounts.json")["data"][0]
    instagram = page["instagram_business_account"]
    waba = documented("oauth_owned_wabas.json")["data"][0]
    number = documented("oauth_phone_numbers.json")["data"][0]
    user_token = documented("oauth_long_lived_token.json")["access_token"]
    with (
        FacebookPageStub(token=page["access_token"], page_id=page["id"], name=page["name"]) as page_stub,
        InstagramStub(
            user_id=instagram["id"], username=instagram["username"], token=page["access_token"]
        ) as instagram_stub,
        WhatsAppStub(token=user_token, phone_number_id=number["id"], waba_id=waba["id"]) as whatsapp_stub,
        on_port(MetaOAuthServer, port)(
            app_id=META_APP_ID,
            app_secret=META_APP_SECRET,
            redirect_uri=f"{base_url}/admin/accounts/connect/meta/callback/",
            objects=[page_stub, instagram_stub, whatsapp_stub],
        ) as graph,
    ):
        whatsapp_stub.phone.update(
            verified_name=number["verified_name"], display_phone_number=number["display_phone_number"]
        )
        yield StandIn(
            env={
                "CXM_META_APP_ID": META_APP_ID,
                "CXM_META_APP_SECRET": META_APP_SECRET,
                "CXM_META_GRAPH_URL": graph.base_url,
                "CXM_META_DIALOG_URL": graph.dialog_url,
            },
            steps=[
                "Connect Facebook & Instagram: Admin → Accounts → Connect Facebook & Instagram; press "
                f"“Continue”, then tick {page['name']}, its Instagram account and the WhatsApp number."
            ],
        )


@contextlib.contextmanager
def x_standin(*, base_url: str, port: int) -> Iterator[StandIn]:
    """X's consent page, token endpoint and API v2 on `port`, signing in as @XDevelopers, with one
    post that mentions it waiting for the first sync."""
    with on_port(XStub, port)(
        redirect_uri=callback(base_url, "x"), client_id=X_CLIENT_ID, client_secret=X_CLIENT_SECRET
    ) as x:
        fan = x.add_user("sariwulan", "Sari Wulandari")
        x.add_post(f"@{x.me['username']} is the oat latte back this week?", author=fan)
        yield StandIn(
            env={
                "CXM_X_CLIENT_ID": X_CLIENT_ID,
                "CXM_X_CLIENT_SECRET": X_CLIENT_SECRET,
                "CXM_X_AUTHORIZE_URL": f"{x.base_url}/i/oauth2/authorize",
                "CXM_X_API_URL": x.base_url,
            },
            steps=[
                "Connect X: Admin → Accounts → Connect X; on X's page press “Authorize app”: "
                f"the account @{x.me['username']} is connected, and its first sync brings one mention."
            ],
        )


@contextlib.contextmanager
def youtube_standin(*, base_url: str, port: int) -> Iterator[StandIn]:
    """Google's consent page and token endpoint and the YouTube Data API on `port`, granting the
    channel Kopi Nusantara, with one comment on its videos waiting for the first sync."""
    with on_port(YouTubeStub, port)(redirect_uri=callback(base_url, "youtube")) as youtube:
        youtube.add_comment(
            "dQw4w9WgXcQ", "Kapan kopi susu gula aren hadir di Bandung?", at=datetime.now(UTC), author=SARI
        )
        yield StandIn(
            env={
                "CXM_YOUTUBE_CLIENT_ID": youtube.client_id,
                "CXM_YOUTUBE_CLIENT_SECRET": CLIENT_SECRET,
                "CXM_YOUTUBE_AUTHORIZE_URL": youtube.authorize_url,
                "CXM_YOUTUBE_TOKEN_URL": youtube.token_url,
                "CXM_YOUTUBE_API_URL": youtube.api_url,
            },
            steps=[
                "Connect YouTube: Admin → Accounts → Connect YouTube; on Google's page press “Allow”: "
                f"the channel {CHANNEL_TITLE} is connected, and its first sync brings one comment."
            ],
        )


@contextlib.contextmanager
def telegram_standin(*, port: int) -> Iterator[StandIn]:
    """The Bot API on `port` for one bot, with a customer's message waiting in its updates."""
    with on_port(TelegramStub, port)() as telegram:
        telegram.queue(telegram_fixture("update_private_text.json"))
        yield StandIn(
            env={"CXM_TELEGRAM_API_URL": telegram.base_url},
            steps=[
                "Telegram: Admin → Accounts → Connect an account → platform Telegram, handle "
                f"@{telegram.bot['username']}, bot token {telegram.token} in “Access token or "
                "password”. The bot polls for updates, and the first brings a customer's message."
            ],
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--graph-port", type=int, default=8790)
    parser.add_argument("--x-port", type=int, default=8791)
    parser.add_argument("--youtube-port", type=int, default=8792)
    parser.add_argument("--telegram-port", type=int, default=8793)
    args = parser.parse_args(argv)
    base_url = f"http://127.0.0.1:{args.port}"
    with contextlib.ExitStack() as running:
        stand_ins = [
            running.enter_context(meta_standin(base_url=base_url, port=args.graph_port)),
            running.enter_context(x_standin(base_url=base_url, port=args.x_port)),
            running.enter_context(youtube_standin(base_url=base_url, port=args.youtube_port)),
            running.enter_context(telegram_standin(port=args.telegram_port)),
        ]
        settings = {name: value for stand_in in stand_ins for name, value in stand_in.env.items()}
        env = {
            **os.environ,
            **settings,
            "PORT": str(args.port),
            "CXM_BASE_URL": base_url,
            # The stand-ins listen on 127.0.0.1, which accounts may not call otherwise.
            "CXM_WEBHOOK_ALLOW_PRIVATE": "1",
        }
        print("Stand-ins running; the platform is started with:", flush=True)
        for name, value in settings.items():
            print(f"  {name}={value}", flush=True)
        print(f"Then, signed in as an admin at {base_url}:", flush=True)
        for stand_in in stand_ins:
            for step in stand_in.steps:
                print(f"  - {step}", flush=True)
        run = subprocess.Popen([sys.executable, "-m", "cxm", "run"], env=env)
        # Stopping this process by its pid stops the platform too, then the stand-ins. Ctrl-C in a
        # terminal reaches both; `cxm run` ignores every signal after its first.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda signum, frame: run.send_signal(signum))
        return run.wait()


if __name__ == "__main__":
    sys.exit(main())
