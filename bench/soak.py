"""bench/soak: minutes of mixed load on loopback against a running platform (gunicorn web, a Celery
worker and beat on embedded PostgreSQL and Redis), at a steady rate the machine sustains.

    .venv/bin/python -m bench.soak --minutes 10 --rate 12

The mix, per second of load: mention batches ingested through the API, Explorer searches, inbox
lists, replies on cases, and posts scheduled a few minutes ahead (which beat then dispatches and
the worker publishes through the demo connector). Reports p50/p95/p99 per route, the error count
(any answer that is not 2xx, or no answer: must be 0), and the resident memory of each process
(web, worker, beat, each with its children) after warm-up and at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict

from bench.common import ROOT, percentile

WORDS = ["delivery", "refund", "launch", "outage", "price", "support", "app", "store", "love", "late"]
# route -> share of the requests
MIX = {"ingest": 0.15, "search": 0.3, "inbox": 0.3, "reply": 0.15, "schedule": 0.1}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=12.0, help="requests per second, all routes together")
    parser.add_argument("--clients", type=int, default=6, help="concurrent client threads")
    parser.add_argument("--batch", type=int, default=50, help="mentions per ingest call")
    parser.add_argument("--cases", type=int, default=200, help="open cases to reply on")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument(
        "--warm-up", type=float, default=20.0, help="seconds of load before memory is first read"
    )
    args = parser.parse_args()

    from bench.common import setup_django

    services = setup_django("bench-soak")
    try:
        run(args)
    finally:
        services.stop()


class Platform:
    """gunicorn, a Celery worker and beat, as `cxm run` starts them."""

    def __init__(self, web_workers: int):
        from bench.web import free_port

        self.port = free_port()
        self.web_workers = web_workers
        self.processes: dict[str, subprocess.Popen] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _start(self, name: str, *command: str, env: dict | None = None) -> None:
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", *command] if command[0] != sys.executable else list(command),
            cwd=ROOT,
            env={**os.environ, "CXM_DB_CONN_MAX_AGE": "60", **(env or {})},
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def __enter__(self) -> Platform:
        import httpx
        from django.conf import settings

        from cxm.cli import web_command

        self._start(
            "web",
            *web_command(bind="127.0.0.1", port=str(self.port)),
            env={"CXM_WEB_WORKERS": str(self.web_workers)},
        )
        self._start(
            "worker",
            *("celery", "-A", "cxm", "worker", "--loglevel", "WARNING", "--concurrency", "2"),
            *("--without-gossip", "--without-mingle", "--hostname", f"soak-{os.getpid()}@%h"),
        )
        self._start(
            "beat",
            *("celery", "-A", "cxm", "beat", "--loglevel", "WARNING"),
            *("--schedule", str(settings.DATA_DIR / "soak-celerybeat-schedule")),
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError("the platform was not ready within 90 s")

    def memory(self) -> dict[str, int]:
        """Resident bytes of each process with its children."""
        import psutil

        sizes = {}
        for name, process in self.processes.items():
            try:
                root = psutil.Process(process.pid)
                tree = [root, *root.children(recursive=True)]
                sizes[name] = sum(p.memory_info().rss for p in tree if p.is_running())
            except psutil.NoSuchProcess:
                sizes[name] = 0
        return sizes

    def __exit__(self, *exc) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def setup(cases: int):
    from bench.common import fresh_workspace
    from care.models import Case
    from care.services import case_open_from_mention
    from cxm.api.services import api_token_issue
    from cxm.channels.models import ChannelAccount
    from cxm.tenancy.models import Membership, Role, User
    from listening.services import topic_create

    workspace = fresh_workspace("Soak")
    stamp = uuid.uuid4().hex[:8]
    user = User.objects.create(username=f"soak-{stamp}")
    Membership.objects.create(workspace=workspace, user=user, role=Role.ADMIN)
    account = ChannelAccount.objects.create(
        workspace=workspace, platform="demo", handle=f"soak-{stamp}", display_name="Soak stream"
    )
    topic_create(workspace=workspace, name="Soak", query=" OR ".join(WORDS[:5]), backfill=False)
    case_ids = []
    for n in range(cases):
        case = case_open_from_mention(
            workspace=workspace,
            mention={
                "platform": "mastodon",
                "external_id": f"soak-case-{stamp}-{n}",
                "text": f"my order {n} is {random.choice(WORDS)}",
                "author": {"id": f"soak-{n}", "handle": f"@soak{n}@example.social", "name": f"Soak {n}"},
            },
        )
        case_ids.append(case.pk)
    # The cases came in on the demo stream, so replies have a channel to go out on.
    Case.objects.filter(pk__in=case_ids).update(channel_account=account)
    token = api_token_issue(user=user)
    return workspace, account, case_ids, token


def run(args) -> None:
    import logging

    import httpx

    from cxm.health import redis_client

    logging.getLogger("httpx").setLevel(logging.WARNING)
    redis_client().flushdb()
    workspace, account, case_ids, token = setup(args.cases)
    headers = {"Authorization": f"Token {token}", "X-Workspace": str(workspace.pk)}
    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    counter = {"n": 0}
    lock = threading.Lock()

    def request(client: httpx.Client, route: str) -> None:
        if route == "ingest":
            with lock:
                counter["n"] += 1
                batch = counter["n"]
            items = [
                {
                    "platform": "mastodon",
                    "external_id": f"soak-{workspace.pk}-{batch}-{i}",
                    "text": f"the {random.choice(WORDS)} was {random.choice(WORDS)} today",
                    "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "author": {"handle": f"@fan{random.randrange(5000)}@example.social"},
                }
                for i in range(args.batch)
            ]
            return client.post("/api/v1/mentions/", json={"items": items})
        if route == "search":
            return client.get("/api/v1/mentions/", params={"q": random.choice(WORDS), "page_size": 25})
        if route == "inbox":
            return client.get("/api/v1/cases/", params={"page_size": 50})
        if route == "reply":
            case_id = random.choice(case_ids)
            return client.post(
                f"/api/v1/cases/{case_id}/messages/",
                json={"kind": "reply", "text": f"Thanks, we are on it ({uuid.uuid4().hex[:6]})."},
            )
        scheduled_at = time.time() + random.uniform(60, 300)
        response = client.post(
            "/api/v1/posts/",
            json={
                "text": f"Soak post {uuid.uuid4().hex[:8]}",
                "accounts": [account.pk],
                "scheduled_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(scheduled_at)),
            },
        )
        if response.status_code != 201:
            return response
        return client.post(f"/api/v1/posts/{response.json()['id']}/submit/")

    routes, weights = zip(*MIX.items(), strict=True)
    with Platform(args.web_workers) as platform:
        started = time.monotonic()
        ends_at = started + args.minutes * 60
        interval = args.clients / args.rate
        memory: dict[str, dict[str, int]] = {}

        def client_loop(seed: int) -> None:
            rng = random.Random(seed)
            with httpx.Client(base_url=platform.url, headers=headers, timeout=30) as client:
                next_at = time.monotonic() + rng.uniform(0, interval)
                while next_at < ends_at:
                    time.sleep(max(0.0, next_at - time.monotonic()))
                    route = rng.choices(routes, weights)[0]
                    began = time.perf_counter()
                    try:
                        response = request(client, route)
                        ok = 200 <= response.status_code < 300
                        problem = f"{response.status_code} {response.text[:200]}"
                    except httpx.HTTPError as exc:
                        ok, problem = False, repr(exc)
                    elapsed = time.perf_counter() - began
                    with lock:
                        timings[route].append(elapsed)
                        if not ok:
                            errors[route].append(problem)
                    next_at += interval

        threads = [threading.Thread(target=client_loop, args=(n,), daemon=True) for n in range(args.clients)]
        for thread in threads:
            thread.start()
        time.sleep(min(args.warm_up, args.minutes * 30))
        memory["after warm-up"] = platform.memory()
        for thread in threads:
            thread.join()
        memory["end"] = platform.memory()
        elapsed = time.monotonic() - started
        with httpx.Client(base_url=platform.url, timeout=10) as probe:
            ready = probe.get("/readyz").json()
    from publishing.models import PostTarget, TargetStatus

    published = PostTarget.objects.filter(workspace=workspace, status=TargetStatus.PUBLISHED).count()
    total = sum(len(values) for values in timings.values())
    print(f"{args.minutes:g} min, {total} requests ({total / elapsed:.1f}/s), {args.clients} clients")
    print(f"{'route':10} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for route in routes:
        values = timings[route]
        print(
            f"{route:10} {len(values):8d} {percentile(values, 50) * 1000:8.0f} "
            f"{percentile(values, 95) * 1000:8.0f} {percentile(values, 99) * 1000:8.0f} {len(errors[route]):7d}"
        )
    print(f"errors: {sum(len(v) for v in errors.values())} (must be 0)")
    for route, problems in errors.items():
        for problem in problems[:3]:
            print(f"  {route}: {problem}")
    for name in memory["end"]:
        before, after = memory["after warm-up"][name], memory["end"][name]
        print(
            f"memory {name:7} {before / 2**20:7.1f} MiB after warm-up -> {after / 2**20:7.1f} MiB "
            f"at the end ({(after - before) / 2**20:+.1f} MiB)"
        )
    print(f"scheduled posts published by beat and the worker during the run: {published}")
    print(f"readiness at the end: {ready['status']}")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
