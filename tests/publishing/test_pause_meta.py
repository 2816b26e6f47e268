"""The global pause stops a Facebook Page and an Instagram account as it stops every account: a
photo post falling due on both while it is on is held before anything is asked of Meta. Resuming
leaves it held (held posts wait for a decision); once the admin publishes it now, the dispatcher
sends it once to each, however often it runs."""

from __future__ import annotations

import pytest

from publishing.models import TargetStatus
from publishing.services import (
    held_targets_decide,
    pause_activate,
    pause_resume,
    post_create,
    post_submit,
    targets_enqueue_due,
    targets_publish,
)
from tests.channels.stubs.facebook_page_server import PAGE_ID
from tests.channels.stubs.instagram_server import USER_ID


@pytest.fixture
def due_post(page_account, instagram_account, attach_photo, workspace_a):
    post = post_create(
        workspace=workspace_a, text="Flash sale at noon", accounts=[page_account, instagram_account]
    )
    attach_photo(post, "sale.jpg")
    return post_submit(post=post)


def _dispatch(django_capture_on_commit_callbacks) -> None:
    """What beat and the workers do: hand out the due targets, then publish each batch."""
    batches = []
    with django_capture_on_commit_callbacks(execute=True):
        targets_enqueue_due(enqueue=lambda **batch: batches.append(batch))
    for batch in batches:
        targets_publish(**batch)


def _statuses(post) -> set[str]:
    return set(post.targets.values_list("status", flat=True))


@pytest.mark.django_db
def test_a_post_due_during_the_pause_reaches_neither_page_nor_instagram_until_released_once(
    facebook, instagram, due_post, admin, django_capture_on_commit_callbacks
):
    pause_activate(workspace=admin.workspace, reason="Crisis", by=admin.user)

    _dispatch(django_capture_on_commit_callbacks)
    assert _statuses(due_post) == {TargetStatus.HELD}
    assert facebook.requests == [] and instagram.requests == []

    pause_resume(workspace=admin.workspace, by=admin.user)
    _dispatch(django_capture_on_commit_callbacks)
    assert _statuses(due_post) == {TargetStatus.HELD}
    assert facebook.requests == [] and instagram.requests == []

    target_ids = list(due_post.targets.values_list("pk", flat=True))
    held_targets_decide(
        workspace=admin.workspace, target_ids=target_ids, decision="publish_now", by=admin.user
    )
    _dispatch(django_capture_on_commit_callbacks)
    assert _statuses(due_post) == {TargetStatus.PUBLISHED}

    # The dispatcher again, and the same batch delivered twice: nothing more goes out.
    _dispatch(django_capture_on_commit_callbacks)
    targets_publish(workspace_id=admin.workspace.pk, target_ids=target_ids)
    assert len(facebook.writes("POST", f"{PAGE_ID}/photos")) == 1
    assert facebook.writes("POST", f"{PAGE_ID}/feed") == []
    publishes = [r for r in instagram.requests if r.path.endswith(f"/{USER_ID}/media_publish")]
    assert len(publishes) == 1 and len(instagram.published) == 1
