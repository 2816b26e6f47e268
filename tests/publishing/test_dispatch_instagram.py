"""An Instagram target is published once through the dispatcher even when Instagram is still
processing the media when the first attempt gives up: the container the attempt made is kept
with the target and the retry publishes that one."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cxm.channels.models import ChannelAccount
from publishing.models import MediaAttachment, PostTarget, TargetStatus
from publishing.services import post_create, post_submit, target_publish
from tests.channels.stubs.instagram_server import TOKEN, USER_ID, InstagramStub


@pytest.fixture
def graph(settings, tmp_path):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stand-in listens on 127.0.0.1
    settings.MEDIA_ROOT = tmp_path
    settings.CXM_BASE_URL = "https://cxm.example.com"
    with InstagramStub() as stub:
        yield stub


@pytest.fixture
def instagram_target(graph, workspace_a, unit):
    account = ChannelAccount.objects.create(
        workspace=workspace_a,
        platform="instagram",
        handle=USER_ID,
        base_url=graph.base_url,
        credentials={"access_token": TOKEN},
        options={"publish_wait_seconds": 0.3, "poll_seconds": 0.1},
        business_unit=unit,
    )
    post = post_create(workspace=workspace_a, text="Cold brew is back", accounts=[account], by=None)
    MediaAttachment.objects.create(
        workspace=workspace_a,
        post=post,
        file=SimpleUploadedFile("brew.jpg", b"\xff\xd8\xff", content_type="image/jpeg"),
        filename="brew.jpg",
        content_type="image/jpeg",
    )
    return post_submit(post=post, by=None).targets.get()


@pytest.mark.django_db
def test_a_retry_publishes_the_container_of_the_attempt_that_gave_up(graph, instagram_target):
    target = instagram_target
    graph.container_steps = ["IN_PROGRESS"] * 50

    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "retry"
    target.refresh_from_db()
    (container_id,) = graph.containers
    assert target.platform_state["container_id"] == container_id
    assert "still processing" in target.error

    graph.containers[container_id]["steps"] = ["FINISHED"]
    PostTarget.objects.filter(pk=target.pk).update(next_attempt_at=timezone.now())
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"

    target.refresh_from_db()
    assert list(graph.containers) == [container_id]
    assert graph.published == [target.external_id]
    assert target.status == TargetStatus.PUBLISHED
    (create,) = [r for r in graph.requests if r.method == "POST" and r.path.endswith(f"{USER_ID}/media")]
    image_url = create.form()["image_url"][0]
    assert image_url.startswith("https://cxm.example.com/media/publishing/") and image_url.endswith(".jpg")


@pytest.mark.django_db
def test_a_container_instagram_could_not_process_fails_the_target_with_the_reason(graph, instagram_target):
    target = instagram_target
    graph.container_steps = ["ERROR"]

    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "failed"

    target.refresh_from_db()
    assert target.status == TargetStatus.FAILED
    assert target.error == "Instagram could not process the media: 2207026"
    assert graph.published == []


@pytest.mark.django_db
def test_a_full_publishing_limit_fails_the_target_before_any_container(graph, instagram_target):
    target = instagram_target
    graph.quota_usage = graph.quota_total

    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "failed"

    target.refresh_from_db()
    assert "publishing limit is reached" in target.error
    assert graph.containers == {}
