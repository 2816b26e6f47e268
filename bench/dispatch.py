"""bench/dispatch: N targets due in the same minute, published by real Celery workers through the
Mastodon connector to a local stub platform, with the dispatcher ticking as beat does.

    .venv/bin/python -m bench.dispatch --targets 10000 --workers 1 --concurrency 8

Prints the time from the due moment until the last target is published, targets/s, and how many
were published twice (statuses created twice for one target: must be 0), plus the repeated calls
the platform's idempotency absorbed.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import timedelta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--concurrency", type=int, default=8, help="pool size per worker")
    parser.add_argument("--tick", type=float, default=5.0, help="seconds between dispatcher ticks (beat)")
    parser.add_argument("--platform-delay", type=float, default=0.0, help="seconds each publish takes")
    args = parser.parse_args()

    from bench.common import setup_django

    services = setup_django("bench-publishing")
    try:
        run(args)
    finally:
        services.stop()


def run(args) -> None:
    from django.utils import timezone

    from bench.common import fresh_workspace
    from bench.platform_stub import PlatformStub
    from bench.publishing_setup import accounts_on, targets_due
    from bench.workers import Workers
    from cxm.health import redis_client
    from publishing.models import PostTarget, TargetStatus
    from publishing.services import targets_enqueue_due
    from publishing.tasks import publish_targets

    redis_client().flushdb()
    with (
        PlatformStub(delay=args.platform_delay) as stub,
        Workers(processes=args.workers, concurrency=args.concurrency),
    ):
        workspace = fresh_workspace("Dispatch bench")
        accounts = accounts_on(stub, workspace, args.accounts)
        due_at = timezone.now() + timedelta(seconds=5)
        total = targets_due(workspace, accounts, targets=args.targets, due_at=due_at)
        print(f"{total} targets on {len(accounts)} accounts due at {due_at:%H:%M:%S}")
        while timezone.now() < due_at:
            time.sleep(0.05)
        started = time.monotonic()
        mine = PostTarget.objects.filter(workspace=workspace)
        next_tick = 0.0
        while True:
            now = time.monotonic()
            if now >= next_tick:
                targets_enqueue_due(enqueue=publish_targets.delay)
                next_tick = now + args.tick
            done = mine.filter(status__in=[TargetStatus.PUBLISHED, TargetStatus.FAILED]).count()
            if done >= total:
                break
            if now - started > 1800:
                raise SystemExit("gave up after 30 minutes")
            time.sleep(0.2)
        last = max(mine.values_list("published_at", flat=True))
        elapsed = (last - due_at).total_seconds()
        stats = stub.stats()
        published = mine.filter(status=TargetStatus.PUBLISHED).count()
        failed = total - published
        twice = stats["created"] - published
    print(f"published {published}, failed {failed}")
    print(f"time from due to last published: {elapsed:.1f} s")
    print(f"targets/s: {published / elapsed:,.0f}")
    print(f"published twice: {max(twice, 0)} (statuses created {stats['created']} for {published} targets)")
    print(f"repeated calls absorbed by idempotency keys: {stats['repeats']}")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
