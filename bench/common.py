"""Shared set-up for the benchmarks: their own embedded servers (under var/bench) unless
DATABASE_URL / REDIS_URL are set, migrations, and a fresh workspace per run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(data_dir: str = "bench"):
    """Start (or reuse) servers, migrate, and set up Django in this process."""
    from cxm.conf import data_dir as default_data_dir
    from cxm.embedded import prepare_environment

    folder = Path(os.environ.get("CXM_BENCH_DATA_DIR") or default_data_dir() / data_dir)
    services = prepare_environment(folder)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxm.settings")
    subprocess.run(
        [sys.executable, "-m", "cxm", "manage", "migrate", "--no-input", "-v", "0"], check=True, cwd=ROOT
    )
    import django

    django.setup()
    return services


def fresh_workspace(name: str):
    from cxm.tenancy.models import Workspace
    from cxm.tenancy.services import workspace_create

    workspace = workspace_create(name=f"{name} {int(time.time())}")
    # The benchmarks' platforms are stub servers on 127.0.0.1: this workspace's connectors may
    # call them, as an admin can allow for a workspace whose servers are internal.
    Workspace.objects.filter(pk=workspace.pk).update(allow_private_webhook_targets=True)
    workspace.allow_private_webhook_targets = True
    return workspace


@contextmanager
def timer():
    started = time.perf_counter()
    box = {}
    yield box
    box["seconds"] = time.perf_counter() - started


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)
