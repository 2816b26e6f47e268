"""One post to a Facebook Page and an Instagram account, from the composer to both platforms, in a
real browser with a real worker.

A marketer writes the post, attaches a photo (Instagram publishes only media, which it fetches
from the photo's public address; the Page receives the photo itself), ticks the Page and the
Instagram account and schedules it a few seconds ahead. The worker publishes it at its time while
the same publish task is delivered again and again, as a broker redelivers it: the Page gets one
photo post and Instagram one container and one `media_publish`, and the post's page shows both
targets published with their permalinks. A delivery after that sends nothing more.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cxm.tenancy.models import Role
from publishing.models import MediaAttachment, Post, PostStatus, TargetStatus
from publishing.tasks import dispatch_due, publish_targets
from tests.channels.stubs.facebook_page_server import PAGE_ID, FacebookPageStub
from tests.channels.stubs.facebook_page_server import TOKEN as PAGE_TOKEN
from tests.channels.stubs.instagram_server import TOKEN as INSTAGRAM_TOKEN
from tests.channels.stubs.instagram_server import USER_ID, InstagramStub
from tests.factories import BusinessUnitFactory, WorkspaceFactory
from tests.waiting import wait_for, worker_idle

JAKARTA = "Asia/Jakarta"
TEXT = "Kopi susu gula aren is back this weekend"
# The first bytes of a JPEG (SOI, APP0 "JFIF"); neither stand-in decodes the picture.
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


@pytest.fixture
def graph(settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stand-ins listen on 127.0.0.1
    with FacebookPageStub() as facebook, InstagramStub() as instagram:
        yield facebook, instagram


@pytest.mark.browser
@pytest.mark.worker
def test_a_marketer_publishes_one_photo_post_to_a_page_and_instagram_once(
    live_server, page, session_in_page, celery_worker_process, member, graph, connect_stand_in
):
    facebook, instagram = graph
    workspace = WorkspaceFactory(name="Acme", allow_private_webhook_targets=True)
    unit = BusinessUnitFactory(workspace=workspace, name="Indonesia")
    marketer = member(workspace, Role.MARKETER)
    marketer.user.time_zone = JAKARTA
    marketer.user.save(update_fields=["time_zone"])
    connect_stand_in(workspace, unit, "facebook_page", facebook, PAGE_ID, PAGE_TOKEN, "Kopi Kita")
    # The worker looks at the container Instagram is processing five times a second.
    connect_stand_in(
        workspace, unit, "instagram", instagram, USER_ID, INSTAGRAM_TOKEN, "brand.id", poll_seconds=0.2
    )

    # The marketer writes the post, attaches the photo, ticks both accounts and schedules it.
    session_in_page(marketer)
    page.goto(f"{live_server.url}/publishing/")
    page.get_by_role("link", name="Compose", exact=True).click()
    page.fill("#id_text", TEXT)
    page.set_input_files("#id_media", {"name": "kopi.jpg", "mimeType": "image/jpeg", "buffer": PHOTO})
    page.get_by_role("checkbox", name="Kopi Kita").check()
    page.get_by_role("checkbox", name="brand.id").check()
    page.wait_for_function("() => document.querySelectorAll('#compose-checks tr.check-ok').length === 2")
    due = (timezone.now() + timedelta(seconds=8)).replace(microsecond=0)
    page.fill("#id_scheduled_at", due.astimezone(ZoneInfo(JAKARTA)).strftime("%Y-%m-%dT%H:%M:%S"))
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url(re.compile(r"/publishing/posts/\d+/$"))
    expect(page.locator("[data-post-status]").first).to_have_text("Scheduled")
    post = Post.objects.get(workspace=workspace)
    assert post.scheduled_at == due and post.media.get().filename == "kopi.jpg"
    target_ids = sorted(post.targets.values_list("pk", flat=True))

    # Beat's dispatcher runs, and the publish task of both targets is delivered again each time.
    def published() -> bool:
        return set(post.targets.values_list("status", flat=True)) == {TargetStatus.PUBLISHED}

    deadline = time.monotonic() + 30
    while not published():
        assert time.monotonic() < deadline, "the worker did not publish the post"
        dispatch_due.delay()
        publish_targets.delay(workspace_id=workspace.pk, target_ids=target_ids)
        time.sleep(0.5)
    assert all(target.published_at >= due for target in post.targets.all())

    # The post's page shows both published, each with its permalink.
    page.reload()
    expect(page.locator("[data-post-status]").first).to_have_text("Published")
    (fb_post,) = facebook.page_posts()
    (media_id,) = instagram.published
    permalinks = {fb_post["permalink_url"], instagram.media[media_id]["permalink"]}
    for target in post.targets.all():
        row = page.locator(f"#target-{target.pk}")
        expect(row).to_have_attribute("data-target-status", "published")
        expect(row.locator("a.target-link")).to_have_attribute("href", target.url)
    assert {target.url for target in post.targets.all()} == permalinks

    # Delivered once more after it went out: nothing more is sent.
    publish_targets.delay(workspace_id=workspace.pk, target_ids=target_ids)
    dispatch_due.delay()
    assert wait_for(worker_idle, seconds=10), "the worker did not take the deliveries"
    assert len(facebook.writes("POST", f"{PAGE_ID}/photos")) == 1
    assert facebook.writes("POST", f"{PAGE_ID}/feed") == []
    (photo,) = facebook.photos
    assert (photo["caption"], photo["source"]["data"]) == (TEXT, PHOTO)
    (container,) = [
        r for r in instagram.requests if r.method == "POST" and r.path.endswith(f"/{USER_ID}/media")
    ]
    assert len([r for r in instagram.requests if r.path.endswith(f"/{USER_ID}/media_publish")]) == 1
    form = container.form()
    assert form["caption"] == [TEXT] and re.search(r"/media/publishing/.+\.jpg$", form["image_url"][0])
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED

    for item in MediaAttachment.objects.filter(post=post):
        item.file.delete(save=False)
