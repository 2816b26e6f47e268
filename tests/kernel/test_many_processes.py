"""The platform spread over processes as over machines: two web servers (`cxm web`) and three
Celery workers (`cxm worker -Q ...`), one on `ingest`, one on `publish`, one on every other queue,
sharing only PostgreSQL and Redis. What a person does through one web server shows through the
other, and each concern's work is run by the worker of its queue and by no other.

This is the layout docs/operations.md describes and docker-compose.yml runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from care import services as care_services
from care.models import Presence
from cxm.api.services import api_token_issue
from cxm.channels.models import ChannelAccount
from cxm.customers.services import AuthorKey, identities_resolve
from cxm.health import queues_without_worker, redis_client
from cxm.tenancy.models import Role
from publishing.tasks import dispatch_due
from tests.channels.stubs.mastodon_server import TOKEN, MastodonStub
from tests.conftest import _stop_shared_worker, _test_database_url
from tests.factories import BusinessUnitFactory
from tests.kernel.test_launcher import _free_port
from tests.listening.conftest import item

ROOT = Path(__file__).resolve().parents[2]
WORKERS = {"ingest": "ingest", "publish": "publish", "rest": "care,ads,alerts,transformation,default"}
# Task names each worker must never run: every other concern's work in this test.
FOREIGN = {
    "ingest": ("publishing.", "care."),
    "publish": ("listening.", "care."),
    "rest": ("listening.", "publishing."),
}


class Processes:
    """The platform's processes for one test, each logging to a file of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "CXM_DB_CONN_MAX_AGE": "0",
            "CXM_WEB_WORKERS": "1",
            "CXM_WEB_THREADS": "2",
            # The stub Mastodon server listens on 127.0.0.1.
            "CXM_WEBHOOK_ALLOW_PRIVATE": "1",
            "PYTHONUNBUFFERED": "1",
        }
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> None:
        log = (self.folder / f"{name}.log").open("w")
        self.running[name] = subprocess.Popen(
            [sys.executable, "-m", "cxm", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()

    def check_alive(self) -> None:
        for name, process in self.running.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited:\n{self.log(name)[-3000:]}")

    def stop(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _eventually(predicate, processes: Processes, what: str, timeout: float = 45):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check_alive()
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s")


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def platform(transactional_db, tmp_path):
    """Two web servers and three workers on the test database and this process's Redis."""
    from django.conf import settings

    from cxm.celery import queue_heartbeat_key

    _stop_shared_worker()  # a worker on every queue would take work from the three below
    redis = redis_client()
    redis.flushdb()
    redis.delete(settings.CELERY_WORKER_HEARTBEAT_KEY, *map(queue_heartbeat_key, settings.CXM_QUEUES))
    processes = Processes(tmp_path)
    ports = {"web-a": _free_port(), "web-b": _free_port()}
    try:
        for name, port in ports.items():
            processes.start(name, "web", "--port", str(port))
        for name, queues in WORKERS.items():
            processes.start(name, "worker", "--queues", queues, "--concurrency", "1")
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        for url in urls.values():
            _eventually(lambda url=url: _answers(url), processes, f"{url} answering")
        _eventually(lambda: not queues_without_worker(), processes, "a worker on every queue")
        yield processes, urls
    finally:
        processes.stop()


@pytest.mark.worker
def test_two_web_servers_and_three_workers_each_on_its_own_queues(platform, workspace_a, member):
    processes, urls = platform
    admin = member(workspace_a, Role.ADMIN)
    headers = {
        "Authorization": f"Token {api_token_issue(user=admin.user)}",
        "X-Workspace": str(workspace_a.pk),
    }
    # No keep-alive: an idle connection would hold a web server's graceful stop for its timeout.
    web_a, web_b = (
        httpx.Client(base_url=urls[name], headers={**headers, "Connection": "close"}, timeout=20)
        for name in ("web-a", "web-b")
    )

    # Both web servers see every queue served.
    for web in (web_a, web_b):
        ready = web.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["worker"] == {"ok": True}

    # Ingest: a mention through web A, then a topic whose back-fill the ingest worker runs; web B
    # finds the mention under the topic.
    mention = item(1, text="Kopi susu pagi ini enak sekali")
    ingested = web_a.post("/api/v1/mentions/", json={"items": [mention]})
    assert ingested.json()["accepted"] == 1, ingested.text
    topic = web_a.post("/api/v1/topics/", json={"name": "Kopi", "query": "kopi"})
    assert topic.status_code == 201, topic.text

    def tagged():
        found = web_b.get("/api/v1/mentions/", params={"topic": topic.json()["id"]}).json()["results"]
        return [row["external_id"] for row in found]

    assert _eventually(tagged, processes, "the topic back-fill") == [mention["external_id"]]

    # Publish: a post composed through web A goes out through the publish worker to Mastodon.
    with MastodonStub() as mastodon:
        account = ChannelAccount.objects.create(
            workspace=workspace_a,
            platform="mastodon",
            handle="brand",
            base_url=mastodon.base_url,
            credentials={"access_token": TOKEN},
            business_unit=BusinessUnitFactory(workspace=workspace_a),
        )
        post = web_a.post("/api/v1/posts/", json={"text": "Kopi baru hari ini", "accounts": [account.pk]})
        assert post.status_code == 201, post.text
        assert web_a.post(f"/api/v1/posts/{post.json()['id']}/submit/").json()["status"] == "scheduled"
        dispatch_due.delay()  # beat's tick, sent the way beat sends it

        def published():
            return web_b.get(f"/api/v1/posts/{post.json()['id']}/").json()["status"] == "published"

        _eventually(published, processes, "the publish")
        assert [status["content"] for status in mastodon.created_statuses] == ["<p>Kopi baru hari ini</p>"]

    # Care: a case opened through web B is routed to the agent on shift by the third worker.
    agent = member(workspace_a, Role.AGENT).user
    care_services.agent_save(workspace=workspace_a, user=agent, presence=Presence.ONLINE)
    customer = identities_resolve(workspace_id=workspace_a.pk, authors=[AuthorKey("mastodon", "c-1", "@ana")])
    profile_id = customer[("mastodon", "c-1")].profile_id
    case = web_b.post("/api/v1/cases/", json={"customer": profile_id, "subject": "Pesanan belum sampai"})
    assert case.status_code == 201, case.text

    def routed():
        return web_a.get(f"/api/v1/cases/{case.json()['id']}/").json()["assignee"]

    assert _eventually(routed, processes, "the case routing") == agent.pk

    # Each worker ran its own concern's tasks and none of another's.
    ran = {name: processes.log(name) for name in WORKERS}
    assert "listening.topic_backfill" in ran["ingest"]
    assert "publishing.dispatch_due" in ran["publish"] and "publishing.publish_targets" in ran["publish"]
    assert "care.cases_route" in ran["rest"]
    for name, prefixes in FOREIGN.items():
        for prefix in prefixes:
            assert f"Task {prefix}" not in ran[name], f"{name} ran a {prefix} task:\n{ran[name][-3000:]}"
