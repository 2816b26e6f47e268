"""bench/chaos_dispatch: N due targets published to the local stub platform by real Celery workers
while workers are SIGKILLed again and again and Redis and PostgreSQL are each restarted once; a
pause is pressed near the end.

    .venv/bin/python -m bench.chaos_dispatch --targets 10000 --kills 20

Kills alternate between one pool child (the worker sees it lost and re-queues the task) and a
whole worker with its children (its unacknowledged tasks wait in Redis; the dispatcher re-enqueues
their targets after REENQUEUE_AFTER). Redis is stopped with SIGTERM and started again on its
append-only file; PostgreSQL is restarted with `pg_ctl restart -m fast`, which cuts every
connection. At the end it reports:

- duplicates: statuses the platform created beyond one per published target (must be 0),
- lost: targets neither published nor failed when the run ends (must be 0),
- publish calls that reached the platform after the pause call returned (must be 0),
- repeated calls the platform's idempotency keys absorbed (allowed: that is how a retry is safe).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT
from bench.workers import Workers


class ChaosWorkers(Workers):
    """Workers that can be SIGKILLed and started again one at a time."""

    def spawn(self, index: int) -> subprocess.Popen:
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cxm",
                "worker",
                "--loglevel",
                "ERROR",
                "--concurrency",
                str(self.concurrency),
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"chaos{index}-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            start_new_session=True,
            stderr=subprocess.DEVNULL,
        )
        if index < len(self.children):
            self.children[index] = child
        else:
            self.children.append(child)
        return child

    def kill_pool_child(self, index: int) -> bool:
        """SIGKILL one pool process of worker `index` (the task in hand is re-queued)."""
        import psutil

        try:
            children = psutil.Process(self.children[index].pid).children()
        except psutil.NoSuchProcess:
            return False
        if not children:
            return False
        os.kill(random.choice(children).pid, signal.SIGKILL)
        return True

    def kill_worker(self, index: int) -> None:
        """SIGKILL worker `index` with its pool, as a machine losing the process would, and start
        a new one in its place."""
        child = self.children[index]
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        self.spawn(index)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--concurrency", type=int, default=3, help="pool size per worker")
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs to deliver (at least)")
    parser.add_argument("--kill-every", type=float, default=2.0, help="seconds between kills")
    parser.add_argument("--tick", type=float, default=5.0, help="seconds between dispatcher ticks (beat)")
    parser.add_argument("--platform-delay", type=float, default=0.01, help="seconds each publish takes")
    parser.add_argument(
        "--watch", type=float, default=10.0, help="seconds to keep dispatching after the pause"
    )
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()

    from bench.common import setup_django

    services = setup_django("bench-chaos")
    try:
        run(args, services)
    finally:
        services.stop()


def _restart_postgres(services) -> None:
    from pgserver import _commands

    # pgserver runs the cluster as its own user when started by root.
    owner = {"user": Path(services.data_dir / "pg").owner()} if os.geteuid() == 0 else {}
    _commands.pg_ctl(["-m", "fast", "-w", "restart"], pgdata=services.data_dir / "pg", **owner)


def _restart_redis(services) -> None:
    process = services._redis_process
    if process is None:
        raise SystemExit("Redis is not the embedded one; set no REDIS_URL for this bench")
    process.terminate()  # Redis writes its append-only file on SIGTERM
    process.wait(timeout=15)
    services._redis_process = None
    time.sleep(1.0)  # a moment with nothing listening, as a real restart has
    services.start_redis()


def _survive(step, failures: list[str]):
    """Run one step of the driver; an outage of the database or Redis is noted and retried later."""
    from django.db import close_old_connections, connection

    from cxm.health import outage_part

    try:
        return step()
    except Exception as exc:
        part = outage_part(exc)
        if part is None:
            raise
        failures.append(part)
        connection.close()
        close_old_connections()
        return None


def run(args, services) -> None:
    from django.utils import timezone

    from bench.common import fresh_workspace
    from bench.platform_stub import PlatformStub
    from bench.publishing_setup import accounts_on, targets_due
    from cxm.health import redis_client
    from publishing.models import PostTarget, TargetStatus
    from publishing.services import (
        held_targets_decide,
        pause_activate,
        pause_resume,
        targets_enqueue_due,
    )
    from publishing.tasks import publish_targets

    outages: list[str] = []
    redis_client().flushdb()
    workers = ChaosWorkers(processes=args.workers, concurrency=args.concurrency)
    with PlatformStub(delay=args.platform_delay) as stub, workers:
        workspace = fresh_workspace("Chaos bench")
        accounts = accounts_on(stub, workspace, args.accounts)
        total = targets_due(workspace, accounts, targets=args.targets, due_at=timezone.now())
        mine = PostTarget.objects.filter(workspace=workspace)
        print(f"{total} targets on {len(accounts)} accounts, {args.workers} workers x {args.concurrency}")

        def dispatch():
            return targets_enqueue_due(enqueue=publish_targets.delay)

        def published_count():
            return mine.filter(status=TargetStatus.PUBLISHED).count()

        def settled_count():
            return mine.filter(
                status__in=[TargetStatus.PUBLISHED, TargetStatus.FAILED, TargetStatus.CANCELLED]
            ).count()

        started = time.monotonic()
        kills = {"pool child": 0, "worker": 0}
        restarted = {"redis": None, "postgresql": None}
        pause_report = None
        next_tick = next_kill = 0.0
        while True:
            now = time.monotonic()
            if now - started > args.timeout:
                raise SystemExit(f"gave up after {args.timeout:.0f} s")
            if now >= next_tick:
                _survive(dispatch, outages)
                next_tick = now + args.tick
            published = _survive(published_count, outages)
            if published is None:
                time.sleep(0.5)
                continue
            if sum(kills.values()) < args.kills and now >= next_kill:
                order = random.sample(range(args.workers), args.workers)
                if sum(kills.values()) % 2 == 0 and any(workers.kill_pool_child(i) for i in order):
                    kills["pool child"] += 1
                else:
                    workers.kill_worker(order[0])
                    kills["worker"] += 1
                next_kill = now + args.kill_every
            if restarted["redis"] is None and published >= total * 0.25:
                _restart_redis(services)
                restarted["redis"] = published
                print(f"restarted Redis at {published} published")
            if restarted["postgresql"] is None and published >= total * 0.5:
                _restart_postgres(services)
                restarted["postgresql"] = published
                print(f"restarted PostgreSQL at {published} published")
                continue
            if pause_report is None and published >= total * 0.9 and sum(kills.values()) >= args.kills:
                pause_report = _pause_and_watch(
                    args, workspace, stub, mine, pause_activate, dispatch, outages, published
                )
                pause = pause_report.pop("pause")
                pause_resume(workspace=workspace, pause=pause)
                held = list(mine.filter(status=TargetStatus.HELD).values_list("pk", flat=True))
                held_targets_decide(workspace=workspace, target_ids=held, decision="publish_now")
                print(f"pause: {pause_report}; resumed and published the {len(held)} held targets now")
                next_tick = 0.0
                continue
            if pause_report is not None:
                # A target claimed while the pause was still in force is held when its task
                # commits, which may be after the resume: decide those as a person would.
                late = list(mine.filter(status=TargetStatus.HELD).values_list("pk", flat=True))
                if late:
                    held_targets_decide(workspace=workspace, target_ids=late, decision="publish_now")
                    pause_report["held after the resume"] = pause_report.get(
                        "held after the resume", 0
                    ) + len(late)
            settled = _survive(settled_count, outages)
            if settled is not None and settled >= total and pause_report is not None:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        published = published_count()
        failed = mine.filter(status=TargetStatus.FAILED).count()
        lost = total - settled_count()
        stats = stub.stats()
    print(f"published {published}, failed {failed}, lost {lost} (must be 0)")
    print(
        f"duplicates: {max(stats['created'] - published, 0)} (statuses created {stats['created']}, must be 0)"
    )
    print(f"repeated calls absorbed by idempotency keys: {stats['repeats']}")
    print(f"publish calls after the pause returned: {pause_report['calls_after_pause']} (must be 0)")
    print(
        f"targets held by tasks that committed after the resume: {pause_report.get('held after the resume', 0)}"
    )
    print(f"SIGKILLs: {kills['pool child']} pool children, {kills['worker']} whole workers")
    print(f"Redis restarted at {restarted['redis']} published, PostgreSQL at {restarted['postgresql']}")
    print(f"driver steps that met an outage: {len(outages)} ({', '.join(sorted(set(outages))) or 'none'})")
    print(f"run time: {elapsed:.0f} s; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


def _pause_and_watch(args, workspace, stub, mine, pause_activate, dispatch, outages, published) -> dict:
    from publishing.models import TargetStatus

    started = time.perf_counter()
    pause = pause_activate(workspace=workspace, reason="chaos bench")
    latency = time.perf_counter() - started
    returned_at = time.time()
    deadline = time.monotonic() + args.watch
    while time.monotonic() < deadline:
        _survive(dispatch, outages)
        time.sleep(1)
    after = stub.stats(since=returned_at)
    return {
        "pause": pause,
        "pressed_at_published": published,
        "latency_ms": round(latency * 1000),
        "calls_after_pause": after["after"],
        "held": mine.filter(status=TargetStatus.HELD).count(),
    }


if __name__ == "__main__":
    main()
