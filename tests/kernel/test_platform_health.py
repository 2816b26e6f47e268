"""The platform owner's health page: each part and the read replica, in both languages; no one
else's. (With a real replica behind it: tests/kernel/test_replica_reads.py.)"""

from __future__ import annotations

import pytest
from django.conf import settings

from cxm.health import redis_client
from cxm.tenancy.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_owner_sees_each_part_and_that_no_replica_is_set(client):
    redis_client().delete(settings.CELERY_WORKER_HEARTBEAT_KEY)
    client.force_login(UserFactory(is_superuser=True))
    page = client.get("/platform/health/").content.decode()
    assert "<h1>Platform health</h1>" in page
    for part in ("database", "redis", "worker"):
        assert f'data-part="{part}"' in page
    assert "<code>no worker heartbeat seen</code>" in page
    assert "No read replica is set (DATABASE_REPLICA_URL): every read goes to the primary." in page


def test_the_page_speaks_indonesian(client):
    client.force_login(UserFactory(is_superuser=True))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    page = client.get("/platform/health/").content.decode()
    assert "<h1>Kesehatan platform</h1>" in page
    assert "Antrean pesan dan cache (Redis)" in page and "Replika baca" in page


def test_nobody_but_the_owner_may_look(client, workspace_a, member):
    client.force_login(member(workspace_a, Role.ADMIN).user)
    assert client.get("/platform/health/").status_code == 403
