"""bench/ingest_stages: where an ingested mention's time goes, stage by stage.

    .venv/bin/python -m bench.ingest_stages --count 20000

One process, in-process (service level: `mentions_ingest_payload` on `json.loads` of each body,
as bench/ingest's workers call it), the same synthetic mentions in batches of 1,000 into a fresh
workspace, under Python's profiler. Prints the wall time per mention spent in each stage of the
pipeline, the time PostgreSQL takes included where the stage waits for it (key claim, COPY,
roll-ups). The profiler adds its own cost to every Python call, so the stages add up to more than
the same run without it; the figures show the proportions, bench/ingest the rate.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import time

# (label, module file ending, function name)
STAGES = [
    ("parsing the JSON bodies (json.loads)", "json/__init__.py", "loads"),
    ("the whole call (mentions_ingest_payload)", "listening/ingest.py", "mentions_ingest_payload"),
    ("  validating the payloads (raw_from_payload)", "listening/ingest.py", "raw_from_payload"),
    ("  enrichment, all of it (_enrich)", "listening/ingest.py", "_enrich"),
    ("    language detection (detect_languages)", "listening/enrichment/language.py", "detect_languages"),
    ("    sentiment (score_many)", "listening/enrichment/sentiment.py", "score_many"),
    ("    tokenising for topics and terms (tokenize_text)", "listening/query.py", "tokenize_text"),
    ("  monthly partitions (ensure_partitions)", "listening/partitions.py", "ensure_partitions"),
    ("  claiming the keys, PostgreSQL included (_claim_keys)", "listening/ingest.py", "_claim_keys"),
    ("  the mention COPY, PostgreSQL included (_copy)", "listening/ingest.py", "_copy"),
    ("  daily roll-ups, PostgreSQL included (_roll_up)", "listening/ingest.py", "_roll_up"),
    ("  care's rule, cases opened or extended (_open_care_cases)", "listening/ingest.py", "_open_care_cases"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()

    from bench.common import fresh_workspace, setup_django

    setup_django()
    from bench.ingest import _batches, _body, _payloads, care_share
    from listening.enrichment import detect_languages, score_many
    from listening.services import mentions_ingest_payload

    workspace = fresh_workspace("bench-ingest-stages")
    bodies = [_body(batch) for batch in _batches(_payloads(0, args.count), args.batch)]
    mentions_ingest_payload(workspace_id=workspace.pk, items=[])
    detect_languages(["warm up the language model"])
    score_many(["warm up the lexicons"], ["en"])
    profiler = cProfile.Profile()
    accepted = 0
    started = time.perf_counter()
    profiler.enable()
    for body in bodies:
        accepted += mentions_ingest_payload(
            workspace_id=workspace.pk, items=json.loads(body)["items"]
        ).accepted
    profiler.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(
        profiler
    ).stats  # (file, line, name) -> (calls, primitive, tottime, cumtime, callers)
    print(
        f"{accepted:,} mentions in one process, in-process (service level), under the profiler: "
        f"{wall:.1f} s, {accepted / wall:,.0f} mentions/s"
    )
    print(
        "wall time per mention in each stage (µs), PostgreSQL's part included where the stage waits for it:"
    )
    for label, ending, name in STAGES:
        seconds = sum(
            value[3]
            for (filename, _line, function), value in stats.items()
            if function == name and filename.replace(os.sep, "/").endswith(ending)
        )
        print(f"  {label:<60} {seconds / accepted * 1e6:8.1f}")
    print(care_share(workspace.pk))
    print(
        f"load average (1/5/15 min): {'/'.join(f'{v:.2f}' for v in os.getloadavg())}; {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
