"""bench/ingest: N synthetic multilingual mentions through the whole ingest pipeline (validate,
detect language, score sentiment, tag, match topics, link customers, de-duplicate, store with
roll-ups), against a plain COPY of the same rows into an unindexed table.

    .venv/bin/python -m bench.ingest --count 1000000 --workers 2

Prints mentions/s for the pipeline, rows/s for the COPY, and their ratio.
"""

from __future__ import annotations

import argparse
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


def _worker(args):
    workspace_id, start, count = args
    from bench.common import setup_django

    setup_django()
    from listening.services import mentions_ingest_payload

    batch, done, started = [], 0, time.perf_counter()
    for n, (item, moment) in enumerate(synthetic_items(start, count), start=start):
        batch.append(_payload(item, moment, n))
        if len(batch) == BATCH:
            done += mentions_ingest_payload(workspace_id=workspace_id, items=batch).accepted
            batch = []
    if batch:
        done += mentions_ingest_payload(workspace_id=workspace_id, items=batch).accepted
    return done, time.perf_counter() - started


def _generate_only(count: int) -> float:
    started = time.perf_counter()
    for _ in synthetic_items(0, count):
        pass
    return time.perf_counter() - started


def copy_baseline(workspace_id: int, count: int) -> float:
    """COPY the same columns, already enriched, into an unindexed table: the storage floor."""
    from django.db import connection

    from listening.ingest import COPY_COLUMNS

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
        with wrapper.cursor.copy(f"COPY bench_copy_target ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        seconds = time.perf_counter() - started
        wrapper.execute("DROP TABLE bench_copy_target")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--copy-sample", type=int, default=200_000, help="rows for the COPY baseline")
    args = parser.parse_args()

    from bench.common import fresh_workspace, setup_django

    setup_django()
    workspace = fresh_workspace("bench-ingest")
    share = args.count // args.workers
    jobs = [
        (workspace.pk, i * share, share if i < args.workers - 1 else args.count - share * (args.workers - 1))
        for i in range(args.workers)
    ]
    generation = _generate_only(min(args.count, 50_000)) / min(args.count, 50_000)
    from django.db import connections

    connections.close_all()
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        results = pool.map(_worker, jobs)
    wall = time.perf_counter() - started
    accepted = sum(r[0] for r in results)
    pipeline_rate = accepted / wall
    copy_seconds = copy_baseline(workspace.pk, args.copy_sample)
    copy_rate = args.copy_sample / copy_seconds
    print(f"mentions ingested: {accepted:,} in {wall:,.1f} s with {args.workers} workers")
    print(
        f"pipeline rate: {pipeline_rate:,.0f} mentions/s (synthetic generation alone: "
        f"{1 / generation:,.0f} items/s per process, included in the time)"
    )
    print(f"plain COPY into an unindexed table: {copy_rate:,.0f} rows/s ({args.copy_sample:,} rows)")
    print(f"pipeline / COPY: {pipeline_rate / copy_rate:.2f}")
    print(f"workspace id: {workspace.pk}")


if __name__ == "__main__":
    main()
