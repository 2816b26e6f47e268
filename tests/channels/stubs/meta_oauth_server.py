"""A stand-in for the Graph API endpoints "Connect Facebook & Instagram" calls, answering with the
documented shapes kept in tests/channels/fixtures/meta/oauth_*.json (each names its source):
the code exchange and the long-lived exchange (`/oauth/access_token`), `/me/accounts`,
`/me/adaccounts`, `/me/businesses`, `/{business}/owned_whatsapp_business_accounts` and
`/{waba}/phone_numbers`. A wrong code, client id, secret or redirect_uri is refused as Graph
refuses it (an OAuthException, code 100); a wrong token as an expired one (code 190)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.stub_server import Request, StubServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "meta"
VERSION = "v21.0"


def documented(name: str) -> dict[str, Any]:
    body = json.loads((FIXTURES / name).read_text())
    body.pop("_source", None)
    return body


class MetaOAuthServer(StubServer):
    name = "meta-oauth"

    def __init__(self, *, app_id: str, app_secret: str, redirect_uri: str, code: str = "the-code") -> None:
        super().__init__()
        self.app_id, self.app_secret, self.redirect_uri, self.code = app_id, app_secret, redirect_uri, code
        self.short_token = documented("oauth_access_token.json")["access_token"]
        self.long = documented("oauth_long_lived_token.json")
        v = f"/{VERSION}"
        self.route("GET", rf"{v}/oauth/access_token", self.access_token)
        self.route("GET", rf"{v}/me/accounts", self.user_only(lambda r: documented("oauth_me_accounts.json")))
        self.route(
            "GET", rf"{v}/me/adaccounts", self.user_only(lambda r: documented("oauth_me_adaccounts.json"))
        )
        self.route(
            "GET", rf"{v}/me/businesses", self.user_only(lambda r: documented("oauth_me_businesses.json"))
        )
        self.route(
            "GET",
            rf"{v}/(\d+)/owned_whatsapp_business_accounts",
            self.user_only(lambda r, business: documented("oauth_owned_wabas.json")),
        )
        self.route(
            "GET",
            rf"{v}/(\d+)/phone_numbers",
            self.user_only(lambda r, waba: documented("oauth_phone_numbers.json")),
        )

    @staticmethod
    def refusal(code: int, message: str) -> tuple[int, dict]:
        status = 400
        return status, {
            "error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A1"}
        }

    def access_token(self, request: Request):
        q = {k: v[0] for k, v in request.query.items()}
        if q.get("client_id") != self.app_id or q.get("client_secret") != self.app_secret:
            return self.refusal(100, "Error validating client secret.")
        if q.get("grant_type") == "fb_exchange_token":
            if q.get("fb_exchange_token") != self.short_token:
                return self.refusal(190, "Invalid OAuth access token.")
            return 200, self.long
        if q.get("redirect_uri") != self.redirect_uri or q.get("code") != self.code:
            return self.refusal(100, "Error validating verification code.")
        return 200, documented("oauth_access_token.json")

    def user_only(self, answer):
        def handler(request: Request, *args):
            if request.header("Authorization") != f"Bearer {self.long['access_token']}":
                return self.refusal(190, "Invalid OAuth access token.")
            return 200, answer(request, *args)

        return handler
