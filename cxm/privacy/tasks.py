"""Celery tasks: each takes ids, calls one service, and is safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from cxm.privacy import selectors, services

PENDING_GRACE = timedelta(minutes=10)


@shared_task(name="privacy.request_run", acks_late=True)
def request_run(*, workspace_id: int, request_id: int) -> str:
    result = services.request_run(workspace_id=workspace_id, request_id=request_id)
    return "skipped" if result is None else result.status


@shared_task(name="privacy.retention_purge")
def retention_purge() -> dict:
    return {str(ws): counts for ws, counts in services.retention_purge().items()}


@shared_task(name="privacy.requests_resume")
def requests_resume() -> int:
    """Queue again the requests whose task was lost or whose worker died; the lease keeps a
    request that is in fact still running from being run twice."""
    stalled = selectors.requests_stalled(now=timezone.now(), pending_for=PENDING_GRACE)
    for workspace_id, request_id in stalled:
        request_run.delay(workspace_id=workspace_id, request_id=request_id)
    return len(stalled)
