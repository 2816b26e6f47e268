"""What the website chat's tests share: a brand's widget, and a visitor's browser calling the
widget's endpoints from a page of the brand's site (its Origin, its token)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from django.test import Client

from cxm.channels.webchat.services import widget_create
from tests.factories import BrandFactory

SHOP = "https://shop.kopi.example"


def make_widget(workspace, *, origins=(SHOP,), brand=None):
    brand = brand or BrandFactory(workspace=workspace, name=f"Kopi {workspace.pk}")
    return widget_create(workspace=workspace, brand=brand, allowed_origins=list(origins))


@dataclass
class Visitor:
    """A visitor's page: every call carries the page's origin and, once started, the token.
    Each visitor comes from an address of their own, so rate limits of other tests never meet it."""

    key: str
    origin: str = SHOP
    token: str = ""
    ip: str = field(default_factory=lambda: f"198.51.100.{uuid.uuid4().int % 250 + 1}")
    client: Client = field(default_factory=Client)

    def _headers(self, headers: dict) -> dict:
        sent = {"HTTP_ORIGIN": self.origin, "REMOTE_ADDR": self.ip}
        if self.token:
            sent["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        return {**sent, **headers}

    def get(self, path: str, **headers):
        return self.client.get(f"/webchat/v1/{self.key}/{path}", **self._headers(headers))

    def post(
        self, path: str, body=None, *, raw: bytes | None = None, content_type="application/json", **headers
    ):
        data = raw if raw is not None else json.dumps(body or {})
        return self.client.post(
            f"/webchat/v1/{self.key}/{path}", data=data, content_type=content_type, **self._headers(headers)
        )

    def start(self, **fields):
        answer = self.post("visitors", {"page": f"{self.origin}/products", **fields})
        assert answer.status_code == 201, answer.json()
        self.token = answer.json()["token"]
        return answer.json()

    def write(self, text: str):
        answer = self.post("messages", {"text": text})
        assert answer.status_code == 201, answer.json()
        return answer.json()

    def read(self, after: int = 0) -> dict:
        answer = self.get(f"messages?after={after}")
        assert answer.status_code == 200, answer.json()
        return answer.json()
