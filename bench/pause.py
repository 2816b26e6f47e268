"""bench/pause: with posts flowing to a local stub platform through real Celery workers, press
the pause: how long the pause call takes, and how many publish calls reached the platform after
it returned (must be 0).

    .venv/bin/python -m bench.pause --targets 3000 --concurrency 6 --after 300

The platform answers each publish after `--platform-delay` seconds, so calls are in flight when
the pause is pressed; the pause waits for those to finish and no later one starts.
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=int, default=3000)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--after", type=int, default=300, help="press pause after this many are published")
    parser.add_argument("--platform-delay", type=float, default=0.05)
    parser.add_argument(
        "--watch", type=float, default=10.0, help="seconds to keep dispatching after the pause"
    )
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
    from publishing.services import pause_activate, pause_resume, targets_enqueue_due
    from publishing.tasks import publish_targets

    def dispatch():
        targets_enqueue_due(enqueue=publish_targets.delay, batch_size=10)

    redis_client().flushdb()
    with (
        PlatformStub(delay=args.platform_delay) as stub,
        Workers(processes=args.workers, concurrency=args.concurrency),
    ):
        workspace = fresh_workspace("Pause bench")
        accounts = accounts_on(stub, workspace, args.accounts)
        total = targets_due(workspace, accounts, targets=args.targets, due_at=timezone.now())
        mine = PostTarget.objects.filter(workspace=workspace)
        dispatch()
        while stub.stats()["created"] < args.after:
            time.sleep(0.05)
        before = stub.stats()
        started = time.perf_counter()
        pause_activate(workspace=workspace, reason="bench")
        latency = time.perf_counter() - started
        returned_at = time.time()
        # Keep the dispatcher going as beat would: everything still due must now be held.
        deadline = time.monotonic() + args.watch
        while time.monotonic() < deadline:
            dispatch()
            time.sleep(1)
        after = stub.stats(since=returned_at)
        held = mine.filter(status=TargetStatus.HELD).count()
        published = mine.filter(status=TargetStatus.PUBLISHED).count()
        scheduled = mine.filter(status=TargetStatus.SCHEDULED).count()
        pause_resume(workspace=workspace)
    print(f"{total} targets; pause pressed after {before['created']} were published")
    print(f"pause call latency: {latency * 1000:.0f} ms")
    print(f"publish calls that reached the platform after the pause returned: {after['after']}")
    print(f"published {published}, held {held}, still waiting for a worker {scheduled} (held when claimed)")
    print(f"statuses created {after['created']} (= published: {after['created'] == published})")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
