"""Due targets are published exactly once: redelivered tasks, lost answers, racing workers,
transient and permanent failures."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from publishing.models import PostStatus, PostTarget, TargetStatus
from publishing.services import post_create, post_submit, target_publish, targets_enqueue_due, targets_publish
from publishing.tasks import publish_targets
from tests.factories import BusinessUnitFactory


def _scheduled(accounts, by=None, *, at=None, text="Cold brew is back"):
    post = post_create(workspace=accounts[0].workspace, text=text, accounts=accounts, by=by, scheduled_at=at)
    return post_submit(post=post, by=by)


@pytest.mark.django_db
def test_a_due_target_is_published_with_its_idempotency_key_and_the_platform_id_recorded(
    make_account, mastodon
):
    post = _scheduled([make_account()])
    target = post.targets.get()
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"

    target.refresh_from_db()
    (status,) = mastodon.created_statuses
    assert target.status == TargetStatus.PUBLISHED
    assert target.external_id == status["id"] and target.url == status["url"]
    sent = [r for r in mastodon.requests if r.path == "/api/v1/statuses"]
    assert sent[0].headers["Idempotency-Key"] == str(target.idempotency_key)
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED


@pytest.mark.django_db
def test_a_redelivered_task_does_not_publish_again(make_account, mastodon):
    target = _scheduled([make_account()]).targets.get()
    assert targets_publish(workspace_id=target.workspace_id, target_ids=[target.pk, target.pk]) == {
        "published": 1,
        "skipped": 1,
    }
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "skipped"
    assert len(mastodon.created_statuses) == 1


@pytest.mark.django_db
def test_a_post_that_is_not_due_yet_is_left_alone(make_account, mastodon):
    target = _scheduled([make_account()], at=timezone.now() + timedelta(hours=1)).targets.get()
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "not-due"
    assert mastodon.created_statuses == []


@pytest.mark.django_db
def test_an_answer_lost_on_the_way_back_is_retried_with_the_same_key_and_posted_once(make_account, mastodon):
    target = _scheduled([make_account()]).targets.get()
    mastodon.fail_next(0, path="/api/v1/statuses", method="POST")
    mastodon._faults[-1].kind = "lose"  # the server creates the status, then the answer is lost
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "retry"
    PostTarget.objects.filter(pk=target.pk).update(next_attempt_at=None)
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"

    keys = {r.headers["Idempotency-Key"] for r in mastodon.requests if r.path == "/api/v1/statuses"}
    assert len([r for r in mastodon.requests if r.path == "/api/v1/statuses"]) == 2
    assert keys == {str(target.idempotency_key)}
    assert len(mastodon.created_statuses) == 1


@pytest.mark.django_db
def test_a_transient_failure_retries_later_with_backoff(make_account, mastodon):
    target = _scheduled([make_account()]).targets.get()
    mastodon.fail_next(503, path="/api/v1/statuses")
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "retry"
    target.refresh_from_db()
    assert target.status == TargetStatus.SCHEDULED and target.attempts == 1
    assert target.next_attempt_at > timezone.now()
    assert "503" in target.error
    # It waits for its backoff.
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "not-due"


@pytest.mark.django_db
def test_a_permanent_refusal_marks_the_target_failed_with_the_platforms_reason(make_account, mastodon):
    post = _scheduled([make_account()])
    mastodon.fail_next(422, path="/api/v1/statuses")
    assert target_publish(target_id=post.targets.get().pk, workspace_id=post.workspace_id) == "failed"
    target = post.targets.get()
    assert target.status == TargetStatus.FAILED and "422" in target.error
    post.refresh_from_db()
    assert post.status == PostStatus.FAILED


@pytest.mark.django_db
def test_the_dispatcher_hands_each_due_target_out_once_until_it_goes_stale(
    make_account, django_capture_on_commit_callbacks
):
    post = _scheduled([make_account("a"), make_account("b"), make_account("c")])
    tasks = []

    def enqueue(**task):
        tasks.append(task)

    with django_capture_on_commit_callbacks(execute=True):
        assert targets_enqueue_due(enqueue=enqueue, batch_size=2) == 3
        assert targets_enqueue_due(enqueue=enqueue) == 0
        # A task lost with its worker is handed out again once it is stale.
        later = timezone.now() + timedelta(minutes=5)
        assert targets_enqueue_due(enqueue=enqueue, now=later) == 3
    assert sorted(len(task["target_ids"]) for task in tasks) == [1, 2, 3]
    assert set(tasks[-1]["target_ids"]) == set(post.targets.values_list("pk", flat=True))
    assert {task["workspace_id"] for task in tasks} == {post.workspace_id}


@pytest.mark.django_db(transaction=True)
def test_racing_workers_publish_each_target_exactly_once(make_account, mastodon):
    accounts = [make_account(f"brand{i}") for i in range(5)]
    posts = [_scheduled(accounts, text=f"Post {n}") for n in range(8)]
    ids = list(PostTarget.objects.filter(post__in=posts).values_list("pk", flat=True))
    errors = []

    def worker():
        try:
            targets_publish(workspace_id=accounts[0].workspace_id, target_ids=ids)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert PostTarget.objects.filter(pk__in=ids, status=TargetStatus.PUBLISHED).count() == len(ids)
    posted = [r for r in mastodon.requests if r.path == "/api/v1/statuses"]
    assert len(posted) == len(ids)  # not a single extra call
    assert len(mastodon.created_statuses) == len(ids)


@pytest.fixture
def account_b(workspace_b, make_account):
    return make_account(
        "theirs", workspace=workspace_b, business_unit=BusinessUnitFactory(workspace=workspace_b)
    )


@pytest.mark.django_db
def test_the_dispatcher_hands_out_one_task_per_workspace_with_only_its_targets(
    make_account, account_b, django_capture_on_commit_callbacks
):
    ours = _scheduled([make_account("a"), make_account("b")])
    theirs = _scheduled([account_b])
    tasks = []
    with django_capture_on_commit_callbacks(execute=True):
        assert targets_enqueue_due(enqueue=lambda **task: tasks.append(task)) == 3
    assert sorted((task["workspace_id"], sorted(task["target_ids"])) for task in tasks) == sorted(
        [
            (ours.workspace_id, sorted(ours.targets.values_list("pk", flat=True))),
            (theirs.workspace_id, list(theirs.targets.values_list("pk", flat=True))),
        ]
    )


@pytest.mark.django_db
def test_a_publish_task_for_one_workspace_leaves_another_workspaces_target_alone(
    workspace_a, account_b, mastodon
):
    theirs = _scheduled([account_b])
    target = theirs.targets.get()

    assert publish_targets(workspace_id=workspace_a.pk, target_ids=[target.pk]) == {"skipped": 1}
    target.refresh_from_db()
    assert target.status == TargetStatus.SCHEDULED and target.attempts == 0
    assert mastodon.created_statuses == []
    # The same task for the target's own workspace publishes it.
    assert publish_targets(workspace_id=target.workspace_id, target_ids=[target.pk]) == {"published": 1}
