"""Fixtures more than one app's tests use, loaded for the whole suite from tests/conftest.py: the
listening cache emptied around every test, the members of workspace A by role and their clients,
its first business unit, a key ring to rotate, and a webhook receiver that checks the Standard
Webhooks signature of what it is sent.

A test module may still define a fixture of the same name when it means something else there."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.fernet import Fernet

from cxm import encryption
from cxm.channels.signing import SignatureError, new_standard_secret, verify_standard
from cxm.tenancy.models import Role
from listening.ingest.context import forget_workspace_context
from tests.factories import BusinessUnitFactory
from tests.stub_server import Request, StubServer, serve_stub


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
class Delivery(Request):
    """A POST the receiver got, with what its signature check found."""

    verified: bool = False
    webhook_id: str = ""  # the webhook-id header, or why the signature was refused

    @property
    def body(self) -> Any:
        return self.json()


class Receiver(StubServer):
    """A webhook receiver on loopback that checks every signature, answering scripted statuses."""

    name = "receiver"
    request_class = Delivery
    requests: list[Delivery]

    def __init__(self) -> None:
        super().__init__()
        self.url = f"{self.base_url}/hooks/cxm"
        self.secret = new_standard_secret()
        self.statuses: list[int] = []
        self.route("POST", "/hooks/cxm", self._deliver)

    def _deliver(self, delivery: Delivery) -> tuple[int, bytes]:
        try:
            delivery.webhook_id = verify_standard(
                secrets=[self.secret], headers=delivery.headers, body=delivery.raw, now=time.time()
            )
            delivery.verified = True
        except SignatureError as exc:
            delivery.webhook_id = str(exc)
            return 401, b""
        with self._lock:
            return (self.statuses.pop(0) if self.statuses else 200), b""


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    # The receiver listens on loopback, which outbound webhooks refuse unless allowed.
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    yield from serve_stub(Receiver())
