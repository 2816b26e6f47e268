"""Real Celery worker processes for the benchmarks that go through the queue."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.common import ROOT


class Workers:
    """Real `celery worker` processes on the benchmark's database and Redis."""

    def __init__(self, *, processes: int = 1, concurrency: int = 4):
        self.processes = processes
        self.concurrency = concurrency
        self.children: list[subprocess.Popen] = []

    def __enter__(self) -> Workers:
        from django.conf import settings

        from cxm.health import redis_client

        redis = redis_client()
        redis.delete(settings.CELERY_WORKER_HEARTBEAT_KEY)
        for n in range(self.processes):
            self.children.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "cxm",
                        "worker",
                        "--loglevel",
                        "WARNING",
                        "--concurrency",
                        str(self.concurrency),
                        "--without-gossip",
                        "--without-mingle",
                        "--hostname",
                        f"bench{n}-{os.getpid()}@%h",
                    ],
                    cwd=ROOT,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 60
        while redis.get(settings.CELERY_WORKER_HEARTBEAT_KEY) is None:
            if time.monotonic() > deadline:
                raise RuntimeError("the Celery workers did not start within 60 s")
            time.sleep(0.1)
        time.sleep(1)  # let every pool child connect before the clock starts
        return self

    def __exit__(self, *exc) -> None:
        import signal

        from cxm.health import redis_client

        redis_client().flushdb()  # tasks still queued belong to this run only
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)  # warm shutdown: finish the task in hand
        for child in self.children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
