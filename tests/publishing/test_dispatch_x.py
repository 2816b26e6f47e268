"""A scheduled post reaches X through the dispatcher exactly once: a task delivered twice, workers
racing, an answer lost on the way back, X's duplicate refusal, a token about to lapse."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from publishing.models import PostStatus, PostTarget, TargetStatus
from publishing.services import post_create, post_submit, target_publish
from publishing.tasks import publish_targets
from tests.channels.stubs.x_server import documented
from tests.channels.x_accounts import connected, x_stand_in


@pytest.fixture
def x(settings):
    with x_stand_in(settings) as stub:
        yield stub


def _target(workspace, unit, x, *, text="Cold brew is back", **account):
    post = post_create(
        workspace=workspace, text=text, accounts=[connected(workspace, x, business_unit=unit, **account)]
    )
    return post_submit(post=post, by=None).targets.get()


@pytest.mark.django_db
def test_a_post_to_x_is_published_once_when_its_task_is_delivered_twice(workspace_a, unit, x):
    target = _target(workspace_a, unit, x)

    first = publish_targets(workspace_id=target.workspace_id, target_ids=[target.pk])
    again = publish_targets(workspace_id=target.workspace_id, target_ids=[target.pk])

    assert (first, again) == ({"published": 1}, {"skipped": 1})
    (post,) = x.posts_by(x.me["id"])
    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED and target.external_id == post["id"]
    assert target.url == f"https://x.com/XDevelopers/status/{post['id']}"
    assert target.post.status == PostStatus.PUBLISHED
    assert len(x.calls("POST", "/2/tweets")) == 1


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_the_task_at_the_same_moment_post_once(workspace_a, unit, x):
    target = _target(workspace_a, unit, x)
    errors = []

    def worker():
        try:
            publish_targets(workspace_id=target.workspace_id, target_ids=[target.pk])
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert PostTarget.objects.get(pk=target.pk).status == TargetStatus.PUBLISHED
    assert len(x.calls("POST", "/2/tweets")) == 1 and len(x.posts_by(x.me["id"])) == 1


@pytest.mark.django_db
def test_an_answer_lost_on_the_way_back_is_retried_and_the_post_exists_once(workspace_a, unit, x):
    target = _target(workspace_a, unit, x)
    x.lose_next("POST", "/2/tweets")  # X creates the post, then the answer is lost

    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "retry"
    PostTarget.objects.filter(pk=target.pk).update(next_attempt_at=None)
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"

    (post,) = x.posts_by(x.me["id"])
    target.refresh_from_db()
    assert target.external_id == post["id"]
    assert [r.status for r in x.calls("POST", "/2/tweets")] == [201, 403]  # the retry met X's refusal


@pytest.mark.django_db
def test_a_duplicate_of_an_older_post_fails_the_target_with_the_reason_and_is_not_retried(
    workspace_a, unit, x
):
    # X still counts a post of 30 hours ago as a duplicate; adoption reaches back 24 hours only.
    x.add_post("Cold brew is back", author=x.me["id"], at=timezone.now() - timedelta(hours=30))
    x.fail_next("POST", "/2/tweets", 403, documented("errors.json")["duplicate"])
    target = _target(workspace_a, unit, x)

    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "failed"

    target.refresh_from_db()
    assert target.status == TargetStatus.FAILED and "duplicate content" in target.error
    assert target.attempts == 1 and target.next_attempt_at is None


@pytest.mark.django_db
def test_the_dispatcher_refreshes_a_token_about_to_lapse_before_posting(workspace_a, unit, x):
    target = _target(workspace_a, unit, x, text="Fresh token", expires_in=timedelta(minutes=1))

    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"

    (refresh,) = x.calls("POST", "/2/oauth2/token")
    assert refresh.form()["grant_type"] == ["refresh_token"]
    account = target.account
    account.refresh_from_db()
    assert (
        x.calls("POST", "/2/tweets")[0].header("Authorization")
        == f"Bearer {account.credentials['access_token']}"
    )
