"""bench/search: p50/p95 of 200 mixed Explorer queries (text + filters + facets) over the
mentions `bench.ingest` stored, then the same queries with the mention indexes dropped (inside a
transaction that is rolled back), as a ratio.

    .venv/bin/python -m bench.search --workspace <id printed by bench.ingest>

The table is vacuumed and analysed first, as autovacuum would after a bulk load. "Without
indexes" drops every index of the mention table but its primary key. The slowest queries are
listed with their parameters, and the load average is printed, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import random
import time

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


def run(workspace, params_list, label: str) -> list[float]:
    from listening.selectors import ExplorerFilters, mentions_search

    timings = []
    for params in params_list:
        filters = ExplorerFilters.from_params(params)
        started = time.perf_counter()
        page = mentions_search(workspace=workspace, filters=filters, facets=True)
        timings.append((time.perf_counter() - started) * 1000)
        assert page is not None
    return timings


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
    args = parser.parse_args()
    from bench.common import percentile, setup_django

    setup_django()
    from django.db import connection, transaction

    from cxm.tenancy.models import Workspace

    workspace = Workspace.objects.get(pk=args.workspace)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM listening_mention WHERE workspace_id = %s", [workspace.pk])
        total = cursor.fetchone()[0]
        # As autovacuum would after a bulk load: statistics, hint bits and the visibility map.
        cursor.execute("VACUUM (ANALYZE) listening_mention")
    mixed = queries(args.queries)
    run(workspace, mixed[:10], "warm-up")
    indexed = run(workspace, mixed, "indexed")
    sample = mixed[: args.no_index_queries]
    indexed_sample = run(workspace, sample, "indexed sample")
    load_indexed = _load()
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
    p50, p95 = percentile(indexed, 50), percentile(indexed, 95)
    print(f"mentions in workspace: {total:,}")
    print(f"{len(indexed)} mixed Explorer queries (results + facets): p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    print(f"  load average (1/5/15 min) after them: {load_indexed}; {os.cpu_count()} cores")
    slowest = sorted(zip(indexed, mixed, strict=True), key=lambda pair: pair[0], reverse=True)[
        : args.show_slowest
    ]
    for milliseconds, params in slowest:
        print(f"  {milliseconds:7.1f} ms  {params}")
    print(
        f"same {len(sample)} queries without indexes: p50 {percentile(plain, 50):.1f} ms, "
        f"p95 {percentile(plain, 95):.1f} ms"
    )
    print(
        f"indexed vs unindexed p95 on that sample: {percentile(indexed_sample, 95):.1f} ms vs "
        f"{percentile(plain, 95):.1f} ms ({percentile(plain, 95) / max(percentile(indexed_sample, 95), 0.001):.1f}x)"
    )
    print(f"  indexes dropped for that: {', '.join(dropped)}; load average after: {_load()}")


def _load() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
