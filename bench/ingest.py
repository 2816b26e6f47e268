"""bench/ingest: N synthetic multilingual mentions through the whole ingest pipeline (validate,
detect language, score sentiment, tag, match topics, link customers, de-duplicate, store with
roll-ups), against a plain COPY of the same rows into an unindexed table.

    .venv/bin/python -m bench.ingest --count 1000000 --workers 2

Each worker builds its batches first, as the JSON bodies the API receives, then all start
together on a barrier: the clock measures the pipeline from parsing each body on, not the demo
generator (`--include-generation` times both, as the first
recorded figures did). Prints mentions/s for the pipeline, the CPU each mention cost (in the
worker processes, and in all processes of the PostgreSQL server, autovacuum and WAL writer
included, read from /proc when the server is local), rows/s for the COPY, their ratio, and the
load average, since the machine may be shared.

`bench/storage_floor` measures what PostgreSQL alone spends storing these mentions; run it after
`bench/search`, since it fills the server's cache with other tables.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import time
from datetime import UTC, datetime, timedelta

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


def _server_cpu_seconds(backend: int) -> float | None:
    """CPU used so far by the whole PostgreSQL server a backend belongs to: the postmaster, its
    live children (backends, autovacuum, WAL writer, checkpointer) and its exited children.
    None when the server is not on this machine."""
    try:
        postmaster = int(_stat(backend)[1])
        fields = _stat(postmaster)
        ticks = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    child = _stat(int(entry.name))
                except OSError:
                    continue  # exited meanwhile
                if child[1] == str(postmaster):
                    ticks += int(child[11]) + int(child[12])
    except (OSError, IndexError, ValueError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


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
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    from listening.enrichment import detect_languages, score_many

    detect_languages(["warm up the language model"])
    score_many(["warm up the lexicons"], ["en"])
    barrier.wait()
    server_before = _server_cpu_seconds(backend)
    cpu_before, started = time.process_time(), time.monotonic()
    done = 0
    for body in bodies:
        done += mentions_ingest_payload(workspace_id=workspace_id, items=json.loads(body)["items"]).accepted
    finished = time.monotonic()
    server_after = _server_cpu_seconds(backend)
    return done, started, finished, time.process_time() - cpu_before, server_before, server_after


def _generate_only(count: int) -> float:
    started = time.perf_counter()
    for _ in _payloads(0, count):
        pass
    return time.perf_counter() - started


def copy_baseline(workspace_id: int, count: int, *, binary: bool) -> float:
    """COPY the same columns, already enriched, into an unindexed table: the storage floor. In the
    text format (the figures recorded before 2026-11-30 19:31) or the binary one the pipeline uses."""
    from django.db import connection

    from listening.ingest.pipeline import COPY_COLUMNS, COPY_TYPES

    rows = []
    for n, (item, moment) in enumerate(synthetic_items(0, count)):
        rows.append(
            [
                n,
                workspace_id,
                moment,
                "demo",
                f"bench-{n}",
                None,
                None,
                None,
                item.kind,
                "earned",
                None,
                None,
                item.author.handle,
                item.author.name,
                item.text,
                item.url,
                None,
                None,
                "en",
                0.9,
                "neutral",
                0.0,
                "",
                [],
                [],
                0,
                False,
                False,
                moment,
                "api",
                None,
            ]
        )
    with connection.cursor() as wrapper:
        wrapper.execute("DROP TABLE IF EXISTS bench_copy_target")
        wrapper.execute("CREATE UNLOGGED TABLE bench_copy_target (LIKE listening_mention INCLUDING DEFAULTS)")
        wrapper.execute("ALTER TABLE bench_copy_target DROP COLUMN search_vector")
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
    return seconds


_FLOOR_TABLE = "bench_floor_target"


def _floor_variants() -> list[tuple[str, list[str]]]:
    """(label, DDL after an unindexed copy of the mention table's columns) for each storage level."""
    from importlib import import_module

    definition = import_module("listening.migrations.0002_mention_tables")
    vector = (
        f"ALTER TABLE {_FLOOR_TABLE} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        f"to_tsvector({definition.CASE}, text) || to_tsvector('simple'::regconfig, text)) STORED"
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--batch", type=int, default=BATCH, help="items per call, as the API takes them")
    parser.add_argument("--copy-sample", type=int, default=200_000, help="rows for the COPY baseline")
    parser.add_argument(
        "--include-generation",
        action="store_true",
        help="generate the items inside the timed loop (how the 2026-11-23 figures were taken)",
    )
    args = parser.parse_args()

    from bench.common import fresh_workspace, setup_django

    setup_django()
    workspace = fresh_workspace("bench-ingest")
    sample = min(args.count, 50_000)
    generation = _generate_only(sample) / sample
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(args.workers)
    share = args.count // args.workers
    jobs = [
        (
            workspace.pk,
            i * share,
            share if i < args.workers - 1 else args.count - share * (args.workers - 1),
            args.batch,
            args.include_generation,
            barrier,
        )
        for i in range(args.workers)
    ]
    load_before = _load()
    with context.Pool(args.workers) as pool:
        results = pool.map(_worker, jobs)
    load_after = _load()
    accepted = sum(r[0] for r in results)
    wall = max(r[2] for r in results) - min(r[1] for r in results)
    pipeline_rate = accepted / wall
    python_cpu = sum(r[3] for r in results)
    # The server's counters are cumulative: from the first worker's start to the last one's end.
    first, last = min(results, key=lambda r: r[1]), max(results, key=lambda r: r[2])
    server_cpu = None if first[4] is None or last[5] is None else last[5] - first[4]
    copy_rate = args.copy_sample / copy_baseline(workspace.pk, args.copy_sample, binary=False)
    binary_copy_rate = args.copy_sample / copy_baseline(workspace.pk, args.copy_sample, binary=True)
    timed = "generation included" if args.include_generation else "JSON bodies built before the clock"
    print(f"mentions ingested: {accepted:,} in {wall:,.1f} s with {args.workers} workers ({timed})")
    print(
        f"pipeline rate: {pipeline_rate:,.0f} mentions/s (synthetic generation alone: "
        f"{1 / generation:,.0f} items/s per process)"
    )
    cpu = f"CPU per mention: {python_cpu / accepted * 1e6:,.0f} µs in the workers"
    if server_cpu is not None:
        total = (python_cpu + server_cpu) / accepted
        cpu += (
            f" + {server_cpu / accepted * 1e6:,.0f} µs in PostgreSQL (all its processes) = {total * 1e6:,.0f} µs, "
            f"so at most {(os.cpu_count() or 1) / total:,.0f} mentions/s on {os.cpu_count()} idle cores"
        )
    print(cpu)
    print(
        f"plain COPY into an unindexed table ({args.copy_sample:,} rows): {copy_rate:,.0f} rows/s in the "
        f"text format, {binary_copy_rate:,.0f} rows/s in the binary format"
    )
    print(
        f"pipeline / COPY: {pipeline_rate / copy_rate:.2f} (text), {pipeline_rate / binary_copy_rate:.2f} (binary)"
    )
    print(f"load average (1/5/15 min) before: {load_before}, after: {load_after}; {os.cpu_count()} cores")
    print(f"workspace id: {workspace.pk}")


if __name__ == "__main__":
    main()
