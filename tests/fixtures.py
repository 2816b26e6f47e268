"""Fixtures more than one app's tests use, loaded for the whole suite from tests/conftest.py: the
members of workspace A by role and their clients, its first business unit, a key ring to rotate,
and a webhook receiver that checks the Standard Webhooks signature of what it is sent.

A test module may still define a fixture of the same name when it means something else there."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.fernet import Fernet

from cxm import encryption
from cxm.channels.signing import SignatureError, new_standard_secret, verify_standard
from cxm.tenancy.models import Role
from listening.ingest import forget_workspace_context
from tests.factories import BusinessUnitFactory


@pytest.fixture(autouse=True)
def _fresh_listening_context():
    """Topics and dictionaries are cached per workspace for a few seconds; every test starts clean,
    whichever app's code ingests the mentions (listening itself, ad comments, care intake)."""
    forget_workspace_context()
    yield
    forget_workspace_context()


@pytest.fixture
def admin(workspace_a, member):
    return member(workspace_a, Role.ADMIN)


@pytest.fixture
def marketer(workspace_a, member):
    return member(workspace_a, Role.MARKETER)


@pytest.fixture
def approver(workspace_a, member):
    return member(workspace_a, Role.APPROVER)


@pytest.fixture
def admin_client(client, admin):
    """The test client signed in as workspace A's admin (not pytest-django's superuser)."""
    client.force_login(admin.user)
    return client


@pytest.fixture
def admin_api(api, admin):
    """An API client with a token of workspace A's admin."""
    return api(admin)


@pytest.fixture
def unit(workspace_a):
    return BusinessUnitFactory(workspace=workspace_a, name="Beverages")


@pytest.fixture
def keys(monkeypatch):
    """Two fresh Fernet keys, "old" active; keys["use"](*active) switches the ring."""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()

    def use(*active):
        monkeypatch.setenv("CXM_SECRET_KEYS", ",".join(active))
        encryption.reset_keyring()

    use(old)
    yield {"old": old, "new": new, "use": use}
    encryption.reset_keyring()


@dataclass
class Receiver:
    """A webhook receiver on loopback that checks every signature, answering scripted statuses."""

    url: str = ""
    secret: str = field(default_factory=new_standard_secret)
    statuses: list[int] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        try:
            msg_id = verify_standard(secrets=[self.secret], headers=headers, body=body, now=time.time())
            verified = True
        except SignatureError as exc:
            msg_id, verified = str(exc), False
        self.requests.append(
            {"headers": headers, "body": json.loads(body), "id": msg_id, "verified": verified}
        )
        if not verified:
            return 401
        return self.statuses.pop(0) if self.statuses else 200


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    # The receiver listens on loopback, which outbound webhooks refuse unless allowed.
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = state.handle(dict(self.headers.items()), body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/cxm"
    yield state
    server.shutdown()
    server.server_close()
