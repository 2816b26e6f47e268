"""bench/inbox: the care inbox at scale. Bulk-loads N cases (generate_series SQL, sparse messages:
one in five cases has one) for A agents, then measures what agents and leads wait for:

    .venv/bin/python -m bench.inbox --cases 1000000 --agents 200

- the inbox list (first page of 50 with last-message snippets, exactly what the page and its
  live refresh read) for the common views: mine, unassigned, a queue, SLA breached; and the
  sidebar's counts;
- automatic assignment of new cases by 20 concurrent routers (threads, each its own database
  connection), every case offered to two routers at once: p95 per routing call, and double
  assignments (a case assigned twice, or an agent pushed past capacity: must be 0);
- the care reports over all the cases (first response, resolution, backlog, CSAT; and the
  day-by-day series the reports page draws);
- opening a 10,000-message conversation: the first page of the thread, and the whole case page
  through Django's test client.

Runs on its own embedded servers (var/bench-care); each run empties the care tables there first
(`--keep` to add to them). Prints the load average: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import threading
import time
from datetime import timedelta

PAGE = 50
LANGUAGES = ["en", "id", "es", "pt"]
PLATFORMS = ["email", "mastodon", "bluesky"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--queues", type=int, default=10)
    parser.add_argument("--routers", type=int, default=20, help="concurrent assigners")
    parser.add_argument("--new-cases", type=int, default=2000, help="cases routed in the assignment test")
    parser.add_argument("--conversation", type=int, default=10_000, help="messages in the long conversation")
    parser.add_argument("--repeat", type=int, default=40, help="samples per inbox view")
    parser.add_argument("--keep", action="store_true", help="keep earlier runs' care data")
    args = parser.parse_args()

    from bench.common import setup_django

    services = setup_django("bench-care")
    try:
        run(args)
    finally:
        services.stop()


def run(args) -> None:
    from bench.common import fresh_workspace, timer

    if not args.keep:
        empty_care_tables()
    workspace = fresh_workspace("Inbox bench")
    with timer() as loading:
        agents, queues = make_agents_and_queues(workspace, agents=args.agents, queues=args.queues)
        load_cases(workspace, agents=agents, queues=queues, cases=args.cases)
        long_case = load_conversation(workspace, agent=agents[0], messages=args.conversation)
        analyze()
    print(
        f"loaded {args.cases:,} cases, {args.agents} agents, {args.queues} queues in {loading['seconds']:.0f} s"
    )
    print(f"load average after loading: {load()}")
    print()
    inbox_views(workspace, agents, queues, repeat=args.repeat)
    print()
    routing(workspace, agents, routers=args.routers, new_cases=args.new_cases)
    print()
    reports(workspace)
    print()
    conversation(workspace, long_case, agent=agents[0])
    print()
    print(f"load average: {load()} on {os.cpu_count()} cores")


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def p95(samples: list[float]) -> float:
    from bench.common import percentile

    return percentile(samples, 95)


def timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def line(label: str, samples: list[float]) -> None:
    from bench.common import percentile

    print(
        f"  {label:<34} p50 {percentile(samples, 50):7.1f} ms   p95 {p95(samples):7.1f} ms   max {max(samples):7.1f} ms"
    )


# --- data ------------------------------------------------------------------------------------------


def empty_care_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE care_notification, care_caseevent, care_csatresponse, care_message, care_case, "
            "care_agentprofile, care_queue, customers_identity, customers_customermerge, "
            "customers_customerprofile CASCADE"
        )


def make_agents_and_queues(workspace, *, agents: int, queues: int):
    from care.models import AgentProfile, Presence, Queue
    from cxm.tenancy.models import Membership, Role, User

    stamp = int(time.time())
    users = [User(username=f"bench-agent-{stamp}-{n}") for n in range(agents)]
    for user in users:
        user.set_unusable_password()
    users = User.objects.bulk_create(users)
    Membership.objects.bulk_create(
        [Membership(workspace=workspace, user=user, role=Role.AGENT) for user in users]
    )
    AgentProfile.objects.bulk_create(
        [
            AgentProfile(
                workspace=workspace,
                user=user,
                languages=[] if n % 4 == 0 else [LANGUAGES[n % 4], "en"],
                capacity=10,
                presence=Presence.ONLINE,
            )
            for n, user in enumerate(users)
        ]
    )
    created = Queue.objects.bulk_create(
        [Queue(workspace=workspace, name=f"Queue {n}", position=n) for n in range(queues)]
    )
    return users, created


def load_cases(workspace, *, agents, queues, cases: int) -> None:
    """Cases spread over 90 days, oldest first. The newest 8% are mostly still open (the backlog),
    with a few older stragglers; 30% of open cases wait for an agent. One case in five has one
    message, one resolved case in four (of the last 60 days) a CSAT answer."""
    from django.db import connection

    profiles = max(1, cases // 5)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO customers_customerprofile (workspace_id, display_name, attributes, created_at, updated_at)
            SELECT %s, 'Customer ' || g, '{}'::jsonb, now(), now() FROM generate_series(1, %s) g
            """,
            [workspace.pk, profiles],
        )
        cursor.execute(
            "SELECT min(id) FROM customers_customerprofile WHERE workspace_id = %s", [workspace.pk]
        )
        first_profile = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO care_case (
                workspace_id, customer_id, channel_account_id, platform, channel_kind, business_unit_id,
                language, subject, thread_id, status, reopened, reopen_count, priority, queue_id,
                assignee_id, assigned_at, tags, case_type_id, checklist_done, fields, sentiment,
                opened_by_id, first_response_due_at, resolution_due_at, first_response_warn_at,
                resolution_warn_at, first_response_breached_at, resolution_breached_at,
                first_responded_at, resolved_at, closed_at, last_message_at, last_inbound_at,
                created_at, updated_at)
            SELECT %(ws)s, %(p0)s + (g %% %(profiles)s), NULL, (%(platforms)s::text[])[1 + g %% 3],
                   CASE WHEN g %% 3 = 0 THEN 'email' ELSE 'dm' END, NULL,
                   (%(languages)s::text[])[1 + (g / 7) %% 4], 'Order ' || g, '', status, false, 0,
                   CASE WHEN g %% 20 = 0 THEN 'urgent' WHEN g %% 20 < 4 THEN 'high'
                        WHEN g %% 20 < 16 THEN 'normal' ELSE 'low' END,
                   (%(queues)s::bigint[])[1 + g %% %(nqueues)s],
                   assignee, CASE WHEN assignee IS NULL THEN NULL ELSE created + interval '2 minutes' END,
                   '{}', NULL, '{}', '{}'::jsonb, '', NULL,
                   created + interval '1 hour', created + interval '1 day', NULL, NULL,
                   CASE WHEN coalesce(responded, now()) > created + interval '1 hour' THEN created + interval '1 hour' END,
                   CASE WHEN coalesce(resolved, now()) > created + interval '1 day' THEN created + interval '1 day' END,
                   responded, resolved, CASE WHEN status = 'closed' THEN resolved END,
                   least(now(), created + (g %% 600) * interval '1 minute'), created,
                   created, created
            FROM (
                SELECT g, created, status,
                       CASE WHEN status IN ('new', 'open', 'pending_customer') AND g %% 10 < 3 THEN NULL
                            ELSE (%(agents)s::bigint[])[1 + g %% %(nagents)s] END AS assignee,
                       CASE WHEN status = 'new' THEN NULL
                            ELSE least(now(), created + (g %% 150) * interval '1 minute') END AS responded,
                       CASE WHEN status IN ('resolved', 'closed')
                            THEN least(now(), created + (g %% 40) * interval '1 hour') END AS resolved
                FROM (
                    SELECT g, now() - interval '90 days' * (1 - g::float / %(n)s) AS created,
                           CASE WHEN (g::float / %(n)s > 0.92 AND g %% 5 <> 0) OR g %% 400 = 0
                                THEN (ARRAY['new', 'open', 'open', 'pending_customer', 'new'])[1 + g %% 5]
                                WHEN g %% 3 = 0 THEN 'closed' ELSE 'resolved' END AS status
                    FROM generate_series(1, %(n)s) g
                ) base
            ) s
            """,
            {
                "ws": workspace.pk,
                "p0": first_profile,
                "profiles": profiles,
                "platforms": PLATFORMS,
                "languages": LANGUAGES,
                "queues": [q.pk for q in queues],
                "nqueues": len(queues),
                "agents": [a.pk for a in agents],
                "nagents": len(agents),
                "n": cases,
            },
        )
        cursor.execute(
            """
            INSERT INTO care_message (
                workspace_id, case_id, direction, platform, external_id, in_reply_to, url,
                author_name, author_handle, subject, text, language, sentiment, occurred_at, meta,
                mentions, status, idempotency_key, reply_to_external_id, recipient, attempts, error,
                created_at)
            SELECT workspace_id, id, 'inbound', platform, 'bench-' || id, '', '', 'Customer', '', '',
                   'Hello, my order ' || id || ' has not arrived yet. Can you check?', language, '',
                   last_message_at, '{}'::jsonb, '{}', '', '', '', '', 0, '', now()
            FROM care_case WHERE workspace_id = %s AND id %% 5 = 0
            """,
            [workspace.pk],
        )
        cursor.execute(
            """
            INSERT INTO care_csatresponse (workspace_id, case_id, customer_id, score, comment, created_at)
            SELECT workspace_id, id, customer_id, 1 + (id * 7) %% 5, '', resolved_at
            FROM care_case
            WHERE workspace_id = %s AND resolved_at IS NOT NULL AND id %% 4 = 0
              AND created_at > now() - interval '60 days'
            """,
            [workspace.pk],
        )
    # Room for the routing test: each agent can take a few more cases than they hold now.
    from care.models import AgentProfile
    from care.services.routing import agent_loads

    loads = agent_loads(workspace_id=workspace.pk, user_ids=[a.pk for a in agents])
    for profile in AgentProfile.objects.filter(workspace=workspace):
        profile.capacity = loads.get(profile.user_id, 0) + 12
        profile.save(update_fields=["capacity"])


def load_conversation(workspace, *, agent, messages: int):
    from django.db import connection

    from care.models import Case, CaseStatus, ChannelKind
    from cxm.customers.models import CustomerProfile

    customer = CustomerProfile.objects.create(workspace=workspace, display_name="Chatty Customer")
    from django.utils import timezone

    now = timezone.now()
    case = Case.objects.create(
        workspace=workspace,
        customer=customer,
        platform="mastodon",
        channel_kind=ChannelKind.DM,
        status=CaseStatus.OPEN,
        assignee=agent,
        subject="A very long conversation",
        last_message_at=now,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO care_message (
                workspace_id, case_id, direction, platform, external_id, in_reply_to, url,
                author_name, author_handle, subject, text, language, sentiment, occurred_at, meta,
                mentions, status, idempotency_key, reply_to_external_id, recipient, attempts, error,
                created_at)
            SELECT %s, %s, CASE WHEN g %% 2 = 0 THEN 'inbound' ELSE 'outbound' END, 'mastodon',
                   CASE WHEN g %% 2 = 0 THEN 'long-' || %s || '-' || g ELSE '' END, '', '',
                   CASE WHEN g %% 2 = 0 THEN 'Chatty Customer' ELSE 'agent' END, '', '',
                   'Message number ' || g || ' of a conversation that goes on and on', '', '',
                   %s - (%s - g) * interval '1 minute', '{}'::jsonb, '{}',
                   CASE WHEN g %% 2 = 0 THEN '' ELSE 'sent' END, '', '', '', 0, '', now()
            FROM generate_series(1, %s) g
            """,
            [workspace.pk, case.pk, case.pk, now, messages, messages],
        )
    return case


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "care_case",
            "care_message",
            "care_csatresponse",
            "customers_customerprofile",
            "care_agentprofile",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


# --- measurements ----------------------------------------------------------------------------------


def inbox_views(workspace, agents, queues, *, repeat: int) -> None:
    from care import selectors

    rng = random.Random(7)

    def read(view: str, **filters):
        def go():
            user = rng.choice(agents)
            extra = {key: (value() if callable(value) else value) for key, value in filters.items()}
            page = selectors.inbox_page(
                workspace=workspace, user=user, filters=selectors.InboxFilters(view=view, **extra), size=PAGE
            )
            selectors.inbox_rows(workspace=workspace, cases=page.items)
            return page

        return go

    print("inbox list, first page of 50 with snippets (what the page and its live refresh read):")
    for label, fn in [
        ("mine", read("mine")),
        ("unassigned", read("unassigned")),
        ("queue", read("all", queue_id=lambda: rng.choice(queues).pk)),
        ("SLA breached", read("breached")),
        ("about to breach", read("at_risk")),
        ("all open", read("all")),
        ("search 'order 12345'", read("all", q="order 12345")),
    ]:
        fn()  # warm
        line(label, timed(fn, repeat))
    line(
        "sidebar counts",
        timed(
            lambda: selectors.inbox_counts(workspace=workspace, user=rng.choice(agents)), max(5, repeat // 4)
        ),
    )


def routing(workspace, agents, *, routers: int, new_cases: int) -> None:
    """New cases, each offered to two routers at the same moment."""
    from django.db import connection, connections
    from django.db.models import Count

    from care.models import ACTIVE_STATUSES, AgentProfile, Case, CaseEvent
    from care.services.routing import case_route

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO care_case (
                workspace_id, customer_id, platform, channel_kind, language, subject, thread_id,
                status, reopened, reopen_count, priority, tags, checklist_done, fields, sentiment,
                last_message_at, created_at, updated_at)
            SELECT %s, (SELECT min(id) FROM customers_customerprofile WHERE workspace_id = %s) + g %% 1000,
                   (%s::text[])[1 + g %% 3], 'dm', (%s::text[])[1 + g %% 4], 'New ' || g, '', 'new',
                   false, 0, 'normal', '{}', '{}', '{}'::jsonb, '', now(), now(), now()
            FROM generate_series(1, %s) g
            RETURNING id
            """,
            [workspace.pk, workspace.pk, PLATFORMS, LANGUAGES, new_cases],
        )
        ids = [row[0] for row in cursor.fetchall()]
    work: queue.Queue = queue.Queue()
    order = ids + ids
    random.Random(3).shuffle(order)
    for case_id in order:
        work.put(case_id)
    samples: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(routers)

    def router():
        start.wait()
        try:
            while True:
                try:
                    case_id = work.get_nowait()
                except queue.Empty:
                    return
                began = time.perf_counter()
                case_route(case_id=case_id, workspace_id=workspace.pk)
                with lock:
                    samples.append((time.perf_counter() - began) * 1000)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=router) for _ in range(routers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    assigned = Case.objects.filter(pk__in=ids, assignee__isnull=False).count()
    twice = (
        CaseEvent.objects.filter(case_id__in=ids, kind="assigned")
        .values("case_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    loads = dict(
        Case.objects.filter(workspace=workspace, status__in=ACTIVE_STATUSES, assignee__isnull=False)
        .values_list("assignee_id")
        .annotate(n=Count("id"))
    )
    over = sum(
        1
        for user_id, capacity in AgentProfile.objects.filter(workspace=workspace).values_list(
            "user_id", "capacity"
        )
        if loads.get(user_id, 0) > capacity
    )
    print(f"automatic assignment: {new_cases} new cases, each offered to 2 of {routers} concurrent routers:")
    line("routing call", samples)
    print(
        f"  assigned {assigned} of {new_cases} in {elapsed:.1f} s ({len(order) / elapsed:,.0f} routing calls/s)"
    )
    print(f"  double assignments: {twice}; agents above capacity: {over}")


def reports(workspace) -> None:
    from django.utils import timezone

    from care import selectors

    now = timezone.now()
    print("care reports:")
    for days in (30, 90):
        since = now - timedelta(days=days)
        line(
            f"figures, {days} days (FRT, res, CSAT, backlog)",
            timed(lambda since=since: selectors.care_metrics(workspace=workspace, since=since, until=now), 5),
        )
        line(
            f"daily series, {days} days",
            timed(lambda since=since: selectors.care_report(workspace=workspace, since=since, until=now), 5),
        )
    total = selectors.care_metrics(workspace=workspace, since=now - timedelta(days=90), until=now)
    print(
        f"  ({total['cases']:,} cases in 90 days, backlog {total['backlog']['total']:,}, CSAT answers {total['csat']['responses']:,})"
    )


def conversation(workspace, case, *, agent) -> None:
    from django.test import Client

    from care import selectors

    count = selectors.case_messages(workspace=workspace, case_id=case.pk).count()
    print(f"a conversation of {count:,} messages:")
    line(
        "first page of the thread (selector)",
        timed(lambda: selectors.case_messages_page(workspace=workspace, case_id=case.pk, size=30), 20),
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(agent)
    session = client.session
    session["workspace_id"] = workspace.pk
    session.save()

    def page():
        response = client.get(f"/care/cases/{case.pk}/")
        assert response.status_code == 200, response.status_code

    def panel():
        response = client.get(f"/care/customers/{case.customer_id}/panel/?case={case.pk}")
        assert response.status_code == 200, response.status_code

    page()
    line("case page, whole response", timed(page, 20))
    line("customer panel (loaded after)", timed(panel, 10))


if __name__ == "__main__":
    main()
