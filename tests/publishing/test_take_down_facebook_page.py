"""A post published to a Facebook Page is deleted from it again: one `DELETE /{post-id}` reaches
Meta however often it is asked, and a post already gone from the Page counts as deleted."""

from __future__ import annotations

import pytest

from cxm.audit.models import AuditEntry
from cxm.channels.models import AccountStatus, DeletionStatus
from publishing.services import (
    post_create,
    post_submit,
    target_publish,
    target_take_down,
    targets_take_down_run,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(workspace_a, page_account):
    post = post_submit(
        post=post_create(workspace=workspace_a, text="Cold brew is back", accounts=[page_account]), by=None
    )
    target = post.targets.get()
    assert target_publish(target_id=target.pk, workspace_id=workspace_a.pk) == "published"
    target.refresh_from_db()
    return target


def _run(target, times: int = 1) -> list[str]:
    runs = targets_take_down_run(workspace_id=target.workspace_id, target_ids=[target.pk] * times)
    target.refresh_from_db()
    return [run.outcome for run in runs.values()]


def test_exactly_one_delete_reaches_the_page_however_often_it_is_asked(target, facebook, marketer):
    (post,) = facebook.page_posts()
    assert target.external_id == post["id"]

    target_take_down(target=target, by=marketer.user)
    target_take_down(target=target, by=marketer.user)  # a second click
    _run(target, times=2)  # the task and its redelivery
    _run(target)
    target_take_down(target=target, by=marketer.user)  # a click after it is done

    assert target.takedown_status == DeletionStatus.DELETED
    assert facebook.page_posts() == [] and facebook.deleted == [post["id"]]
    assert len(facebook.writes("DELETE", post["id"])) == 1


def test_a_post_someone_already_deleted_on_facebook_counts_as_deleted(target, facebook, marketer):
    del facebook.posts[target.external_id]  # removed in Meta's own tools meanwhile

    target_take_down(target=target, by=marketer.user)
    assert _run(target) == ["deleted"]

    (delete,) = facebook.writes("DELETE", target.external_id)
    assert delete.status == 400  # Meta's code 100, subcode 33: it does not exist
    assert target.takedown_status == DeletionStatus.DELETED
    (entry,) = AuditEntry.objects.filter(action="post.take_down")
    assert entry.after["already_gone"] is True and "does not exist" in entry.after["reason"]


def test_a_throttled_page_waits_and_is_not_counted_as_a_failure(target, facebook, marketer):
    target_take_down(target=target, by=marketer.user)
    facebook.fail_next(32, path=target.external_id)

    assert _run(target) == ["retry"]

    target.account.refresh_from_db()
    assert target.takedown_status == DeletionStatus.REQUESTED and "rate limited" in target.takedown_error
    assert target.account.status == AccountStatus.RATE_LIMITED
    assert len(facebook.page_posts()) == 1
