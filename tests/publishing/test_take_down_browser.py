"""A marketer deletes a post published on a Facebook Page from the post's page, in a real browser
with a real worker.

The post went out to the Page. On its page the marketer presses "Delete from Facebook Page", reads
the confirmation (the account, the text, the permalink, the warning that it cannot be undone) and
confirms. The worker deletes the post from the Page while the take-down task is delivered again
and again, as a broker redelivers it; the row says "Deleted" with the time and the marketer's name
without a reload, and exactly one `DELETE` reached the Page.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from cxm.channels.models import DeletionStatus
from cxm.tenancy.models import Role
from publishing.services import post_create, post_submit, target_publish
from publishing.tasks import take_down_targets
from tests.channels.stubs.facebook_page_server import PAGE_ID, FacebookPageStub
from tests.channels.stubs.facebook_page_server import TOKEN as PAGE_TOKEN
from tests.factories import BusinessUnitFactory, WorkspaceFactory
from tests.waiting import wait_for, worker_idle

TEXT = "Kopi susu gula aren: 50% off today only"


@pytest.fixture
def facebook(settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stand-in listens on 127.0.0.1
    with FacebookPageStub() as stub:
        yield stub


@pytest.mark.browser
@pytest.mark.worker
def test_a_marketer_deletes_a_published_page_post_after_confirming_and_sees_it_deleted(
    live_server, page, session_in_page, celery_worker_process, member, facebook, connect_stand_in
):
    workspace = WorkspaceFactory(name="Acme", allow_private_webhook_targets=True)
    unit = BusinessUnitFactory(workspace=workspace, name="Indonesia")
    marketer = member(workspace, Role.MARKETER)
    account = connect_stand_in(workspace, unit, "facebook_page", facebook, PAGE_ID, PAGE_TOKEN, "Kopi Kita")
    post = post_submit(post=post_create(workspace=workspace, text=TEXT, accounts=[account]), by=None)
    target = post.targets.get()
    assert target_publish(target_id=target.pk, workspace_id=workspace.pk) == "published"
    target.refresh_from_db()
    (published,) = facebook.page_posts()

    # The post page offers the deletion; the confirmation says what goes and that it is for good.
    session_in_page(marketer)
    page.goto(f"{live_server.url}/publishing/posts/{post.pk}/")
    row = page.locator(f"#target-{target.pk}")
    row.get_by_role("button", name="Delete from Facebook Page").click()
    expect(page.locator(".cannot-undo")).to_contain_text("This cannot be undone.")
    listed = page.locator(f'.take-down-targets tr[data-target="{target.pk}"]')
    expect(listed).to_contain_text(PAGE_ID)
    expect(listed).to_contain_text(TEXT)
    expect(listed.locator("a.target-link")).to_have_attribute("href", published["permalink_url"])
    assert facebook.writes("DELETE", published["id"]) == []  # nothing asked before confirming

    page.get_by_role("button", name="Delete from Facebook Page").click()
    page.wait_for_url(f"{live_server.url}/publishing/posts/{post.pk}/")

    # The worker deletes it; the same task is delivered again meanwhile.
    deadline = time.monotonic() + 30
    while facebook.page_posts():
        assert time.monotonic() < deadline, "the worker did not delete the post"
        take_down_targets.delay(workspace_id=workspace.pk, target_ids=[target.pk])
        time.sleep(0.5)

    row = page.locator(f"#target-{target.pk}")
    expect(row).to_have_attribute("data-takedown", "deleted")
    expect(row.locator("[data-takedown-result]")).to_contain_text("Deleted")
    expect(row.locator("[data-takedown-result]")).to_contain_text(f"by {marketer.user.username}")
    expect(row.get_by_role("button", name="Delete from Facebook Page")).to_have_count(0)

    take_down_targets.delay(workspace_id=workspace.pk, target_ids=[target.pk])
    assert wait_for(worker_idle, seconds=10), "the worker did not take the deliveries"
    assert len(facebook.writes("DELETE", published["id"])) == 1
    target.refresh_from_db()
    assert target.takedown_status == DeletionStatus.DELETED and target.taken_down_by == marketer.user
