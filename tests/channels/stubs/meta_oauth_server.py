"""A stand-in for what "Connect Facebook & Instagram" talks to: Facebook's login dialog, and the
Graph API endpoints it calls, answering with the documented shapes kept in
tests/channels/fixtures/meta/oauth_*.json (each names its source): the code exchange and the
long-lived exchange (`/oauth/access_token`), `/me/accounts`, `/me/adaccounts`, `/me/businesses`,
`/{business}/owned_whatsapp_business_accounts` and `/{waba}/phone_numbers`. A wrong code, client
id, secret or redirect_uri is refused as Graph refuses it (an OAuthException, code 100); a wrong
token as an expired one (code 190).

The dialog (`/{version}/dialog/oauth`, where `dialog_url` points) is a page with a "Continue"
link that sends the browser back to the registered redirect_uri with `code` and the `state` it
was given, as Facebook's Manual Login Flow documents; an unknown app or an unregistered
redirect_uri gets an error page and no way back, as on Facebook.

Graph is one host: given `objects` (the Page, Instagram and WhatsApp stand-ins of the accounts it
lists), a call about any other object is handed to the stand-in that `owns()` it, so accounts
connected through the flow work against this one address."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.stub_server import Answer, Request, StubServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "meta"
VERSION = "v21.0"


def documented(name: str) -> dict[str, Any]:
    body = json.loads((FIXTURES / name).read_text())
    body.pop("_source", None)
    return body


class MetaOAuthServer(StubServer):
    name = "meta-oauth"

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        redirect_uri: str,
        code: str = "the-code",
        objects: Sequence[StubServer] = (),
    ) -> None:
        super().__init__()
        self.app_id, self.app_secret, self.redirect_uri, self.code = app_id, app_secret, redirect_uri, code
        self.objects = list(objects)
        self.dialog_url = f"{self.base_url}/{VERSION}/dialog/oauth"
        self.short_token = documented("oauth_access_token.json")["access_token"]
        self.long = documented("oauth_long_lived_token.json")
        v = f"/{VERSION}"
        self.route("GET", rf"{v}/dialog/oauth", self.dialog)
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

    def dialog(self, request: Request) -> Answer:
        q = {k: v[0] for k, v in request.query.items()}
        if q.get("client_id") != self.app_id or q.get("redirect_uri") != self.redirect_uri:
            return _page(
                400,
                "URL blocked",
                "This redirect failed because the redirect URI is not whitelisted in the app's "
                "Client OAuth Settings.",
            )
        back = f"{self.redirect_uri}?{urlencode({'code': self.code, 'state': q.get('state', '')})}"
        asked = ", ".join(q.get("scope", "").split(","))
        return _page(
            200,
            "Log in with Facebook",
            f"App {escape(self.app_id)} asks for: {escape(asked)}.",
            f'<a id="continue" href="{escape(back)}">Continue</a>',
        )

    def unrouted(self, request: Request) -> Answer:
        object_id = request.path.removeprefix(f"/{VERSION}/").split("/")[0]
        # A call a stand-in claims by its shape first (Instagram's conversations are asked of its
        # Page, whose own stand-in knows only Messenger's), then the one owning the object.
        claimed = [stub for stub in self.objects if getattr(stub, "claims", lambda r: False)(request)]
        for stub in claimed + [stub for stub in self.objects if stub.owns(object_id)]:
            stub.record(request)
            return stub.serve(request)
        status, body = self.refusal(
            100, f"Unsupported get request. Object with ID '{object_id}' does not exist"
        )
        return Answer(status, body)

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


def _page(status: int, title: str, text: str, action: str = "") -> Answer:
    # An empty icon, or the browser asks the stand-in for /favicon.ico and reports its refusal.
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        '<link rel="icon" href="data:,"></head>'
        f"<body><h1>{title}</h1><p>{text}</p>{action}</body></html>"
    )
    return Answer(status, html.encode(), {"Content-Type": "text/html; charset=utf-8"})
