"""The Celery app. Workers announce themselves in Redis so /readyz can tell a live one."""

from __future__ import annotations

import os
import socket
import time

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxm.settings")

app = Celery("cxm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Writes `<time> <hostname>` to Redis every few seconds while the worker consumes."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        self.timer_entry = None

    def start(self, worker):
        from django.conf import settings

        self.key = settings.CELERY_WORKER_HEARTBEAT_KEY
        self.hostname = worker.hostname or socket.gethostname()
        self.beat()
        self.timer_entry = worker.timer.call_repeatedly(settings.CELERY_WORKER_HEARTBEAT_INTERVAL, self.beat)

    def stop(self, worker):
        if self.timer_entry is not None:
            self.timer_entry.cancel()

    def beat(self):
        # Deferred for weight: this module loads with the cxm package itself (cxm/__init__.py), in
        # the launcher and the watchdog too; cxm.health brings Django's request stack (about 1 s).
        from cxm.health import redis_client

        redis_client().set(self.key, f"{time.time():.3f} {self.hostname}", ex=120)


app.steps["worker"].add(WorkerHeartbeat)


def broker_countdown(seconds: float | None) -> float | None:
    """A countdown the broker can hold: at most CELERY_BROKER_COUNTDOWN_MAX, far below the
    visibility timeout after which Redis would deliver the message a second time. A task that
    wakes before its moment finds it not due and waits again; the moment itself is in the database."""
    from django.conf import settings

    if seconds is None:
        return None
    return max(0.0, min(float(seconds), settings.CELERY_BROKER_COUNTDOWN_MAX))
