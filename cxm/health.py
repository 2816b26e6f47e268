"""Liveness and readiness: which of database, Redis and the Celery workers can be reached; and
the middleware that answers 503 (never 500) while the database or Redis is away."""

from __future__ import annotations

import logging
import sys
import time
from functools import lru_cache

import redis
from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from kombu.exceptions import OperationalError as BrokerOperationalError

from cxm.celery import queue_heartbeat_key
from cxm.replica import replica_state
from cxm.transactions import is_transient_conflict

logger = logging.getLogger(__name__)

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
        unserved = queues_without_worker()
    except Exception:
        return "worker heartbeat unknown: redis unreachable"
    if raw is None:
        return "no worker heartbeat seen"
    seen_at, _, hostname = raw.decode().partition(" ")
    age = time.time() - float(seen_at)
    if age > HEARTBEAT_MAX_AGE:
        return f"last worker heartbeat {age:.0f}s ago ({hostname})"
    if unserved:
        return f"queues without a worker: {', '.join(unserved)}"
    return None


def queues_without_worker() -> list[str]:
    """The queues no worker has announced itself on within HEARTBEAT_MAX_AGE: their work waits."""
    queues = settings.CXM_QUEUES
    beats = redis_client().mget([queue_heartbeat_key(queue) for queue in queues])
    now = time.time()
    return [
        queue
        for queue, raw in zip(queues, beats, strict=True)
        if raw is None or now - float(raw.decode().partition(" ")[0]) > HEARTBEAT_MAX_AGE
    ]


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


def platform_checks() -> dict[str, str | None]:
    """Each part this process needs, and what is wrong with it (None: nothing)."""
    return {"database": check_database(), "redis": check_redis(), "worker": check_worker()}


def replica_report() -> dict:
    """The read replica as /readyz shows it. Not a check: without it the primary serves the reads."""
    try:
        return replica_state(fresh=True).as_json()
    except DATABASE_ERRORS as exc:  # the primary's WAL position could not be read
        return {
            "configured": True,
            "reachable": False,
            "error": f"database unreachable: {exc.__class__.__name__}",
        }


@never_cache
def readyz(request):
    checks = platform_checks()
    ready = all(problem is None for problem in checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {
            name: {"ok": problem is None, **({"error": problem} if problem else {})}
            for name, problem in checks.items()
        },
        "replica": replica_report(),
    }
    return JsonResponse(body, status=200 if ready else 503)


RETRY_AFTER_SECONDS = 30
DATABASE_ERRORS = (OperationalError, InterfaceError)
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, BrokerOperationalError)


def outage_part(exc: BaseException | None) -> str | None:
    """'database' or 'redis' when `exc` says that part cannot be reached, else None."""
    if is_transient_conflict(exc):
        return None  # a deadlock or serialization failure: the database answered, see cxm.transactions
    if isinstance(exc, DATABASE_ERRORS):
        return "database"
    if isinstance(exc, REDIS_ERRORS):
        return "redis"
    return None


def outage_response(request, part: str) -> HttpResponse:
    if part == "database":
        message = _("The database cannot be reached right now.")
    else:
        message = _("The message queue and cache (Redis) cannot be reached right now.")
    if request.path.startswith("/api/"):
        response = JsonResponse({"status": 503, "code": f"{part}_unavailable", "detail": message}, status=503)
    else:
        html = render_to_string("503.html", {"message": message, "retry_after": RETRY_AFTER_SECONDS})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _remember_outage(sender, request=None, **kwargs):
    # Django turns an exception raised inside any middleware into a 500 response before the
    # outer middleware sees it; this receiver runs while the exception is being handled.
    part = outage_part(sys.exc_info()[1])
    if request is not None and part:
        request.outage_part = part


got_request_exception.connect(_remember_outage, dispatch_uid="cxm.health.outage")


class OutageMiddleware:
    """Outermost: while the database or Redis is unreachable, pages and the API answer 503 with
    Retry-After and say which part is away, instead of a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        part = getattr(request, "outage_part", None)
        if part and response.status_code == 500:
            return outage_response(request, part)
        return response

    def process_exception(self, request, exception):
        part = outage_part(exception)
        if part is None:
            return None
        logger.warning("%s unreachable while answering %s: %s", part, request.path, exception)
        return outage_response(request, part)
