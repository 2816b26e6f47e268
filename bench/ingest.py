"""bench/ingest: N synthetic multilingual mentions through the whole ingest pipeline (validate,
detect language, score sentiment, tag, match topics, link customers, de-duplicate, store with
roll-ups), measured two ways, then plain COPYs of the same rows as baselines.

    .venv/bin/python -m bench.ingest --count 100000 --workers 2 --copy-sample 100000

In-process (service level): each worker process calls `mentions_ingest_payload` with the items of
a JSON body it parses itself (`json.loads`): no HTTP, no authentication, no DRF.

Through HTTP: the same bodies POSTed to `/api/v1/mentions/` on gunicorn started as `cxm run`
starts it (bench/web.py), with `Authorization: Token ...` from `/api/v1/auth/token/`, by
`--clients` client processes (one request in flight each), into a second fresh workspace. The
server's per-user rate limit is raised for the run (CXM_API_RATE_USER), since a benchmark client
is not what it limits.

Each worker or client builds its batches first, as the JSON bodies, then all start together on a
barrier: the clock measures from parsing (or sending) each body on, not the demo generator
(`--include-generation` times both in-process, as the first recorded figures did). Prints
mentions/s, the CPU each mention cost (the workers, or the clients and gunicorn, and all
processes of the PostgreSQL server, autovacuum and WAL writer included, read from /proc when the
server is local), and the load average, since the machine may be shared.

The COPY baselines write the same rows, with constant values where the pipeline computes
language, sentiment, topics and terms, from one client stream: into an UNLOGGED table with the
mention table's columns and no index and no search vector; and into a LOGGED table with the
mention table's columns (the generated search vector included) and all its indexes (one
unpartitioned table). Each in PostgreSQL's text and binary COPY formats.

`bench/storage_floor` measures what PostgreSQL alone spends storing these mentions; run it after
`bench/search`, since it fills the server's cache with other tables.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import multiprocessing
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench.common import percentile

BATCH = 1000


def synthetic_items(start: int, count: int, seed: int = 7):
    """Items from the demo network's generator (12 languages, realistic texts), spread over 60 days."""
    from cxm.channels.connectors.base import AccountConfig
    from cxm.channels.connectors.demo import DemoConnector

    connector = DemoConnector(
        AccountConfig(platform="demo", handle="bench", options={"seed": seed, "rate_per_minute": 1_000_000})
    )
    origin = datetime(2026, 9, 1, tzinfo=UTC)
    cursor = {"seq": start, "at": origin.isoformat()}
    produced = 0
    while produced < count:
        page = connector.fetch(cursor)
        for item in page.items:
            if produced >= count:
                break
            # spread evenly over 60 days so monthly partitions and daily roll-ups are exercised
            moment = origin + timedelta(seconds=(start + produced) * 60 * 60 * 24 * 60 / 1_000_000)
            yield item, moment
            produced += 1
        cursor = page.cursor


def _payload(item, moment, n):
    return {
        "platform": "demo",
        "external_id": f"bench-{n}",
        "text": item.text,
        "created_at": moment.isoformat().replace("+00:00", "Z"),
        "author": {"handle": item.author.handle, "name": item.author.name, "id": item.author.platform_id},
        "url": item.url,
        "kind": item.kind,
    }


def _payloads(start: int, count: int):
    for n, (item, moment) in enumerate(synthetic_items(start, count), start=start):
        yield _payload(item, moment, n)


def _batches(payloads, size: int):
    batch = []
    for payload in payloads:
        batch.append(payload)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _body(batch: list[dict]) -> bytes:
    return json.dumps({"items": batch}, ensure_ascii=False).encode()


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()  # fields from the 3rd (state) on


def _tree_cpu_seconds(root: int | None) -> float | None:
    """CPU used so far by a process and its children, live and exited: the PostgreSQL postmaster
    with its backends, autovacuum, WAL writer and checkpointer, or gunicorn's master with its
    workers. None when the process is not on this machine."""
    if root is None:
        return None
    try:
        fields = _stat(root)
        ticks = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    child = _stat(int(entry.name))
                except OSError:
                    continue  # exited meanwhile
                if child[1] == str(root):
                    ticks += int(child[11]) + int(child[12])
    except (OSError, IndexError, ValueError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def _postmaster(connection) -> int | None:
    """The PostgreSQL server's main process, when it runs on this machine."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        return int(_stat(backend)[1])
    except (OSError, IndexError, ValueError):
        return None


def _worker(args):
    workspace_id, start, count, batch_size, include_generation, barrier = args
    from bench.common import setup_django

    setup_django()
    from django.db import connection

    from listening.services import mentions_ingest_payload

    if include_generation:
        bodies = (_body(batch) for batch in _batches(_payloads(start, count), batch_size))
    else:
        # Each batch waits as the JSON body the API would receive, and is parsed on the clock as
        # the API parses it. Half a million waiting payloads as objects would be the harness's
        # weight, not the pipeline's (about 1 GB per worker, every batch cold in the caches).
        bodies = [_body(batch) for batch in _batches(_payloads(start, count), batch_size)]
        gc.freeze()
    mentions_ingest_payload(workspace_id=workspace_id, items=[])  # connect, load the workspace
    postmaster = _postmaster(connection)
    from listening.enrichment import detect_languages, score_many

    detect_languages(["warm up the language model"])
    score_many(["warm up the lexicons"], ["en"])
    barrier.wait()
    server_before = _tree_cpu_seconds(postmaster)
    cpu_before, started = time.process_time(), time.monotonic()
    done = 0
    for body in bodies:
        done += mentions_ingest_payload(workspace_id=workspace_id, items=json.loads(body)["items"]).accepted
    finished = time.monotonic()
    server_after = _tree_cpu_seconds(postmaster)
    return Run(done, started, finished, time.process_time() - cpu_before, server_before, server_after)


@dataclass
class Run:
    """What one worker or client measured; CPU counters of servers are cumulative (None if remote)."""

    accepted: int
    started: float
    finished: float
    own_cpu: float
    server_before: float | None
    server_after: float | None
    web_before: float | None = None
    web_after: float | None = None
    latencies: list[float] = field(default_factory=list)


def _http_client(args):
    url, token, workspace_id, start, count, batch_size, barrier, postmaster, gunicorn = args
    import django
    import httpx

    django.setup()  # the demo generator reads settings; no database is used here
    logging.getLogger("httpx").setLevel(logging.WARNING)
    bodies = [_body(batch) for batch in _batches(_payloads(start, count), batch_size)]
    gc.freeze()
    headers = {
        "Authorization": f"Token {token}",
        "X-Workspace": str(workspace_id),
        "Content-Type": "application/json",
    }
    latencies = []
    with httpx.Client(base_url=url, headers=headers, timeout=300) as client:
        client.get("/healthz").raise_for_status()  # the connection, kept alive from here on
        barrier.wait()
        server_before, web_before = _tree_cpu_seconds(postmaster), _tree_cpu_seconds(gunicorn)
        cpu_before, started = time.process_time(), time.monotonic()
        done = 0
        for body in bodies:
            sent = time.monotonic()
            response = client.post("/api/v1/mentions/", content=body)
            latencies.append(time.monotonic() - sent)
            response.raise_for_status()
            done += response.json()["accepted"]
        finished = time.monotonic()
        server_after, web_after = _tree_cpu_seconds(postmaster), _tree_cpu_seconds(gunicorn)
    return Run(
        done,
        started,
        finished,
        time.process_time() - cpu_before,
        server_before,
        server_after,
        web_before,
        web_after,
        latencies,
    )


def _generate_only(count: int) -> float:
    started = time.perf_counter()
    for _ in _payloads(0, count):
        pass
    return time.perf_counter() - started


def copy_rows(workspace_id: int, count: int) -> list[list]:
    """The synthetic mentions as rows of COPY_COLUMNS, with constant values where the pipeline
    computes language, sentiment, topics and terms."""
    from listening.ingest import COPY_COLUMNS

    constant = {
        "media_type": "earned",
        "language": "en",
        "language_confidence": 0.9,
        "sentiment": "neutral",
        "sentiment_score": 0.0,
        "country": "",
        "topic_ids": [],
        "tags": [],
        "engagement": 0,
        "needs_answer": False,
        "answer_reason": "",
        "answered": False,
        "source": "api",
    }
    rows = []
    for n, (item, moment) in enumerate(synthetic_items(0, count)):
        values = {
            **constant,
            "id": n,
            "workspace_id": workspace_id,
            "created_at": moment,
            "platform": "demo",
            "external_id": f"bench-{n}",
            "kind": item.kind,
            "author_handle": item.author.handle,
            "author_name": item.author.name,
            "text": item.text,
            "url": item.url,
            "ingested_at": moment,
        }
        rows.append([values.get(column) for column in COPY_COLUMNS])
    return rows


# (name as printed, DDL creating bench_copy_target)
COPY_TARGETS = {
    "unlogged": (
        "UNLOGGED table, mention columns, no index, no search vector",
        [
            "CREATE UNLOGGED TABLE bench_copy_target (LIKE listening_mention INCLUDING DEFAULTS)",
            "ALTER TABLE bench_copy_target DROP COLUMN search_vector",
        ],
    ),
    "logged": (
        "LOGGED table, mention columns with the generated search vector and every index of the "
        "mention table (unpartitioned)",
        ["CREATE TABLE bench_copy_target (LIKE listening_mention INCLUDING ALL)"],
    ),
}


def copy_baseline(rows: list[list], *, binary: bool, target: str = "unlogged") -> tuple[float, int]:
    """Seconds to COPY `rows` (see copy_rows) from one client stream into a COPY_TARGETS table,
    in the text format (the figures recorded before 2026-11-30 19:31) or the binary one the
    pipeline uses, and how many indexes that table has."""
    from django.db import connection

    from listening.ingest.pipeline import COPY_COLUMNS, COPY_TYPES

    with connection.cursor() as wrapper:
        wrapper.execute("DROP TABLE IF EXISTS bench_copy_target")
        for statement in COPY_TARGETS[target][1]:
            wrapper.execute(statement)
        wrapper.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'bench_copy_target'")
        indexes = wrapper.fetchone()[0]
        wrapper.execute("CHECKPOINT")  # no earlier COPY's dirty pages to write meanwhile
        started = time.perf_counter()
        columns = ", ".join(COPY_COLUMNS)
        options = " (FORMAT BINARY)" if binary else ""
        with wrapper.cursor.copy(f"COPY bench_copy_target ({columns}) FROM STDIN{options}") as copy:
            if binary:
                copy.set_types([COPY_TYPES.get(column, "text") for column in COPY_COLUMNS])
            for row in rows:
                copy.write_row(row)
        seconds = time.perf_counter() - started
        wrapper.execute("DROP TABLE bench_copy_target")
    return seconds, indexes


_FLOOR_TABLE = "bench_floor_target"


def _floor_variants() -> list[tuple[str, list[str]]]:
    """(label, DDL after an unindexed copy of the mention table's columns) for each storage level."""
    from importlib import import_module

    definition = import_module("listening.migrations.0008_mention_search_text")
    vector = (
        f"ALTER TABLE {_FLOOR_TABLE} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        f"{definition.SEARCH_VECTOR}) STORED"
    )
    search = [
        vector,
        f"CREATE INDEX ON {_FLOOR_TABLE} USING gin (search_vector)",
        f"ALTER TABLE {_FLOOR_TABLE} ADD PRIMARY KEY (workspace_id, id, created_at)",
    ]
    # The mention table's other indexes (migrations 0002 and 0004), on one unpartitioned table.
    others = [
        f"CREATE INDEX ON {_FLOOR_TABLE} (workspace_id, created_at DESC, id DESC)",
        f"CREATE INDEX ON {_FLOOR_TABLE} USING gin (topic_ids)",
        f"CREATE INDEX ON {_FLOOR_TABLE} (workspace_id, customer_id, created_at DESC)",
        f"CREATE INDEX ON {_FLOOR_TABLE} (workspace_id, thread_id)",
        f"CREATE INDEX ON {_FLOOR_TABLE} (workspace_id, language, sentiment, created_at DESC, id DESC)",
        f"CREATE INDEX ON {_FLOOR_TABLE} (workspace_id, sentiment, created_at DESC, id DESC)",
    ]
    return [
        ("unindexed, no search vector", []),
        ("search vector only", [vector]),
        ("search vector + GIN + primary key", search),
        ("every index of the mention table", search + others),
    ]


def storage_floor(workspace_id: int, sample: int, repeats: int = 3) -> list[tuple[str, float]]:
    """Seconds per row PostgreSQL takes to store `sample` of the workspace's mentions at each level."""
    from django.db import connection

    from listening.ingest.pipeline import COPY_COLUMNS

    columns = ", ".join(COPY_COLUMNS)
    figures = []
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor_source")
        cursor.execute(
            f"CREATE TABLE bench_floor_source AS SELECT {columns} FROM listening_mention "
            "WHERE workspace_id = %s LIMIT %s",
            [workspace_id, sample],
        )
        cursor.execute("SELECT count(*) FROM bench_floor_source")
        rows = cursor.fetchone()[0]
        for label, statements in _floor_variants():
            best = float("inf")
            for _ in range(repeats):  # the best of a few: the floor, not the neighbours' noise
                cursor.execute(f"DROP TABLE IF EXISTS {_FLOOR_TABLE}")
                cursor.execute(f"CREATE TABLE {_FLOOR_TABLE} (LIKE listening_mention INCLUDING DEFAULTS)")
                cursor.execute(f"ALTER TABLE {_FLOOR_TABLE} DROP COLUMN search_vector")
                for statement in statements:
                    cursor.execute(statement)
                cursor.execute("CHECKPOINT")  # no earlier variant's dirty pages to write meanwhile
                started = time.perf_counter()
                cursor.execute(
                    f"INSERT INTO {_FLOOR_TABLE} ({columns}) SELECT {columns} FROM bench_floor_source"
                )
                best = min(best, time.perf_counter() - started)
            figures.append((label, best / rows))
        cursor.execute(f"DROP TABLE {_FLOOR_TABLE}")
        cursor.execute("DROP TABLE bench_floor_source")
    return figures


def _load() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def care_share(workspace_id: int) -> str:
    """How much of the batch went on to care: the demo network's mix has replies to the brand
    and direct messages, which need an answer; the public ones are offered to care's rule in the
    mention's own transaction (`listening.ingest._open_care_cases`)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE needs_answer), "
            "count(*) FILTER (WHERE needs_answer AND kind NOT IN ('dm', 'email')) "
            "FROM listening_mention WHERE workspace_id = %s",
            [workspace_id],
        )
        total, needing, public = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM care_case WHERE workspace_id = %s", [workspace_id])
        cases = cursor.fetchone()[0]
    return (
        f"{needing:,} of the {total:,} stored mentions need an answer; {public:,} of them public, "
        f"offered to care's rule while ingesting; {cases:,} care cases in the workspace"
    )


def _cpu_delta(results: list[Run], before: str, after: str) -> float | None:
    """A cumulative server counter from the first run's start to the last one's end."""
    first, last = min(results, key=lambda r: r.started), max(results, key=lambda r: r.finished)
    start, end = getattr(first, before), getattr(last, after)
    return None if start is None or end is None else end - start


def _report_rate(results: list[Run]) -> tuple[int, float, float]:
    accepted = sum(r.accepted for r in results)
    wall = max(r.finished for r in results) - min(r.started for r in results)
    return accepted, wall, accepted / wall


def run_in_process(args, workspace) -> float:
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(args.workers)
    jobs = [
        (workspace.pk, start, count, args.batch, args.include_generation, barrier)
        for start, count in _shares(args.count, args.workers)
    ]
    load_before = _load()
    with context.Pool(args.workers) as pool:
        results = pool.map(_worker, jobs)
    load_after = _load()
    accepted, wall, rate = _report_rate(results)
    timed = "generation included" if args.include_generation else "JSON bodies built before the clock"
    print(
        f"IN-PROCESS (service level: mentions_ingest_payload on json.loads of each body; no HTTP, no "
        f"auth, no DRF), {args.workers} worker processes, {timed}:"
    )
    print(f"  {accepted:,} mentions in {wall:,.1f} s: {rate:,.0f} mentions/s")
    python_cpu = sum(r.own_cpu for r in results)
    server_cpu = _cpu_delta(results, "server_before", "server_after")
    cpu = f"  CPU per mention: {python_cpu / accepted * 1e6:,.0f} µs in the workers"
    if server_cpu is not None:
        total = (python_cpu + server_cpu) / accepted
        cpu += (
            f" + {server_cpu / accepted * 1e6:,.0f} µs in PostgreSQL (all its processes) = {total * 1e6:,.0f} µs, "
            f"so at most {(os.cpu_count() or 1) / total:,.0f} mentions/s on {os.cpu_count()} idle cores"
        )
    print(cpu)
    print(f"  load average (1/5/15 min) before: {load_before}, after: {load_after}")
    print(f"  {care_share(workspace.pk)}")
    return rate


def _shares(count: int, parts: int) -> list[tuple[int, int]]:
    share = count // parts
    return [(i * share, share if i < parts - 1 else count - share * (parts - 1)) for i in range(parts)]


def _warm_up(url: str, token: str, workspace_id: int) -> None:
    """Every gunicorn worker loads its language model and lexicons before the clock: a few small
    batches in parallel (their mentions are not counted)."""
    import httpx

    headers = {"Authorization": f"Token {token}", "X-Workspace": str(workspace_id)}

    def post(n: int) -> None:
        items = [
            {**payload, "external_id": f"warm-{n}-{i}"} for i, payload in enumerate(_payloads(n * 20, 20))
        ]
        response = httpx.post(f"{url}/api/v1/mentions/", json={"items": items}, headers=headers, timeout=120)
        response.raise_for_status()
        if response.json()["accepted"] != len(items):
            raise RuntimeError(f"warm-up batch refused: {response.text[:500]}")

    with ThreadPoolExecutor(4) as executor:
        list(executor.map(post, range(12)))


def run_http(args, workspace) -> float:
    from django.db import connection, connections

    from bench.web import WebServer, api_member

    postmaster = _postmaster(connection)
    with WebServer(env={"CXM_API_RATE_USER": HTTP_RATE_LIMIT}, log=args.web_log) as web:
        token = api_member(workspace=workspace, url=web.url)
        _warm_up(web.url, token, workspace.pk)
        connections.close_all()
        context = multiprocessing.get_context("spawn")
        barrier = context.Manager().Barrier(args.clients)
        jobs = [
            (web.url, token, workspace.pk, start, count, args.batch, barrier, postmaster, web.process.pid)
            for start, count in _shares(args.count, args.clients)
        ]
        load_before = _load()
        with context.Pool(args.clients) as pool:
            results = pool.map(_http_client, jobs)
        load_after = _load()
        workers, threads = web.workers, web.threads
    accepted, wall, rate = _report_rate(results)
    latencies = [value for r in results for value in r.latencies]
    print(
        f"THROUGH HTTP (POST /api/v1/mentions/, token auth, JSON bodies of {args.batch} items; gunicorn "
        f"as `cxm run` starts it, {workers} workers x {threads} threads; {args.clients} client processes, "
        f"one request in flight each; bodies built before the clock):"
    )
    print(f"  {accepted:,} mentions in {wall:,.1f} s: {rate:,.0f} mentions/s")
    print(
        f"  per request: p50 {percentile(latencies, 50) * 1000:,.0f} ms, "
        f"p95 {percentile(latencies, 95) * 1000:,.0f} ms ({len(latencies)} requests)"
    )
    client_cpu = sum(r.own_cpu for r in results)
    web_cpu = _cpu_delta(results, "web_before", "web_after")
    server_cpu = _cpu_delta(results, "server_before", "server_after")
    if web_cpu is not None and server_cpu is not None:
        total = (web_cpu + server_cpu + client_cpu) / accepted
        print(
            f"  CPU per mention: {web_cpu / accepted * 1e6:,.0f} µs in gunicorn + "
            f"{server_cpu / accepted * 1e6:,.0f} µs in PostgreSQL (all its processes) + "
            f"{client_cpu / accepted * 1e6:,.0f} µs in the clients = {total * 1e6:,.0f} µs"
        )
    print(f"  load average (1/5/15 min) before: {load_before}, after: {load_after}")
    print(f"  {care_share(workspace.pk)}")
    return rate


# A benchmark's client is not what the per-user API rate limit is for (1,200/minute by default).
HTTP_RATE_LIMIT = "1000000/minute"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="in-process workers")
    parser.add_argument("--clients", type=int, default=2, help="HTTP client processes")
    parser.add_argument("--mode", choices=["both", "in-process", "http"], default="both")
    parser.add_argument("--batch", type=int, default=BATCH, help="items per call, as the API takes them")
    parser.add_argument(
        "--copy-sample", type=int, default=200_000, help="rows for the COPY baselines (0: none)"
    )
    parser.add_argument("--web-log", default=None, help="file for gunicorn's output")
    parser.add_argument(
        "--include-generation",
        action="store_true",
        help="in-process: generate the items inside the timed loop (how the 2026-11-23 figures were taken)",
    )
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request

    from bench.common import fresh_workspace, setup_django

    setup_django()
    sample = min(args.count, 50_000)
    generation = _generate_only(sample) / sample
    print(
        f"{args.count:,} synthetic mentions per mode; the demo generator alone makes "
        f"{1 / generation:,.0f} items/s per process; {os.cpu_count()} cores"
    )
    rates = {}
    workspaces = []
    if args.mode in ("both", "in-process"):
        workspaces.append(fresh_workspace("bench-ingest"))
        rates["in-process"] = run_in_process(args, workspaces[-1])
    if args.mode in ("both", "http"):
        workspaces.append(fresh_workspace("bench-ingest-http"))
        rates["HTTP"] = run_http(args, workspaces[-1])
    if args.copy_sample:
        rows = copy_rows(workspaces[0].pk, args.copy_sample)
        print(f"COPY baselines ({args.copy_sample:,} rows, one client stream, constant enrichment):")
        for target, (name, _statements) in COPY_TARGETS.items():
            for format_name, binary in (("text", False), ("binary", True)):
                seconds, indexes = copy_baseline(rows, binary=binary, target=target)
                copy_rate = args.copy_sample / seconds
                ratios = ", ".join(f"{mode} / COPY {rate / copy_rate:.3f}" for mode, rate in rates.items())
                print(
                    f"  {name} ({indexes} indexes), {format_name} format: {copy_rate:,.0f} rows/s; {ratios}"
                )
    print(f"load average (1/5/15 min) at the end: {_load()}")
    print("workspace ids: " + ", ".join(f"{w.pk} ({w.name})" for w in workspaces))


if __name__ == "__main__":
    main()
