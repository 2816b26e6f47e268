import time

import pytest
from django.test import override_settings

from cxm.health import _client_for


def test_healthz_answers_while_the_process_lives(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_503_and_names_the_missing_worker(client):
    from django.conf import settings

    from cxm.health import redis_client

    redis_client().delete(settings.CELERY_WORKER_HEARTBEAT_KEY)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis"] == {"ok": True}
    assert body["checks"]["worker"] == {"ok": False, "error": "no worker heartbeat seen"}


def _heartbeat(age: float, queues=None) -> None:
    """What a worker consuming `queues` (default: all) writes, `age` seconds ago."""
    from django.conf import settings

    from cxm.celery import queue_heartbeat_key
    from cxm.health import redis_client

    value = f"{time.time() - age} worker@test"
    redis = redis_client()
    redis.delete(*(queue_heartbeat_key(queue) for queue in settings.CXM_QUEUES))
    redis.set(settings.CELERY_WORKER_HEARTBEAT_KEY, value)
    for queue in settings.CXM_QUEUES if queues is None else queues:
        redis.set(queue_heartbeat_key(queue), value)


@pytest.mark.django_db
def test_readyz_is_200_with_a_fresh_heartbeat_and_503_with_a_stale_one(client):
    _heartbeat(age=0)
    assert client.get("/readyz").status_code == 200
    _heartbeat(age=90)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["error"].startswith("last worker heartbeat 90s ago")


@pytest.mark.django_db
def test_readyz_names_the_queues_no_worker_consumes(client):
    _heartbeat(age=0, queues=["ingest", "publish", "care", "transformation", "default"])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == {
        "ok": False,
        "error": "queues without a worker: ads, alerts",
    }


@pytest.mark.django_db
def test_readyz_says_when_redis_is_down(client, tmp_path):
    _client_for.cache_clear()
    with override_settings(REDIS_CLIENT_URL=f"unix://{tmp_path}/nothing.sock"):
        response = client.get("/readyz")
    _client_for.cache_clear()
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"]["ok"] is False
    assert checks["redis"]["error"].startswith("redis unreachable")
    assert checks["database"] == {"ok": True}


@pytest.mark.django_db
def test_readyz_says_when_no_read_replica_is_set(client):
    assert client.get("/readyz").json()["replica"] == {"configured": False}
