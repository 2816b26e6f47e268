"""Polling through a real Celery worker on real Redis: beat's task finds the due account, the
worker syncs it, and the demo network's items arrive as mentions."""

import time

import pytest
from django.utils import timezone

from cxm.channels.models import ChannelAccount
from cxm.channels.tasks import poll_due
from listening.models import Mention


@pytest.mark.worker
def test_a_due_account_is_synced_by_the_worker_into_mentions(celery_worker_process, workspace_a):
    account = ChannelAccount.objects.create(
        workspace=workspace_a,
        platform="demo",
        handle="demo-stream",
        options={"seed": 5, "rate_per_minute": 30},
        next_sync_at=timezone.now(),
    )
    poll_due.delay()  # through the broker, as beat sends it
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not ChannelAccount.objects.get(pk=account.pk).last_synced_at:
        time.sleep(0.3)
    account.refresh_from_db()
    stored = Mention.objects.filter(workspace_id=workspace_a.pk, account_id=account.pk).count()
    assert stored > 0
    assert account.items_received == stored
    assert account.status == "connected" and account.last_synced_at is not None
