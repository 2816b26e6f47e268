"""A post's whole journey in a real browser, published by a real Celery worker to a Mastodon stub:
a marketer composes to three accounts and submits, an approver approves, the worker publishes at
its time; then an admin pauses everything, a post falling due is held, the admin resumes and
releases it from the Held list."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from cxm.tenancy.models import Role
from publishing.models import Post, PostStatus, PostTarget, TargetStatus
from publishing.services import approval_rule_set, post_approve, post_create, post_submit
from publishing.tasks import dispatch_due
from tests.browser import close_watched, watched_context
from tests.factories import PASSWORD

JAKARTA = "Asia/Jakarta"


@pytest.fixture
def sign_in(browser, browser_problems, live_server):
    """sign_in(membership) -> a page of that member, in their own browser context (Jakarta time)."""
    contexts = []

    def sign_in(membership):
        membership.user.time_zone = JAKARTA
        membership.user.save(update_fields=["time_zone"])
        context = watched_context(browser, browser_problems, locale="en-GB", timezone_id=JAKARTA)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", membership.user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield sign_in
    for context in contexts:
        close_watched(context)


def _dispatch_until(done, *, seconds: float = 30.0) -> None:
    """Send the beat's task through the broker until `done()` holds, as beat would every 5 s."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        dispatch_due.delay()
        time.sleep(0.5)


def _statuses(post_id: int) -> set[str]:
    return set(PostTarget.objects.filter(post_id=post_id).values_list("status", flat=True))


@pytest.mark.browser
@pytest.mark.worker
def test_compose_approve_publish_then_pause_hold_and_release(
    live_server, sign_in, celery_worker_process, workspace_a, unit, member, make_account, mastodon
):
    marketer = member(workspace_a, Role.MARKETER)
    approver = member(workspace_a, Role.APPROVER)
    admin = member(workspace_a, Role.ADMIN)
    approval_rule_set(workspace=workspace_a, business_unit=unit, roles=[Role.APPROVER])
    accounts = [make_account(handle) for handle in ("kopi_id", "kopi_sg", "kopi_my")]

    # The marketer composes to three accounts, watching the counters, and submits for review.
    page = sign_in(marketer)
    page.locator("header nav").get_by_role("link", name="Publishing", exact=True).click()
    page.wait_for_url("**/publishing/")
    page.get_by_role("link", name="Compose", exact=True).click()
    text = "Iced coffee season starts today"
    page.fill("#id_text", text)
    for account in accounts:
        page.get_by_role("checkbox", name=account.handle).check()
    page.wait_for_function("() => document.querySelectorAll('#compose-checks tr.check-ok').length === 3")
    assert page.locator("#compose-checks .counter").first.inner_text() == f"{len(text)}/500"
    due = (timezone.now() + timedelta(seconds=15)).replace(microsecond=0)
    page.fill("#id_scheduled_at", due.astimezone(ZoneInfo(JAKARTA)).strftime("%Y-%m-%dT%H:%M:%S"))
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url(re.compile(r"/publishing/posts/\d+/$"))
    post = Post.objects.get()
    assert page.locator("[data-post-status]").first.inner_text() == "In review"
    assert post.status == PostStatus.IN_REVIEW and post.scheduled_at == due

    # The approver finds it in the review queue and approves it in place.
    approver_page = sign_in(approver)
    approver_page.goto(f"{live_server.url}/publishing/review/")
    item = approver_page.locator(f"#review-{post.pk}")
    item.get_by_role("button", name="Approve").click()
    approver_page.wait_for_selector(f"#review-{post.pk}[data-post-status=scheduled]")
    assert "Approved and scheduled." in approver_page.locator(f"#review-{post.pk}").inner_text()

    # The worker publishes it at its time, once per account.
    _dispatch_until(lambda: _statuses(post.pk) == {TargetStatus.PUBLISHED})
    assert [s["content"] for s in mastodon.created_statuses] == [f"<p>{text}</p>"] * 3
    post.refresh_from_db()
    assert all(t.published_at >= post.scheduled_at for t in post.targets.all())
    page.reload()
    assert page.locator("[data-post-status]").first.inner_text() == "Published"
    links = page.locator("a.target-link")
    assert links.count() == 3
    assert {links.nth(i).get_attribute("href") for i in range(3)} == {
        s["url"] for s in mastodon.created_statuses
    }

    # An admin pauses everything from the header, with a reason.
    admin_page = sign_in(admin)
    admin_page.get_by_role("button", name="Pause all publishing").click()
    dialog = admin_page.locator("#pause-dialog")
    dialog.get_by_label("Reason (optional)").fill("Crisis: check every post")
    dialog.get_by_role("button", name="Pause all publishing").click()
    banner = admin_page.locator("#pause-banner")
    banner.wait_for()
    assert "Crisis: check every post" in banner.inner_text()
    assert f"By {admin.user.username} since" in banner.inner_text()

    # A second post falls due during the pause: the worker holds it and nothing is sent.
    second = post_submit(
        post=post_create(
            workspace=workspace_a, text="Flash sale at noon", accounts=accounts[:1], by=marketer.user
        ),
        by=marketer.user,
    )
    post_approve(post=second, membership=approver)
    _dispatch_until(lambda: _statuses(second.pk) == {TargetStatus.HELD})
    assert len(mastodon.created_statuses) == 3
    page.goto(f"{live_server.url}/publishing/")
    assert "Crisis: check every post" in page.locator("#pause-banner").inner_text()

    # The admin resumes from the banner; the held post waits until they release it.
    admin_page.goto(f"{live_server.url}/publishing/")
    admin_page.locator("#pause-banner").get_by_role("button", name="Resume").click()
    admin_page.wait_for_selector("#pause-banner", state="detached")
    assert _statuses(second.pk) == {TargetStatus.HELD}
    admin_page.get_by_role("link", name="Held").click()
    admin_page.wait_for_url("**/publishing/held/")
    admin_page.locator("#held-list input[name=targets]").first.check()
    admin_page.get_by_role("button", name="Publish now").click()
    admin_page.get_by_text("1 held posts are being published now.").wait_for()

    _dispatch_until(lambda: _statuses(second.pk) == {TargetStatus.PUBLISHED})
    assert len(mastodon.created_statuses) == 4
    assert mastodon.created_statuses[-1]["content"] == "<p>Flash sale at noon</p>"
