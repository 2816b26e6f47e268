"""`make run-standins`: the platform as `make run` starts it, beside local stand-ins for the
platforms whose accounts are connected by signing in (Facebook Login today), so a person can walk
a connect flow end to end without an app registered with the platform or any network.

The stand-ins are the ones the contract and browser tests use, answering with the shapes of each
platform's documentation; here they listen on fixed loopback ports and the platform is pointed at
them through its settings (printed at start). Accounts connected this way keep working only while
the stand-ins run: they are for trying the flows, not for real use.

    python -m tests.standins [--port 8000] [--graph-port 8790]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

from tests.channels.stubs.facebook_page_server import FacebookPageStub
from tests.channels.stubs.instagram_server import InstagramStub
from tests.channels.stubs.meta_oauth_server import MetaOAuthServer, documented
from tests.channels.stubs.whatsapp_server import WhatsAppStub

META_APP_ID = "1234567890"
META_APP_SECRET = "stand-in-app-secret"


@contextlib.contextmanager
def meta_standin(*, base_url: str, port: int) -> Iterator[dict[str, str]]:
    """Facebook's login dialog and Graph as one host on `port`: the Page, Instagram account and
    WhatsApp number the dialog lists answer with the tokens the flow hands their accounts."""
    page = documented("oauth_me_accounts.json")["data"][0]
    instagram = page["instagram_business_account"]
    waba = documented("oauth_owned_wabas.json")["data"][0]
    number = documented("oauth_phone_numbers.json")["data"][0]
    user_token = documented("oauth_long_lived_token.json")["access_token"]
    graph_class = type("StandInGraph", (MetaOAuthServer,), {"port": port})
    with (
        FacebookPageStub(token=page["access_token"], page_id=page["id"], name=page["name"]) as page_stub,
        InstagramStub(
            user_id=instagram["id"], username=instagram["username"], token=page["access_token"]
        ) as instagram_stub,
        WhatsAppStub(token=user_token, phone_number_id=number["id"], waba_id=waba["id"]) as whatsapp_stub,
        graph_class(
            app_id=META_APP_ID,
            app_secret=META_APP_SECRET,
            redirect_uri=f"{base_url}/admin/accounts/connect/meta/callback/",
            objects=[page_stub, instagram_stub, whatsapp_stub],
        ) as graph,
    ):
        whatsapp_stub.phone.update(
            verified_name=number["verified_name"], display_phone_number=number["display_phone_number"]
        )
        yield {
            "CXM_META_APP_ID": META_APP_ID,
            "CXM_META_APP_SECRET": META_APP_SECRET,
            "CXM_META_GRAPH_URL": graph.base_url,
            "CXM_META_DIALOG_URL": graph.dialog_url,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--graph-port", type=int, default=8790)
    args = parser.parse_args(argv)
    base_url = f"http://127.0.0.1:{args.port}"
    with meta_standin(base_url=base_url, port=args.graph_port) as meta_env:
        env = {
            **os.environ,
            **meta_env,
            "PORT": str(args.port),
            "CXM_BASE_URL": base_url,
            # The stand-ins listen on 127.0.0.1, which accounts may not call otherwise.
            "CXM_WEBHOOK_ALLOW_PRIVATE": "1",
        }
        print("Stand-ins running; the platform is started with:", flush=True)
        for name, value in meta_env.items():
            print(f"  {name}={value}", flush=True)
        run = subprocess.Popen([sys.executable, "-m", "cxm", "run"], env=env)
        try:
            return run.wait()
        except KeyboardInterrupt:
            return run.wait()


if __name__ == "__main__":
    sys.exit(main())
