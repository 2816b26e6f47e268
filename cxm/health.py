"""Liveness and readiness: which of database, Redis and the Celery workers can be reached."""

from __future__ import annotations

import time
from functools import lru_cache

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

HEARTBEAT_MAX_AGE = 60


@lru_cache(maxsize=4)
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def redis_client() -> redis.Redis:
    return _client_for(settings.REDIS_CLIENT_URL)


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return f"database unreachable: {exc.__class__.__name__}"
    return None


def check_redis() -> str | None:
    try:
        redis_client().ping()
    except Exception as exc:
        return f"redis unreachable: {exc.__class__.__name__}"
    return None


def check_worker() -> str | None:
    try:
        raw = redis_client().get(settings.CELERY_WORKER_HEARTBEAT_KEY)
    except Exception:
        return "worker heartbeat unknown: redis unreachable"
    if raw is None:
        return "no worker heartbeat seen"
    seen_at, _, hostname = raw.decode().partition(" ")
    age = time.time() - float(seen_at)
    if age > HEARTBEAT_MAX_AGE:
        return f"last worker heartbeat {age:.0f}s ago ({hostname})"
    return None


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    checks = {"database": check_database(), "redis": check_redis(), "worker": check_worker()}
    ready = all(problem is None for problem in checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {
            name: {"ok": problem is None, **({"error": problem} if problem else {})}
            for name, problem in checks.items()
        },
    }
    return JsonResponse(body, status=200 if ready else 503)
