"""With PostgreSQL or Redis away, pages and the API answer 503 with Retry-After (never 500),
/readyz names the missing part, what was accepted before stays, and workers resume after.

The outage is real: Django and the worker reach PostgreSQL and Redis through a loopback TCP
proxy that the test cuts (every open connection is dropped and new ones are refused)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from cxm.tenancy.models import Role
from tests.conftest import WorkerProcess
from tests.tcp_proxy import TcpProxy


def _items(prefix: str, count: int) -> list[dict]:
    return [
        {
            "platform": "mastodon",
            "external_id": f"{prefix}-{n}",
            "text": f"outage test mention {n}",
            "created_at": "2026-11-20T10:00:00Z",
            "author": {"handle": f"@fan{n}@example.social"},
        }
        for n in range(count)
    ]


@pytest.fixture
def database_proxy(transactional_db):
    """Point Django's connection at a proxy in front of the test database."""
    settings_dict = connection.settings_dict
    original = settings_dict["HOST"], settings_dict["PORT"]
    socket_path = str(Path(original[0]) / f".s.PGSQL.{original[1] or 5432}")
    proxy = TcpProxy(socket_path).start()
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", str(proxy.port)
    yield proxy
    proxy.close()
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = original


@pytest.fixture
def redis_proxy(settings):
    """Point the cache and the Redis checks at a proxy in front of the test Redis."""
    socket_path = settings.REDIS_CLIENT_URL.removeprefix("unix://").split("?")[0]
    proxy = TcpProxy(socket_path).start()
    yield proxy
    proxy.close()


def _proxied_redis(proxy):
    url = f"redis://127.0.0.1:{proxy.port}/0"
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    return override_settings(REDIS_CLIENT_URL=url, CACHES=caches)


def test_api_and_pages_answer_503_while_the_database_is_down(
    database_proxy, api, client, member, workspace_a
):
    admin = member(workspace_a, Role.ADMIN)
    client.force_login(admin.user)
    api_client = api(admin)
    assert api_client.get("/api/v1/brands/").status_code == 200

    database_proxy.cut()
    response = api_client.get("/api/v1/brands/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json()["code"] == "database_unavailable"
    assert "database" in response.json()["detail"]

    page = client.get("/")
    assert page.status_code == 503
    assert page["Retry-After"] == "30"
    assert "The database cannot be reached right now." in page.content.decode()

    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"]["ok"] is False
    assert "database unreachable" in ready.json()["checks"]["database"]["error"]

    database_proxy.restore()
    connection.close()  # the test client keeps the broken connection; a real request would not
    assert api_client.get("/api/v1/brands/").status_code == 200
    assert client.get("/").status_code == 200


def test_a_batch_accepted_before_the_database_outage_is_all_there_after(
    database_proxy, api, member, workspace_a
):
    api_client = api(member(workspace_a, Role.ADMIN))
    accepted = api_client.post("/api/v1/mentions/", {"items": _items("before", 40)}, format="json")
    assert accepted.status_code == 200
    assert accepted.json()["accepted"] == 40

    database_proxy.cut()
    refused = api_client.post("/api/v1/mentions/", {"items": _items("during", 10)}, format="json")
    assert refused.status_code == 503

    database_proxy.restore()
    connection.close()
    listed = api_client.get("/api/v1/mentions/", {"page_size": 100}).json()["results"]
    ids = {row["external_id"] for row in listed}
    assert {f"before-{n}" for n in range(40)} <= ids
    assert not any(external_id.startswith("during-") for external_id in ids)


def test_api_answers_503_and_readyz_names_redis_while_redis_is_down(
    redis_proxy, api, member, workspace_a, client
):
    api_client = api(member(workspace_a, Role.ADMIN))
    with _proxied_redis(redis_proxy):
        assert api_client.get("/api/v1/brands/").status_code == 200
        redis_proxy.cut()
        response = api_client.get("/api/v1/brands/")
        assert response.status_code == 503
        assert response.json()["code"] == "redis_unavailable"
        assert response["Retry-After"] == "30"

        ready = client.get("/readyz").json()
        assert ready["checks"]["redis"]["ok"] is False
        assert ready["checks"]["database"]["ok"] is True
        assert ready["checks"]["worker"]["ok"] is False

        redis_proxy.restore()
        assert api_client.get("/api/v1/brands/").status_code == 200


@pytest.mark.worker
def test_a_worker_resumes_within_30_seconds_after_redis_comes_back(
    redis_proxy, transactional_db, member, workspace_a
):
    from cxm.audit.models import AuditExport
    from cxm.audit.services import audit_export_request, audit_record
    from cxm.health import redis_client

    redis_client().flushdb()
    admin = member(workspace_a, Role.ADMIN)
    for n in range(20):
        audit_record(workspace=workspace_a, actor=admin.user, action="test.outage", object_repr=f"row {n}")
    worker = WorkerProcess(extra_env={"REDIS_URL": f"redis://127.0.0.1:{redis_proxy.port}/0"}).start()
    try:
        redis_proxy.cut()
        time.sleep(5)
        redis_proxy.restore()
        restored_at = time.monotonic()
        export = audit_export_request(workspace=workspace_a, by=admin.user)
        while AuditExport.objects.get(pk=export.pk).status != "done":
            assert time.monotonic() - restored_at < 30, "the worker did not resume within 30 s"
            time.sleep(0.2)
    finally:
        worker.stop()
