"""A post held by a pause says "Held" wherever it is shown, and submitting one while publishing is
paused says it will be held, rather than promising it is "Scheduled"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from publishing.models import Post, PostStatus, TargetStatus
from publishing.services import pause_activate, post_create, post_submit, target_publish

pytestmark = pytest.mark.django_db

LATER = datetime(2030, 1, 15, 2, 30, tzinfo=UTC)
HELD_NOTE = "Publishing is paused: this post will be held when it falls due, until an admin decides."


def _held_post(account, admin) -> Post:
    post = post_create(
        workspace=account.workspace, text="Flash sale today", accounts=[account], by=admin.user
    )
    post = post_submit(post=post, by=admin.user)
    pause_activate(workspace=admin.workspace, reason="Crisis", by=admin.user)
    target = post.targets.get()
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "held"
    return post


def test_post_page_says_held_not_scheduled(client, admin, make_account, mastodon):
    post = _held_post(make_account(), admin)
    assert Post.objects.get(pk=post.pk).status == PostStatus.SCHEDULED  # held is shown, not stored
    client.force_login(admin.user)
    page = client.get(f"/publishing/posts/{post.pk}/").content.decode()
    header = page.split('class="post-header"')[1].split("</h2>")[0]
    assert 'data-post-status="held"' in header and "Held by a pause" in header
    assert "Scheduled" not in header


def test_calendar_card_says_held(client, admin, make_account, mastodon):
    post = _held_post(make_account(), admin)
    client.force_login(admin.user)
    today = timezone.now().date().isoformat()
    page = client.get(f"/publishing/?view=week&date={today}").content.decode()
    card = page.split(f'id="post-card-{post.pk}"')[1].split("</article>")[0]
    assert "Held by a pause" in card and "Scheduled" not in card


def test_held_post_is_listed_among_held_posts(client, admin, make_account, mastodon):
    post = _held_post(make_account(), admin)
    client.force_login(admin.user)
    page = client.get("/publishing/held/").content.decode()
    assert f'id="held-{post.targets.get().pk}"' in page and "Flash sale today" in page


def test_scheduling_while_paused_says_the_post_will_be_held(client, admin, make_account, mastodon):
    account = make_account()
    pause_activate(workspace=admin.workspace, reason="Crisis", by=admin.user)
    client.force_login(admin.user)
    response = client.post(
        "/publishing/posts/new/",
        {
            "text": "Cold brew is back",
            "accounts": [account.pk],
            "scheduled_at": "2030-01-15T09:30",
            "action": "submit",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Scheduled." in page and HELD_NOTE in page
    assert Post.objects.get().targets.get().status == TargetStatus.SCHEDULED


def test_submitting_a_draft_while_paused_says_the_post_will_be_held(client, admin, make_account, mastodon):
    post = post_create(workspace=admin.workspace, text="Draft", accounts=[make_account()], by=admin.user)
    pause_activate(workspace=admin.workspace, reason="Crisis", by=admin.user)
    client.force_login(admin.user)
    response = client.post(f"/publishing/posts/{post.pk}/submit/", follow=True)
    assert HELD_NOTE in response.content.decode()


def test_scheduling_without_a_pause_makes_no_such_promise(client, admin, make_account, mastodon):
    client.force_login(admin.user)
    response = client.post(
        "/publishing/posts/new/",
        {
            "text": "Cold brew is back",
            "accounts": [make_account().pk],
            "scheduled_at": "2030-01-15T09:30",
            "action": "submit",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Scheduled." in page and HELD_NOTE not in page


def test_a_pause_of_another_account_does_not_hold_the_post(client, admin, make_account, mastodon):
    mine, other = make_account("mine"), make_account("other")
    pause_activate(
        workspace=admin.workspace, scope="account", target_id=other.pk, reason="Hacked", by=admin.user
    )
    client.force_login(admin.user)
    response = client.post(
        "/publishing/posts/new/",
        {
            "text": "Cold brew is back",
            "accounts": [mine.pk],
            "scheduled_at": "2030-01-15T09:30",
            "action": "submit",
        },
        follow=True,
    )
    assert HELD_NOTE not in response.content.decode()
