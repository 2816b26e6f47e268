"""Each concern's tasks go to a queue of their own, and every way of running workers (`cxm run`,
`cxm worker`, docker-compose.yml) leaves no queue without one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from cxm.celery import app
from cxm.conf import QUEUES, queue_groups

ROOT = Path(__file__).resolve().parents[2]

# The concern each module's tasks belong to; alert detection and delivery are alerts' wherever
# they live.
CONCERNS = {
    "channels": "ingest",
    "listening": "ingest",
    "publishing": "publish",
    "care": "care",
    "ads": "ads",
    "transformation": "transformation",
    "audit": "default",
    "privacy": "default",
}


def _queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def _our_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def test_every_task_goes_to_the_queue_of_its_concern():
    tasks = _our_tasks()
    assert len(tasks) > 30
    for name in tasks:
        module = name.split(".", 1)[0]
        expected = "alerts" if "alert" in name else CONCERNS[module]
        assert _queue_of(name) == expected, name


def test_only_the_kernels_own_work_lands_on_the_default_queue():
    on_default = {name for name in _our_tasks() if _queue_of(name) == "default"}
    assert on_default == {
        "audit.export_run",
        "privacy.request_run",
        "privacy.requests_resume",
        "privacy.retention_purge",
    }


def test_a_worker_given_no_queues_consumes_every_queue():
    assert list(app.amqp.queues) == list(settings.CXM_QUEUES) == list(QUEUES)


def test_worker_groups_name_every_queue_once_or_refuse():
    assert queue_groups("") == [list(QUEUES)]
    assert queue_groups("ingest publish care,ads,alerts,transformation,default") == [
        ["ingest"],
        ["publish"],
        ["care", "ads", "alerts", "transformation", "default"],
    ]
    with pytest.raises(ImproperlyConfigured, match="no worker would consume ads, alerts"):
        queue_groups("ingest publish care,transformation,default")
    with pytest.raises(ImproperlyConfigured, match="unknown queue mail"):
        queue_groups("mail ingest,publish,care,ads,alerts,transformation,default")


def test_cxm_worker_refuses_a_queue_that_does_not_exist():
    result = subprocess.run(
        [sys.executable, "-m", "cxm", "worker", "--queues", "ingest,mail"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "unknown queue mail" in result.stderr


def test_the_compose_workers_together_consume_every_queue():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    consumed = []
    for service in services.values():
        command = service.get("command") or []
        if command[:4] == ["celery", "-A", "cxm", "worker"]:
            consumed += command[command.index("--queues") + 1].split(",")
    assert sorted(consumed) == sorted(QUEUES)
