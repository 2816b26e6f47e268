"""A write that locks post targets locks those rows and the ones it changes, not the channel
account or the workspace its query joins: a sync, an account edit or a workspace edit running at
the same moment is not held up (nor skipped by a worker that claims with SKIP LOCKED)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import OperationalError, transaction
from django.utils import timezone

from cxm.channels.models import ChannelAccount
from cxm.tenancy.models import Workspace
from publishing.models import TargetStatus
from publishing.services import dispatch as dispatch_services
from publishing.services import posts as post_services
from publishing.services.dispatch import held_targets_decide, target_publish
from publishing.services.pause import pause_activate, pause_resume
from publishing.services.posts import post_cancel, post_create, post_submit
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db(transaction=True)


def _pausing(monkeypatch, module, name):
    """Make `module.name` (called while the rows are locked) wait until the other side has tried
    to lock the account and the workspace."""
    locked, tried = threading.Event(), threading.Event()
    original = getattr(module, name)

    def waiting(*args, **kwargs):
        locked.set()
        assert tried.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, waiting)
    return locked, tried


def _lock_now(model, pk) -> str:
    try:
        with transaction.atomic():
            model.objects.select_for_update(nowait=True).get(pk=pk)
    except OperationalError:
        return "locked by the other side"
    return "free"


def _other_side(locked, tried, account):
    def run():
        assert locked.wait(10)
        try:
            return _lock_now(ChannelAccount, account.pk), _lock_now(Workspace, account.workspace_id)
        finally:
            tried.set()

    return run


def test_cancelling_a_post_leaves_its_accounts_and_workspace_unlocked(make_account, monkeypatch):
    account = make_account()
    post = post_create(
        workspace=account.workspace,
        text="Flash sale",
        accounts=[account],
        scheduled_at=timezone.now() + timedelta(days=1),
    )
    post = post_submit(post=post)
    assert post.targets.get().status == TargetStatus.SCHEDULED
    locked, tried = _pausing(monkeypatch, post_services, "_audit")

    cancelled, other = at_once(lambda: post_cancel(post=post), _other_side(locked, tried, account))

    assert other == ("free", "free")
    assert cancelled.targets.get().status == TargetStatus.CANCELLED


def test_deciding_about_held_targets_leaves_their_accounts_unlocked(make_account, monkeypatch):
    account = make_account()
    target = post_submit(post=post_create(workspace=account.workspace, text="Flash sale", accounts=[account]))
    target = target.targets.get()
    pause_activate(workspace=account.workspace)
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "held"
    pause_resume(workspace=account.workspace)
    locked, tried = _pausing(monkeypatch, dispatch_services, "audit_record")

    decided, other = at_once(
        lambda: held_targets_decide(workspace=account.workspace, target_ids=[target.pk], decision="cancel"),
        _other_side(locked, tried, account),
    )

    assert other == ("free", "free")
    assert decided == 1
