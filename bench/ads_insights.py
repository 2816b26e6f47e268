"""bench/ads_insights: import a Google Ads performance report of 1,000,000 rows (1,000 ads x 1,000
days) through the CSV import service, and report rows per second for the preview and the commit.

    .venv/bin/python -m bench.ads_insights
    .venv/bin/python -m bench.ads_insights --rows 200000

Rows go in as `AdInsight` under placeholder campaigns, ad sets and ads (the import's own path:
parse, validate per row, upsert in batches of 10,000 with `INSERT ... ON CONFLICT`). A second
import of the same report (every row an update) is timed too.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from datetime import date, timedelta

from bench.common import fresh_workspace, setup_django

HEADER = "Day,Campaign,Campaign ID,Ad group,Ad group ID,Ad name,Ad ID,Currency code,Impr.,Clicks,Cost,Conversions,Conv. value\n"


def report(rows: int, ads: int = 1000) -> str:
    out = io.StringIO()
    out.write("Ad performance report\n")
    out.write(HEADER)
    start = date(2023, 1, 1)
    days = -(-rows // ads)
    written = 0
    for day in range(days):
        when = (start + timedelta(days=day)).isoformat()
        for ad in range(ads):
            if written == rows:
                break
            campaign, group = ad // 20, ad // 5
            impressions = 1000 + (ad * 37 + day * 11) % 9000
            clicks = impressions // 50
            out.write(
                f"{when},Campaign {campaign},{1000 + campaign},Group {group},{5000 + group},Ad {ad},"
                f"{90000 + ad},USD,{impressions},{clicks},{clicks * 0.41:.2f},{clicks // 20},"
                f"{(clicks // 20) * 23.5:.2f}\n"
            )
            written += 1
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    setup_django("bench-ads")

    from ads.models import AdInsight
    from ads.services import insights_import_commit, insights_import_preview

    workspace = fresh_workspace("bench ads insights")
    started = time.perf_counter()
    content = report(args.rows)
    print(
        f"report: {args.rows:,} rows, {len(content) / 1e6:.1f} MB, built in {time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    preview = insights_import_preview(content=content)
    seconds = time.perf_counter() - started
    print(
        f"preview (parse + validate every row): {seconds:.1f} s, {preview.rows / seconds:,.0f} rows/s, "
        f"platform {preview.platform}, errors {preview.error_count}"
    )
    for label in ("import (insert)", "re-import (update)"):
        started = time.perf_counter()
        result = insights_import_commit(workspace=workspace, content=content)
        seconds = time.perf_counter() - started
        print(
            f"{label}: {result.stored:,} rows in {seconds:.1f} s = {result.stored / seconds:,.0f} rows/s, "
            f"{result.error_count} errors, {result.campaigns_created} campaigns created"
        )
    stored = AdInsight.objects.filter(workspace=workspace).count()
    assert stored == args.rows, (stored, args.rows)
    print(f"stored: {stored:,} insight rows")
    print("load average (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    print(f"cpus: {os.cpu_count()}")


if __name__ == "__main__":
    main()
