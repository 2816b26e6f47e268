"""bench/storage_floor: what PostgreSQL alone spends storing the mentions `bench/ingest` stored.

    .venv/bin/python -m bench.storage_floor --workspace <id printed by bench.ingest>

Copies a sample of the workspace's mentions into tables of the mention table's columns, one
backend, `INSERT ... SELECT` (no client, no parsing): unindexed; with the language-aware search
vector; with the vector, its GIN index and the primary key (what full-text search needs); and
with every index of the mention table. Best of three each. Then the plain COPY rates of
`bench/ingest` (into the UNLOGGED unindexed table and the LOGGED one with the mention table's
columns and indexes, text and binary format) and how much CPU per mention a third of each leaves
on this machine's cores for the whole pipeline.

Run it after `bench/search`: the sample tables pass through the server's cache and push the
mention table's pages out of it.
"""

from __future__ import annotations

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspace", type=int, required=True)
    parser.add_argument("--sample", type=int, default=50_000, help="mentions copied per table")
    parser.add_argument("--copy-sample", type=int, default=200_000, help="rows for the COPY rates")
    args = parser.parse_args()

    from bench.common import setup_django

    setup_django()
    from bench.ingest import COPY_TARGETS, copy_baseline, copy_rows, storage_floor

    print(f"storage floor, PostgreSQL alone ({args.sample:,} mentions, INSERT ... SELECT, best of 3):")
    for label, seconds in storage_floor(args.workspace, args.sample):
        print(f"  {label}: {seconds * 1e6:,.1f} µs per mention")
    cores = os.cpu_count() or 1
    rows = copy_rows(args.workspace, args.copy_sample)
    print(f"plain COPY, one client stream, {args.copy_sample:,} rows with constant enrichment:")
    for target, (name, _statements) in COPY_TARGETS.items():
        for format_name, binary in (("text", False), ("binary", True)):
            seconds, indexes = copy_baseline(rows, binary=binary, target=target)
            rate = args.copy_sample / seconds
            print(
                f"  {name} ({indexes} indexes), {format_name} format: {rate:,.0f} rows/s; a third of it is {rate / 3:,.0f} "
                f"mentions/s, which leaves {cores / (rate / 3) * 1e6:,.0f} µs of CPU per mention on {cores} "
                "cores for parsing, enrichment and storage together"
            )


if __name__ == "__main__":
    main()
