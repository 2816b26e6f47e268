"""Composing in a real browser: ticking accounts and submitting at once logs no error."""

from __future__ import annotations

import re

import pytest

from cxm.tenancy.models import Role
from publishing.models import Post, PostStatus
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, live_server, membership) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", membership.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_ticking_accounts_and_submitting_at_once_logs_no_console_error(
    live_server, page, workspace_a, member, make_account
):
    """The live check runs on every pause in typing and every tick; a check still in flight when
    the next one starts or when the post is submitted used to be aborted, and htmx logs each
    abort as a console error (the `page` fixture fails the test on any)."""
    marketer = member(workspace_a, Role.MARKETER)
    accounts = [make_account(handle) for handle in ("kopi_id", "kopi_sg", "kopi_my")]
    _sign_in(page, live_server, marketer)

    page.goto(f"{live_server.url}/publishing/posts/new/")
    page.fill("#id_text", "Iced coffee season starts today")
    for account in accounts:
        page.get_by_role("checkbox", name=account.handle).check()  # each tick starts a check
    page.get_by_role("button", name="Submit", exact=True).click()

    page.wait_for_url(re.compile(r"/publishing/posts/\d+/$"))
    assert page.locator("[data-post-status]").first.inner_text() == "Scheduled"  # no approval rule
    post = Post.objects.get()
    assert post.status == PostStatus.SCHEDULED and post.text == "Iced coffee season starts today"
    assert post.targets.count() == 3


def test_a_thread_is_written_box_by_box_and_counted_against_each_account(
    live_server, page, workspace_a, member, make_account
):
    marketer = member(workspace_a, Role.MARKETER)
    account = make_account("kopi_id")
    _sign_in(page, live_server, marketer)

    page.goto(f"{live_server.url}/publishing/posts/new/")
    page.fill("#id_text", "1/ Iced coffee season starts today")
    page.get_by_role("checkbox", name=account.handle).check()
    page.get_by_text("Thread", exact=True).click()
    page.get_by_label("Post 2 of the thread").fill("2/ Beans from Flores")
    page.get_by_role("button", name="Add a post to the thread").click()
    page.get_by_label("Post 3 of the thread").fill("x" * 510)  # Mastodon takes 500
    page.get_by_label("Post 3 of the thread").press("Tab")  # leaving the box checks it
    page.get_by_text("post 3 of the thread: 10 characters too long for mastodon").wait_for()
    page.get_by_label("Post 3 of the thread").fill("3/ Steeped for 18 hours")
    page.get_by_role("button", name="Save draft").click()

    page.wait_for_url(re.compile(r"/publishing/posts/\d+/$"))
    parts = page.locator("ol[data-thread] li").all_inner_texts()
    assert parts == ["2/ Beans from Flores", "3/ Steeped for 18 hours"]
    assert Post.objects.get().thread == ["2/ Beans from Flores", "3/ Steeped for 18 hours"]
