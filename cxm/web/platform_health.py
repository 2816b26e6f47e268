"""The platform's health for its owner (a superuser): the database, Redis, the workers on each
queue and the read replica with its lag, as /readyz sees them, on a page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from cxm.health import platform_checks, replica_report

PARTS = {
    "database": gettext_lazy("Database (PostgreSQL primary)"),
    "redis": gettext_lazy("Message queue and cache (Redis)"),
    "worker": gettext_lazy("Workers on every queue (Celery)"),
}


@never_cache
@login_required
def platform_health(request):
    if not request.user.is_superuser:
        raise PermissionDenied
    checks = platform_checks()
    parts = [{"key": key, "label": label, "problem": checks[key]} for key, label in PARTS.items()]
    return render(request, "web/platform/health.html", {"parts": parts, "replica": replica_report()})
