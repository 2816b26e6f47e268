"""An Instagram target is published once through the dispatcher even when Instagram is still
processing the media when the first attempt gives up: the container the attempt made is kept
with the target and the retry publishes that one."""

from __future__ import annotations

import pytest
from django.utils import timezone

from publishing.models import PostTarget, TargetStatus
from publishing.services import post_create, post_submit, target_publish
from tests.channels.stubs.instagram_server import USER_ID


@pytest.fixture
def instagram_target(instagram_account, attach_photo, workspace_a):
    post = post_create(workspace=workspace_a, text="Cold brew is back", accounts=[instagram_account], by=None)
    attach_photo(post, "brew.jpg")
    return post_submit(post=post, by=None).targets.get()


@pytest.mark.django_db
def test_a_retry_publishes_the_container_of_the_attempt_that_gave_up(instagram, instagram_target):
    target = instagram_target
    instagram.container_steps = ["IN_PROGRESS"] * 50

    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "retry"
    target.refresh_from_db()
    (container_id,) = instagram.containers
    assert target.platform_state["container_id"] == container_id
    assert "still processing" in target.error

    instagram.containers[container_id]["steps"] = ["FINISHED"]
    PostTarget.objects.filter(pk=target.pk).update(next_attempt_at=timezone.now())
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"

    target.refresh_from_db()
    assert list(instagram.containers) == [container_id]
    assert instagram.published == [target.external_id]
    assert target.status == TargetStatus.PUBLISHED
    (create,) = [r for r in instagram.requests if r.method == "POST" and r.path.endswith(f"{USER_ID}/media")]
    image_url = create.form()["image_url"][0]
    assert image_url.startswith("https://cxm.example.com/media/publishing/") and image_url.endswith(".jpg")


@pytest.mark.django_db
def test_a_container_instagram_could_not_process_fails_the_target_with_the_reason(
    instagram, instagram_target
):
    target = instagram_target
    instagram.container_steps = ["ERROR"]

    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "failed"

    target.refresh_from_db()
    assert target.status == TargetStatus.FAILED
    assert target.error == "Instagram could not process the media: 2207026"
    assert instagram.published == []


@pytest.mark.django_db
def test_a_full_publishing_limit_fails_the_target_before_any_container(instagram, instagram_target):
    target = instagram_target
    instagram.quota_usage = instagram.quota_total

    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "failed"

    target.refresh_from_db()
    assert "publishing limit is reached" in target.error
    assert instagram.containers == {}
