"""bench/care_latency: steady inbound load on care, and how soon agents see it.

    .venv/bin/python -m bench.care_latency --rate 50 --seconds 30 [--batch 5]

Direct messages arrive as signed webhook deliveries (one message per POST by default, the way a
source without a connector pushes them; `--batch N` sends N per delivery, as a source that
buffers does) at a steady `rate` per second, to a real web server (gunicorn,
the platform's own command line) with a real Celery worker routing new cases to online agents.
Most come from new customers (a new case each); one in five continues an earlier conversation.

Measured from the moment each message is sent:
- visible: the case shows the message in the inbox selector (the read the inbox page and its
  live refresh make: the newest page of "all open", with last-message snippets), watched by a
  poller every 100 ms;
- routed: the worker has assigned the new case to an agent (it then shows in their "Mine").
Prints p50 / p95 / max of both, the sending rate achieved and the load average.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import threading
import time

from bench.web import WebServer

SECRET = "bench-latency-secret"  # noqa: S105 (a loopback bench, not a real secret)
TOKEN = re.compile(r"\[(lat-\d+)\]")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=50.0, help="messages per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--senders", type=int, default=8, help="concurrent HTTP senders")
    parser.add_argument("--batch", type=int, default=1, help="messages per webhook delivery")
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    args = parser.parse_args()

    from bench.common import setup_django

    services = setup_django("bench-care-latency")
    try:
        run(args)
    finally:
        services.stop()


def setup(workspace, agents: int):
    from care import services
    from care.models import Presence
    from cxm.channels.models import ChannelAccount
    from cxm.tenancy.models import Membership, Role, User

    stamp = int(time.time())
    for n in range(agents):
        user = User.objects.create(username=f"latency-agent-{stamp}-{n}")
        Membership.objects.create(workspace=workspace, user=user, role=Role.AGENT)
        services.agent_save(workspace=workspace, user=user, capacity=10_000, presence=Presence.ONLINE)
    return ChannelAccount.objects.create(
        workspace=workspace,
        platform="webhook",
        handle=f"latency-{stamp}",
        display_name="Latency bench source",
        credentials={"webhook_secrets": [SECRET]},
    )


def warm_up(url: str, workspace, *, requests: int) -> None:
    """A few deliveries before the clock starts, so every web process has loaded the app and
    opened its database connection, and the worker has routed once."""
    import httpx
    from django.utils import timezone

    from cxm.channels.signing import sign_inbound

    with httpx.Client(timeout=30) as client:
        for n in range(requests):
            body = json.dumps(
                {
                    "items": [
                        {
                            "external_id": f"warm-{n}",
                            "kind": "dm",
                            "text": "warming up",
                            "created_at": timezone.now().isoformat(),
                            "author": {"id": f"warm-{n}", "handle": f"@warm{n}"},
                        }
                    ]
                }
            ).encode()
            client.post(
                url,
                content=body,
                headers={**sign_inbound(SECRET, body, int(time.time())), "Content-Type": "application/json"},
            )
    time.sleep(2)


def run(args) -> None:
    import httpx
    from django.utils import timezone

    from bench.common import fresh_workspace, percentile
    from bench.workers import Workers
    from care import selectors
    from care.models import Case, Message
    from cxm.channels.signing import sign_inbound
    from cxm.health import redis_client

    logging.getLogger("httpx").setLevel(logging.WARNING)
    redis_client().flushdb()
    workspace = fresh_workspace("Care latency bench")
    account = setup(workspace, args.agents)
    total = int(args.rate * args.seconds)
    rng = random.Random(11)
    authors: list[int] = []
    plan = []
    for n in range(total):
        if authors and rng.random() < 0.2:
            author = rng.choice(authors)
        else:
            author = n
            authors.append(n)
        plan.append((n, author))

    author_of = {f"lat-{n:06d}": author for n, author in plan}
    tokens_of: dict[int, list[str]] = {}
    for token, author in author_of.items():
        tokens_of.setdefault(author, []).append(token)
    sent_at: dict[str, float] = {}
    request_seconds: list[float] = []
    seen_at: dict[str, float] = {}
    failures: list[str] = []
    done = threading.Event()

    with (
        WebServer(workers=args.web_workers) as web,
        Workers(processes=1, concurrency=args.worker_concurrency),
    ):
        url = f"{web.url}/hooks/{account.pk}/"
        warm_up(url, workspace, requests=4 * args.web_workers * 4)
        started = time.monotonic() + 1.0
        lock = threading.Lock()
        cursor = iter([plan[i : i + args.batch] for i in range(0, len(plan), args.batch)])

        def sender():
            with httpx.Client(timeout=30) as client:
                while True:
                    with lock:
                        delivery = next(cursor, None)
                    if delivery is None:
                        return
                    due = started + delivery[0][0] / args.rate
                    pause = due - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    tokens = [f"lat-{n:06d}" for n, _author in delivery]
                    payload = {
                        "items": [
                            {
                                "external_id": token,
                                "kind": "dm",
                                "text": f"Hello, where is my order? [{token}]",
                                "created_at": timezone.now().isoformat(),
                                "author": {
                                    "id": f"customer-{author}",
                                    "handle": f"@customer{author}",
                                    "name": f"Customer {author}",
                                },
                            }
                            for token, (_n, author) in zip(tokens, delivery, strict=True)
                        ]
                    }
                    body = json.dumps(payload).encode()
                    headers = {
                        **sign_inbound(SECRET, body, int(time.time())),
                        "Content-Type": "application/json",
                    }
                    began = time.monotonic()
                    with lock:
                        for token in tokens:
                            sent_at[token] = began
                    try:
                        response = client.post(url, content=body, headers=headers)
                        if response.status_code != 202:
                            failures.append(f"{tokens[0]}: {response.status_code} {response.text[:200]}")
                    except httpx.HTTPError as exc:
                        failures.append(f"{tokens[0]}: {exc}")
                    with lock:
                        request_seconds.append(time.monotonic() - began)

        def watcher():
            # What an agent's inbox reads: the newest page of open cases, with their last message.
            from django.db import connections

            try:
                while not done.is_set():
                    page = selectors.inbox_page(
                        workspace=workspace,
                        user=None,
                        filters=selectors.InboxFilters(view="all"),
                        size=200,
                    )
                    now = time.monotonic()
                    for row in selectors.inbox_rows(workspace=workspace, cases=page.items):
                        match = TOKEN.search(row.snippet)
                        if match and match.group(1) not in seen_at:
                            # This message, and any earlier one of the same conversation that a
                            # later message pushed out of the snippet before this poll.
                            token = match.group(1)
                            for earlier in tokens_of[author_of[token]]:
                                if earlier <= token and earlier in sent_at and earlier not in seen_at:
                                    seen_at[earlier] = now
                    time.sleep(0.1)
            finally:
                connections.close_all()

        watch = threading.Thread(target=watcher)
        watch.start()
        senders = [threading.Thread(target=sender) for _ in range(args.senders)]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join()
        sending = time.monotonic() - started
        time.sleep(5)  # let the last ones be seen and routed
        deadline = time.monotonic() + 30
        cases = Case.objects.filter(workspace=workspace)
        while cases.filter(assignee__isnull=True).exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        done.set()
        watch.join()

    # Routed: the worker's assignment time against the moment the first message of the case was
    # sent (the same clock: this machine's), read back from the database.
    first_token = dict(
        Message.objects.filter(workspace=workspace, direction="inbound")
        .order_by("case_id", "occurred_at", "id")
        .distinct("case_id")
        .values_list("case_id", "external_id")
    )
    wall_minus_mono = time.time() - time.monotonic()
    routed = []
    for case_id, assigned_at in cases.exclude(assigned_at=None).values_list("pk", "assigned_at"):
        token = first_token.get(case_id)
        if token in sent_at:
            routed.append(assigned_at.timestamp() - (sent_at[token] + wall_minus_mono))
    visible = [seen_at[token] - sent_at[token] for token in sent_at if token in seen_at]
    stored = Message.objects.filter(
        workspace=workspace, direction="inbound", external_id__startswith="lat-"
    ).count()
    case_count = len({case_id for case_id, token in first_token.items() if token in sent_at})

    def summary(values: list[float]) -> str:
        if not values:
            return "no samples"
        return (
            f"p50 {percentile(values, 50) * 1000:6.0f} ms   p95 {percentile(values, 95) * 1000:6.0f} ms   "
            f"max {max(values) * 1000:6.0f} ms   ({len(values)} samples)"
        )

    print(
        f"sent {len(sent_at)} messages in {sending:.1f} s ({len(sent_at) / sending:.1f}/s, target {args.rate}/s); "
        f"stored {stored}; {case_count} cases; {len(failures)} failed requests"
    )
    for failure in failures[:5]:
        print("  failed:", failure)
    print(f"webhook request ({args.batch} per delivery): {summary(request_seconds)}")
    print(f"visible in the inbox selector:  {summary(visible)}")
    print(f"  never seen by the watcher: {len(sent_at) - len(visible)}")
    print(f"new case routed to an agent:   {summary(routed)}")
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
