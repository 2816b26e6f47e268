"""A scheduled post reaches a Facebook Page through the dispatcher exactly once."""

from __future__ import annotations

import pytest

from publishing.models import PostStatus, PostTarget, TargetStatus
from publishing.services import post_create, post_submit, target_publish
from tests.channels.stubs.facebook_page_server import PAGE_ID


@pytest.fixture
def target(workspace_a, page_account):
    post = post_create(workspace=workspace_a, text="Cold brew is back", accounts=[page_account])
    return post_submit(post=post, by=None).targets.get()


@pytest.mark.django_db
def test_a_due_post_is_published_to_the_page_with_its_id_and_permalink(target, facebook):
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"

    target.refresh_from_db()
    (post,) = facebook.page_posts()
    assert target.status == TargetStatus.PUBLISHED
    assert target.external_id == post["id"] and target.url == post["permalink_url"]
    assert target.post.status == PostStatus.PUBLISHED
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "skipped"
    assert len(facebook.writes("POST", f"{PAGE_ID}/feed")) == 1


@pytest.mark.django_db
def test_an_answer_lost_on_the_way_back_is_retried_and_the_post_exists_once(target, facebook):
    facebook.lose_next(f"{PAGE_ID}/feed")  # Meta creates the post, then the answer is lost
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "retry"
    PostTarget.objects.filter(pk=target.pk).update(next_attempt_at=None)
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"

    target.refresh_from_db()
    (post,) = facebook.page_posts()
    assert target.external_id == post["id"]
    assert len(facebook.writes("POST", f"{PAGE_ID}/feed")) == 1


@pytest.mark.django_db
def test_a_page_throttling_its_calls_delays_the_target_instead_of_failing_it(target, facebook):
    facebook.fail_next(32, path="published_posts")
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "retry"
    target.refresh_from_db()
    assert target.status == TargetStatus.SCHEDULED and "rate limited" in target.error
    assert facebook.page_posts() == []
