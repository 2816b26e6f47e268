"""Publish dispatch keeps every statement to one workspace (tests/workspace_sql.py states the
rule). The dispatcher's scan for due targets is the one statement that reads every workspace, by
design: one table, no join, on the partial index of due rows (docs/scale-out.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from publishing.models import PostTarget
from publishing.services import post_create, post_submit, target_publish, targets_enqueue_due
from tests.workspace_sql import problems, verdicts

pytestmark = pytest.mark.django_db


def _due(accounts):
    post = post_create(
        workspace=accounts[0].workspace,
        text="Cold brew is back",
        accounts=accounts,
        by=None,
        scheduled_at=timezone.now() + timedelta(seconds=1),
    )
    post_submit(post=post, by=None)
    PostTarget.objects.filter(post=post).update(due_at=timezone.now() - timedelta(seconds=1))
    return post


def _captured(run) -> list:
    with CaptureQueriesContext(connection) as captured:
        run()
    found = verdicts(captured)
    assert found, "nothing read a tenant table"
    return found


def test_the_dispatcher_joins_nothing_across_workspaces(make_account, workspace_b):
    _due([make_account("one"), make_account("two")])
    found = _captured(lambda: targets_enqueue_due(enqueue=lambda **task: None))
    assert problems(found, scans=1) == "", problems(found, scans=1)
    assert [judged.tenant_tables for judged in found if not judged.single_shard] == [
        ["publishing_posttarget"]
    ]


def test_publishing_a_target_writes_one_workspace_on_one_node(make_account, mastodon):
    target = _due([make_account()]).targets.get()
    found = _captured(lambda: target_publish(target_id=target.pk, workspace_id=target.workspace_id))
    assert problems(found) == "", problems(found)
