"""Threads from the composer and the API: the parts are kept in order, shown on the post's page,
checked live against each account, and published to Mastodon as a chain where a lost answer is
recognised by its part's own Idempotency-Key."""

from __future__ import annotations

import pytest

from publishing.models import Post, PostTarget
from publishing.services import post_create, post_submit, target_publish

pytestmark = pytest.mark.django_db


def test_the_composer_keeps_the_threads_posts_in_order_and_shows_them(client, marketer, make_account):
    client.force_login(marketer.user)
    account = make_account()
    assert "Add a post to the thread" in client.get("/publishing/posts/new/").content.decode()

    response = client.post(
        "/publishing/posts/new/",
        {
            "text": "1/ Cold brew is back",
            "thread": ["2/ From Flores", "", "3/ Steeped 18 hours"],
            "accounts": [account.pk],
            "action": "draft",
        },
    )

    post = Post.objects.get()
    assert response.status_code == 302 and post.thread == ["2/ From Flores", "3/ Steeped 18 hours"]
    page = client.get(f"/publishing/posts/{post.pk}/").content.decode()
    assert page.index("2/ From Flores") < page.index("3/ Steeped 18 hours")
    edit = client.get(f"/publishing/posts/{post.pk}/edit/").content.decode()
    assert edit.count('name="thread"') == 3  # the two parts and an empty box for the next


def test_live_validation_names_the_account_that_takes_no_threads(client, marketer, make_account):
    client.force_login(marketer.user)
    feed = make_account("Kopi", platform="facebook_page")
    html = client.post(
        "/publishing/posts/check/", {"text": "Hello", "thread": ["more"], "accounts": [feed.pk]}
    ).content.decode()
    assert "Kopi: threads cannot be posted there; remove the account or the thread." in html


def test_the_api_takes_a_thread_and_refuses_one_given_as_text(api, marketer, make_account):
    account = make_account()
    created = api(marketer).post(
        "/api/v1/posts/", {"text": "1/ Hi", "thread": ["2/ More"], "accounts": [account.pk]}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["thread"] == ["2/ More"]

    refused = api(marketer).post(
        "/api/v1/posts/", {"text": "1/ Hi", "thread": "2/ More", "accounts": [account.pk]}, format="json"
    )
    assert refused.status_code == 400 and "thread" in refused.json()["fields"]


def test_a_thread_reaches_mastodon_once_even_when_an_answer_is_lost(workspace_a, make_account, mastodon):
    account = make_account()
    post = post_create(workspace=workspace_a, text="1/ Hi", thread=["2/ More", "3/ Last"], accounts=[account])
    target = post_submit(post=post, by=None).targets.get()
    mastodon.lose_answer_next(path="/api/v1/statuses", method="POST")  # the opening status's answer

    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "retry"
    PostTarget.objects.filter(pk=target.pk).update(next_attempt_at=None)
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"

    created = mastodon.created_statuses
    assert [status["content"] for status in created] == ["<p>1/ Hi</p>", "<p>2/ More</p>", "<p>3/ Last</p>"]
    assert [status["in_reply_to_id"] for status in created] == [None, created[0]["id"], created[1]["id"]]
    keys = [call.header("Idempotency-Key") for call in mastodon.requests_to("/api/v1/statuses", "POST")]
    assert len(keys) == 4 and keys[0] == keys[1] == str(target.idempotency_key) and len(set(keys)) == 3


def test_the_take_down_confirmation_counts_the_threads_further_posts(client, marketer, make_account):
    account = make_account()
    post = post_create(
        workspace=account.workspace, text="1/ Hi", thread=["2/ More", "3/ Last"], accounts=[account]
    )
    target = post_submit(post=post, by=None).targets.get()
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"
    client.force_login(marketer.user)

    page = client.get(f"/publishing/posts/{post.pk}/take-down/?targets={target.pk}").content.decode()

    assert "and 2 further posts of its thread" in page
