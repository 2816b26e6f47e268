"""The Celery app. Workers announce themselves in Redis, and on each queue they consume, so
/readyz can tell a live one and name a queue no worker consumes."""

from __future__ import annotations

import os
import socket
import time

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxm.settings")

app = Celery("cxm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def queue_heartbeat_key(queue: str) -> str:
    from django.conf import settings

    return f"{settings.CELERY_WORKER_HEARTBEAT_KEY}:{queue}"


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Writes `<time> <hostname>` to Redis every few seconds while the worker consumes: once for
    any worker, and once for each queue this worker consumes (all of them without -Q)."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        self.timer_entry = None

    def start(self, worker):
        from django.conf import settings

        self.key = settings.CELERY_WORKER_HEARTBEAT_KEY
        self.hostname = worker.hostname or socket.gethostname()
        self.queues = sorted(worker.app.amqp.queues.consume_from)
        self.beat()
        self.timer_entry = worker.timer.call_repeatedly(settings.CELERY_WORKER_HEARTBEAT_INTERVAL, self.beat)

    def stop(self, worker):
        if self.timer_entry is not None:
            self.timer_entry.cancel()

    def beat(self):
        # Deferred for weight: this module loads with the cxm package itself (cxm/__init__.py), in
        # the launcher and the watchdog too; cxm.health brings Django's request stack (about 1 s).
        from cxm.health import redis_client

        value = f"{time.time():.3f} {self.hostname}"
        with redis_client().pipeline(transaction=False) as pipe:
            pipe.set(self.key, value, ex=120)
            for queue in self.queues:
                pipe.set(queue_heartbeat_key(queue), value, ex=120)
            pipe.execute()


app.steps["worker"].add(WorkerHeartbeat)


def broker_countdown(seconds: float | None) -> float | None:
    """A countdown the broker can hold: at most CELERY_BROKER_COUNTDOWN_MAX, far below the
    visibility timeout after which Redis would deliver the message a second time. A task that
    wakes before its moment finds it not due and waits again; the moment itself is in the database."""
    from django.conf import settings

    if seconds is None:
        return None
    return max(0.0, min(float(seconds), settings.CELERY_BROKER_COUNTDOWN_MAX))
