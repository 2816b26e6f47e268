"""bench/search: p50/p95 of 200 mixed Explorer queries (text + filters + facets, the first page
of 25) over the mentions `bench.ingest` stored, measured in-process and through HTTP, then a
sample of the same queries with the mention indexes dropped (inside a transaction that is rolled
back), as a ratio.

    .venv/bin/python -m bench.search --workspace <id printed by bench.ingest>

In-process (selector level): `mentions_search(workspace=..., filters=ExplorerFilters.from_params(
...), facets=True)` called one query at a time in this process: no HTTP, no authentication, no
JSON rendering. Then in-process through the API view: the same queries as `GET
/api/v1/mentions/` through Django's test client in this process (middleware, token check, rate
limit, view, JSON; no server, no socket), with the database queries per request.

Through HTTP: `GET /api/v1/mentions/?q=...` (what the Explorer asks) on gunicorn started as
`cxm run` starts it (bench/web.py), with `Authorization: Token ...` from `/api/v1/auth/token/`;
first from one client (one request at a time, comparable with the in-process figures), then from
`--clients` client processes at once (the 200 queries shared between them). Each HTTP answer's
mention ids are compared with the in-process page's. The server's per-user rate limit is raised
for the run (CXM_API_RATE_USER), since a benchmark client is not what it limits.

The table is vacuumed and analysed first, as autovacuum would after a bulk load. "Without
indexes" (in-process only: the indexes are dropped inside this process's transaction) drops every
index of the mention table but its primary key. The slowest queries are listed with their
parameters, and the load average is printed, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import random
import time

from bench.common import percentile

WORDS = [
    "kopi",
    "coffee",
    "delivery",
    "pengiriman",
    "harga",
    "promo",
    "enak",
    "late",
    "cold",
    "teh",
    "segar",
    "stok",
    "refund",
    "café",
    "precio",
    "entrega",
    "mantap",
    "kecewa",
    "service",
    "price",
]
LANGUAGES = ["id", "en", "ms", "es", "pt", "fr"]
SENTIMENTS = ["positive", "neutral", "negative"]


def queries(count: int, seed: int = 11) -> list[dict]:
    rng = random.Random(seed)
    result = []
    for _ in range(count):
        params: dict = {}
        shape = rng.random()
        if shape < 0.35:
            params["q"] = rng.choice(WORDS)
        elif shape < 0.55:
            params["q"] = f"{rng.choice(WORDS)} AND {rng.choice(WORDS)}"
        elif shape < 0.7:
            params["q"] = f"({rng.choice(WORDS)} OR {rng.choice(WORDS)}) -{rng.choice(WORDS)}"
        elif shape < 0.8:
            params["q"] = f"{rng.choice(WORDS)[:3]}*"
        if rng.random() < 0.5:
            params["language"] = rng.choice(LANGUAGES)
        if rng.random() < 0.4:
            params["sentiment"] = rng.choice(SENTIMENTS)
        if rng.random() < 0.3:
            params["since"] = f"2026-10-{rng.randint(1, 28):02d}"
        result.append(params)
    return result


def run(workspace, params_list, label: str, pages: list | None = None) -> list[float]:
    """Milliseconds per query, in-process; the ids of each first page go to `pages` if given."""
    from listening.selectors import ExplorerFilters, mentions_search

    timings = []
    for params in params_list:
        filters = ExplorerFilters.from_params(params)
        started = time.perf_counter()
        page = mentions_search(workspace=workspace, filters=filters, facets=True)
        timings.append((time.perf_counter() - started) * 1000)
        if pages is not None:
            pages.append([row["id"] for row in page.results])
    return timings


def run_api_in_process(workspace, params_list: list[dict]) -> tuple[list[float], float]:
    """The same queries through the API view in this process, with Django's test client: every
    middleware, the token check, the rate limit, the view and its JSON, but no server and no
    socket. (ms per query, database queries per request)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cxm.api.services import api_token_issue
    from cxm.tenancy.models import User
    from cxm.tenancy.services import membership_add

    user = User.objects.create_user(username=f"bench-search-{time.time_ns()}")
    membership_add(workspace=workspace, user=user, role="analyst", by=None)
    headers = {
        "HTTP_AUTHORIZATION": f"Token {api_token_issue(user=user)}",
        "HTTP_X_WORKSPACE": str(workspace.pk),
    }
    client = Client(HTTP_HOST="127.0.0.1")
    for params in params_list[:10]:
        client.get("/api/v1/mentions/", params, **headers)
    timings = []
    with CaptureQueriesContext(connection) as captured:
        for params in params_list:
            started = time.perf_counter()
            response = client.get("/api/v1/mentions/", params, **headers)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{params}: {response.status_code} {response.content[:300]!r}")
    return timings, len(captured.captured_queries) / len(params_list)


def _http_client(job) -> tuple[float, float, list[tuple[int, float, list[int]]]]:
    """Send `indexed` queries one at a time; (start, end, [(index, ms, mention ids)])."""
    url, token, workspace_id, indexed, barrier = job
    import httpx

    headers = {"Authorization": f"Token {token}", "X-Workspace": str(workspace_id)}
    answers = []
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        client.get("/healthz").raise_for_status()  # the connection, kept alive from here on
        if barrier is not None:
            barrier.wait()
        started = time.monotonic()
        for index, params in indexed:
            sent = time.perf_counter()
            response = client.get("/api/v1/mentions/", params=params)
            elapsed = (time.perf_counter() - sent) * 1000
            response.raise_for_status()
            answers.append((index, elapsed, [row["id"] for row in response.json()["results"]]))
        finished = time.monotonic()
    return started, finished, answers


def run_http(url: str, token: str, workspace_id: int, params_list: list[dict], clients: int):
    """(ms per query in the list's order, mention ids per query, wall seconds) with `clients`
    client processes sharing the queries (one process: this one)."""
    indexed = list(enumerate(params_list))
    if clients == 1:
        results = [_http_client((url, token, workspace_id, indexed, None))]
    else:
        context = multiprocessing.get_context("spawn")
        barrier = context.Manager().Barrier(clients)
        jobs = [(url, token, workspace_id, indexed[n::clients], barrier) for n in range(clients)]
        with context.Pool(clients) as pool:
            results = pool.map(_http_client, jobs)
    timings: list[float] = [0.0] * len(params_list)
    pages: list[list[int]] = [[] for _ in params_list]
    for _start, _end, answers in results:
        for index, milliseconds, ids in answers:
            timings[index], pages[index] = milliseconds, ids
    wall = max(r[1] for r in results) - min(r[0] for r in results)
    return timings, pages, wall


# A benchmark's client is not what the per-user API rate limit is for (1,200/minute by default).
HTTP_RATE_LIMIT = "1000000/minute"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspace", type=int, required=True)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--no-index-queries",
        type=int,
        default=40,
        help="queries repeated without indexes (each is a scan, so fewer)",
    )
    parser.add_argument("--show-slowest", type=int, default=10)
    parser.add_argument("--clients", type=int, default=2, help="HTTP client processes at once")
    parser.add_argument("--mode", choices=["both", "in-process", "http"], default="both")
    parser.add_argument("--web-log", default=None, help="file for gunicorn's output")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    from bench.common import setup_django

    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cxm.tenancy.models import Workspace

    workspace = Workspace.objects.get(pk=args.workspace)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM listening_mention WHERE workspace_id = %s", [workspace.pk])
        total = cursor.fetchone()[0]
        # As autovacuum would after a bulk load: statistics, hint bits and the visibility map.
        cursor.execute("VACUUM (ANALYZE) listening_mention")
    mixed = queries(args.queries)
    print(
        f"mentions in workspace: {total:,}; {len(mixed)} mixed Explorer queries (first page of 25 + facets)"
    )
    pages: list[list[int]] = []
    if args.mode in ("both", "in-process"):
        run(workspace, mixed[:10], "warm-up")
        with CaptureQueriesContext(connection) as captured:
            indexed = run(workspace, mixed, "indexed", pages)
        print(
            "IN-PROCESS (selector level: mentions_search in this process, one query at a time; "
            f"no HTTP, no auth, no JSON): p50 {percentile(indexed, 50):.1f} ms, p95 {percentile(indexed, 95):.1f} ms; "
            f"{len(captured.captured_queries) / len(mixed):.1f} database queries per search"
        )
        print(f"  load average (1/5/15 min) after them: {_load()}; {os.cpu_count()} cores")
        slowest = sorted(zip(indexed, mixed, strict=True), key=lambda pair: pair[0], reverse=True)
        for milliseconds, params in slowest[: args.show_slowest]:
            print(f"  {milliseconds:7.1f} ms  {params}")
        api, per_request = run_api_in_process(workspace, mixed)
        print(
            "IN-PROCESS THROUGH THE API VIEW (Django's test client: middleware, token auth, rate limit, "
            f"view, JSON; no server, no socket): p50 {percentile(api, 50):.1f} ms, p95 {percentile(api, 95):.1f} ms; "
            f"{per_request:.1f} database queries per request"
        )
    if args.mode in ("both", "http"):
        http_search(args, workspace, mixed, pages)
    if args.mode in ("both", "in-process") and args.no_index_queries:
        no_indexes(workspace, mixed[: args.no_index_queries])


def http_search(args, workspace, mixed: list[dict], pages: list[list[int]]) -> None:
    from django.db import connections

    from bench.web import WebServer, api_member

    with WebServer(env={"CXM_API_RATE_USER": HTTP_RATE_LIMIT}, log=args.web_log) as web:
        token = api_member(workspace=workspace, url=web.url, role="analyst")
        connections.close_all()
        # Every gunicorn worker answers a few before the clock (imports, connections, caches).
        run_http(web.url, token, workspace.pk, mixed[:10] * 2, 2)
        runs = [(1, *run_http(web.url, token, workspace.pk, mixed, 1))]
        if args.clients > 1:
            runs.append((args.clients, *run_http(web.url, token, workspace.pk, mixed, args.clients)))
        workers, threads = web.workers, web.threads
    print(
        f"THROUGH HTTP (GET /api/v1/mentions/, token auth, JSON answers; gunicorn as `cxm run` starts it, "
        f"{workers} workers x {threads} threads):"
    )
    for clients, timings, answers, wall in runs:
        how = "1 client, one request at a time" if clients == 1 else f"{clients} client processes at once"
        same = sum(1 for mine, theirs in zip(pages, answers, strict=False) if mine == theirs)
        check = f"; same mention ids as in-process for {same} of {len(pages)} queries" if pages else ""
        print(
            f"  {how}: p50 {percentile(timings, 50):.1f} ms, p95 {percentile(timings, 95):.1f} ms per request, "
            f"{len(timings) / wall:.1f} queries/s{check}"
        )
    print(f"  load average (1/5/15 min) after them: {_load()}")


def no_indexes(workspace, sample: list[dict]) -> None:
    from django.db import connection, transaction

    indexed_sample = run(workspace, sample, "indexed sample")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = 'listening_mention'::regclass AND NOT x.indisprimary ORDER BY 1"
            )
            dropped = [row[0] for row in cursor.fetchall()]
            for index in dropped:
                cursor.execute(f"DROP INDEX {index}")
        plain = run(workspace, sample, "no indexes")
        transaction.set_rollback(True)
    print(
        f"IN-PROCESS, same first {len(sample)} queries without indexes: p50 {percentile(plain, 50):.1f} ms, "
        f"p95 {percentile(plain, 95):.1f} ms"
    )
    print(
        f"  indexed vs unindexed p95 on that sample: {percentile(indexed_sample, 95):.1f} ms vs "
        f"{percentile(plain, 95):.1f} ms ({percentile(plain, 95) / max(percentile(indexed_sample, 95), 0.001):.1f}x)"
    )
    print(f"  indexes dropped for that: {', '.join(dropped)}; load average after: {_load()}")


def _load() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
