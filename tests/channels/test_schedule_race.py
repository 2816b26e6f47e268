"""Two schedulers that read the same due accounts at the same moment enqueue each sync once."""

from __future__ import annotations

import threading

import pytest
from django.utils import timezone

from cxm.channels.models import ChannelAccount
from cxm.channels.selectors import accounts_due_for_sync
from cxm.channels.services.sync import accounts_schedule_due
from tests.concurrency import at_once


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_claim_each_due_account_once(workspace_a):
    accounts = [
        ChannelAccount.objects.create(
            workspace=workspace_a, platform="demo", handle=f"demo-{n}", next_sync_at=timezone.now()
        )
        for n in range(5)
    ]
    enqueued = []
    both_read = threading.Barrier(2)

    def scheduler():
        due = accounts_due_for_sync()
        both_read.wait(10)  # both have the same accounts in hand before either claims one
        return accounts_schedule_due(due=due, enqueue=lambda **kw: enqueued.append(kw["account_id"]))

    claimed = at_once(scheduler, scheduler)

    assert sorted(enqueued) == sorted(a.pk for a in accounts)
    assert sum(claimed) == len(accounts)
    assert accounts_due_for_sync() == []
