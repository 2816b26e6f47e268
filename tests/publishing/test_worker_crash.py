"""A worker killed mid-run: every target still ends up published exactly once.

The dispatcher hands targets to a real Celery worker on real Redis, which publishes them to the
local Mastodon server; the worker is SIGKILLed while calls are in flight. The targets it held are
rolled back in the database and handed out again to a fresh worker, whose retries carry each
target's idempotency key, which Mastodon honours.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest

from publishing.models import PostTarget, TargetStatus
from publishing.services import post_create, post_submit, targets_enqueue_due
from publishing.tasks import publish_targets
from tests.conftest import WorkerProcess


def _dispatch(stale_after=timedelta(minutes=2)):
    return targets_enqueue_due(enqueue=publish_targets.delay, batch_size=4, stale_after=stale_after)


@pytest.mark.worker
def test_killing_the_worker_mid_run_publishes_every_target_exactly_once(
    celery_worker_process, make_account, mastodon
):
    mastodon.post_delay = 0.05
    accounts = [make_account(f"brand{i}") for i in range(3)]
    for n in range(30):
        post_submit(
            post=post_create(workspace=accounts[0].workspace, text=f"Post number {n}", accounts=accounts)
        )
    total = PostTarget.objects.count()
    assert total == 90

    _dispatch()
    deadline = time.monotonic() + 60
    while len(mastodon.created_statuses) < 15 and time.monotonic() < deadline:
        time.sleep(0.02)
    celery_worker_process.kill()
    published_before_crash = len(mastodon.created_statuses)
    assert 15 <= published_before_crash < total, "the crash must land mid-run"

    replacement = WorkerProcess().start()
    try:
        deadline = time.monotonic() + 90
        while PostTarget.objects.filter(status=TargetStatus.PUBLISHED).count() < total:
            assert time.monotonic() < deadline, "not every target was published after the crash"
            # As beat would, after the lost tasks went stale.
            _dispatch(stale_after=timedelta(seconds=3))
            time.sleep(1)
    finally:
        replacement.stop()

    created = mastodon.created_statuses
    assert len(created) == total
    # Three accounts each carry every post once (they share the one stub server).
    assert set(Counter(status["content"] for status in created).values()) == {3}
    targets = PostTarget.objects.all()
    assert {t.external_id for t in targets} == {status["id"] for status in created}
    calls = Counter(
        r.headers.get("Idempotency-Key") for r in mastodon.requests if r.path == "/api/v1/statuses"
    )
    assert set(calls) == {str(t.idempotency_key) for t in targets}
