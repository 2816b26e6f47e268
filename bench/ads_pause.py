"""bench/ads_pause: 1,000 campaigns running on the local Graph API, which answers some calls with
rate-limit errors (codes 17, 613, 80004 and HTTP 429); new campaigns are being launched by real
Celery workers when an admin presses the pause with "also stop running ads". Reports how long
until every campaign reads back PAUSED on the platform (aim: 60 s), and how many calls other
than "set PAUSED" reached the platform after the pause returned (must be 0). Then resume, and
how long until exactly the stopped campaigns run again.

    .venv/bin/python -m bench.ads_pause --campaigns 1000 --rate-limit-ratio 0.1
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--campaigns", type=int, default=1000)
    parser.add_argument(
        "--launching", type=int, default=20, help="draft campaigns being launched at pause time"
    )
    parser.add_argument("--rate-limit-ratio", type=float, default=0.1)
    parser.add_argument("--rate-limit-reset", type=int, default=2, help="seconds the platform asks to wait")
    parser.add_argument("--platform-delay", type=float, default=0.03, help="seconds each Graph call takes")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--watch", type=float, default=5.0, help="seconds to keep watching once all read PAUSED"
    )
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()

    from bench.common import setup_django

    services = setup_django("bench-ads")
    try:
        run(args)
    finally:
        services.stop()


def run(args) -> None:
    from datetime import timedelta

    from ads import tasks
    from ads.models import AdCampaign, CampaignStop, StopState
    from ads.services import (
        ad_account_sync,
        ad_create,
        ad_set_create,
        ads_tick,
        campaign_create,
        campaign_launch,
    )
    from bench.common import fresh_workspace
    from bench.graph_stub import TOKEN, GraphStubProcess
    from bench.workers import Workers
    from cxm.channels.models import ChannelAccount
    from cxm.health import redis_client
    from publishing.services import pause_activate, pause_resume

    def tick():
        # What beat does every few seconds: hand out work that is due again (retries after a
        # rate limit, tasks lost...).
        ads_tick(
            enqueue_push=tasks.campaign_push.delay,
            enqueue_stops=tasks.stops_process.delay,
            enqueue_restores=tasks.restores_process.delay,
            stale_after=timedelta(seconds=30),
        )

    redis_client().flushdb()
    with (
        GraphStubProcess(delay=args.platform_delay, rate_limit_reset=args.rate_limit_reset) as stub,
        Workers(processes=args.workers, concurrency=args.concurrency),
    ):
        workspace = fresh_workspace("Ads pause bench")
        account = ChannelAccount.objects.create(
            workspace=workspace,
            platform="meta_ads",
            handle=stub.account_path,
            base_url=stub.base_url,
            credentials={"access_token": TOKEN},
            options={"page_id": stub.page_id, "rate_limit_default_seconds": args.rate_limit_reset},
        )
        seeded = stub.seed(args.campaigns)
        started = time.perf_counter()
        sync = ad_account_sync(account_id=account.pk, workspace_id=workspace.pk)
        sync_seconds = time.perf_counter() - started
        assert sync.outcome == "ok" and sync.campaigns == args.campaigns, sync

        # Launches in flight when the pause is pressed: each must either finish before the pause
        # returns (and be stopped with the others) or be held, never go out after it.
        drafts = []
        for n in range(args.launching):
            campaign = campaign_create(
                workspace=workspace, account=account, name=f"Launch {n}", daily_budget=5000
            )
            ad_set = ad_set_create(campaign=campaign, name=f"Launch {n} set", countries=["ID"])
            ad_create(
                ad_set=ad_set,
                name=f"Launch {n} ad",
                creative={"primary_text": f"Offer {n}", "link": "https://shop.example.com/"},
            )
            drafts.append(campaign)
        stub.configure(rate_limit_ratio=args.rate_limit_ratio)
        for campaign in drafts:
            campaign_launch(campaign=campaign)
        while sum(stub.stats()["created"].values()) < max(1, args.launching // 2):
            time.sleep(0.02)

        pressed = time.perf_counter()
        pressed_at = time.time()
        pause = pause_activate(workspace=workspace, reason="bench", stop_running_ads=True)
        latency = time.perf_counter() - pressed
        returned_at = time.time()
        recorded = CampaignStop.objects.filter(pause=pause).count()

        all_paused_after = None
        deadline = time.monotonic() + args.timeout
        last_tick = 0.0
        while time.monotonic() < deadline:
            stats = stub.stats(since=returned_at)
            if stats["campaigns"].get("ACTIVE", 0) == 0 and all_paused_after is None:
                all_paused_after = time.time() - pressed_at
                watch_until = time.monotonic() + args.watch
            if all_paused_after is not None and time.monotonic() >= watch_until:
                break
            if time.monotonic() - last_tick > 1:
                tick()
                last_tick = time.monotonic()
            time.sleep(0.1)
        after = stub.stats(since=returned_at)
        states = {s: CampaignStop.objects.filter(pause=pause, state=s).count() for s in StopState.values}
        held = AdCampaign.objects.filter(workspace=workspace, push_state="held").count()
        launched_before = (
            AdCampaign.objects.filter(workspace=workspace, origin="cxm").exclude(external_id="").count()
        )

        stopped_ids = set(
            CampaignStop.objects.filter(pause=pause, state=StopState.STOPPED).values_list(
                "campaign__external_id", flat=True
            )
        )
        resumed = time.time()
        pause_resume(workspace=workspace)
        restored_after = None
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            if not CampaignStop.objects.filter(pause=pause, state=StopState.RESTORING).exists():
                restored_after = time.time() - resumed
                break
            if time.monotonic() - last_tick > 1:
                tick()
                last_tick = time.monotonic()
            time.sleep(0.1)
        final = stub.stats()
        restored = CampaignStop.objects.filter(pause=pause, state=StopState.RESTORED).count()

    total = args.campaigns + launched_before
    print(
        f"{args.campaigns} running campaigns on the local Graph API ({len(seeded)} seeded), read in in {sync_seconds:.1f} s"
    )
    print(
        f"{args.launching} campaigns being launched at pause time: {launched_before} reached the platform "
        f"before the pause returned, {held} held"
    )
    print(
        f"rate-limit answers: {args.rate_limit_ratio:.0%} of calls (codes 17/613/80004/429), reset {args.rate_limit_reset} s"
    )
    print(f"pause call latency (with {recorded} stops recorded): {latency * 1000:.0f} ms")
    if all_paused_after is None:
        print(f"NOT every campaign read back PAUSED within {args.timeout:.0f} s: {after['campaigns']}")
    else:
        print(f"time until all {total} campaigns read back PAUSED: {all_paused_after:.1f} s (aim: 60 s)")
    print(
        f"calls after the pause returned: {after['pause_writes_after']} set PAUSED, "
        f"{after['other_writes_after']} other writes (must be 0), {after['reads_after']} reads"
    )
    print(f"throttled answers the platform gave: {after['throttled']}")
    print(f"stops: {', '.join(f'{k} {v}' for k, v in states.items() if v)}")
    if restored_after is None:
        print("resume: restores did not finish in time")
    else:
        print(
            f"resume: {restored} of {len(stopped_ids)} stopped campaigns active again after {restored_after:.1f} s; "
            f"campaigns on the platform now {final['campaigns']}"
        )
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
