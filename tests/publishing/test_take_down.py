"""Taking a published post down from its platform, exactly once: a second click, a redelivered
task and a worker killed mid-call never delete twice; "already gone" counts as deleted; a platform
that does not allow it says so; a refusal fails with the reason and can be asked again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cxm.audit.models import AuditEntry
from cxm.channels.models import AccountStatus, DeletionStatus
from cxm.channels.services import account_connector
from publishing import tasks
from publishing.models import PostTarget, TargetStatus
from publishing.services import (
    pause_activate,
    post_create,
    post_submit,
    take_downs_stale,
    target_publish,
    target_take_down,
    target_take_down_run,
    targets_take_down_run,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """The take-down tasks handed to the broker: [{"workspace_id", "target_ids"}, ...]."""
    handed: list[dict] = []
    monkeypatch.setattr(tasks.take_down_targets, "delay", lambda **kwargs: handed.append(kwargs))
    return handed


def _published(account, text="Cold brew is back, 10% off") -> PostTarget:
    post = post_submit(post=post_create(workspace=account.workspace, text=text, accounts=[account]), by=None)
    target = post.targets.get()
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"
    target.refresh_from_db()
    return target


def _run(target) -> str:
    return target_take_down_run(target_id=target.pk, workspace_id=target.workspace_id).outcome


def _deletes(mastodon, target) -> list:
    return mastodon.requests_to(f"/api/v1/statuses/{target.external_id}", "DELETE")


def _results(target) -> list[dict]:
    return [
        entry.after
        for entry in AuditEntry.objects.filter(
            action="post.take_down", object_id=str(target.post_id)
        ).order_by("pk")
    ]


def test_a_take_down_deletes_the_post_once_and_records_who_and_when(
    make_account, mastodon, marketer, queued, django_capture_on_commit_callbacks
):
    target = _published(make_account())

    with django_capture_on_commit_callbacks(execute=True):
        asked = target_take_down(target=target, by=marketer.user)
    assert asked.takedown_status == DeletionStatus.REQUESTED and asked.taken_down_by == marketer.user
    assert queued == [{"workspace_id": target.workspace_id, "target_ids": [target.pk]}]
    assert _deletes(mastodon, target) == []  # nothing leaves before the worker runs

    assert _run(target) == DeletionStatus.DELETED

    target.refresh_from_db()
    assert target.takedown_status == DeletionStatus.DELETED and target.taken_down_at is not None
    assert target.status == TargetStatus.PUBLISHED  # the target keeps what the platform had said
    assert mastodon.deleted_statuses == [target.external_id]
    request, result = AuditEntry.objects.filter(action__startswith="post.take_down").order_by("pk")
    assert (request.action, request.actor, request.after["account"]) == (
        "post.take_down_request",
        marketer.user,
        target.account_id,
    )
    assert (result.action, result.actor, result.after["result"]) == (
        "post.take_down",
        marketer.user,
        "deleted",
    )


def test_a_second_click_asks_nothing_more(make_account, mastodon, marketer, admin, queued):
    target = _published(make_account())

    target_take_down(target=target, by=marketer.user)
    again = target_take_down(target=target, by=admin.user)

    assert again.takedown_status == DeletionStatus.REQUESTED and again.taken_down_by == marketer.user
    assert AuditEntry.objects.filter(action="post.take_down_request").count() == 1
    assert _run(target) == DeletionStatus.DELETED
    assert target_take_down(target=target, by=admin.user).takedown_status == DeletionStatus.DELETED
    assert _run(target) == "skipped"
    assert len(_deletes(mastodon, target)) == 1


def test_a_redelivered_task_calls_the_platform_once(make_account, mastodon, marketer):
    target = _published(make_account())
    target_take_down(target=target, by=marketer.user)

    runs = targets_take_down_run(workspace_id=target.workspace_id, target_ids=[target.pk, target.pk])
    tasks.take_down_targets(workspace_id=target.workspace_id, target_ids=[target.pk])

    assert runs[target.pk].outcome == "skipped"  # the second of the pair; the first deleted it
    assert len(_deletes(mastodon, target)) == 1 and len(_results(target)) == 1


def test_a_worker_killed_mid_call_is_retried_and_already_gone_counts_as_deleted(
    make_account, mastodon, marketer
):
    target = _published(make_account())
    target_take_down(target=target, by=marketer.user)

    def dies_after_the_call(account):
        connector = account_connector(account)

        class Dying:
            def delete(self, external_id):
                connector.delete(external_id)  # the platform deletes the post...
                raise SystemExit("worker killed")  # ...and the worker dies before recording it

        return Dying()

    with pytest.raises(SystemExit):
        target_take_down_run(
            target_id=target.pk, workspace_id=target.workspace_id, connector_factory=dies_after_the_call
        )
    target.refresh_from_db()
    assert target.takedown_status == DeletionStatus.REQUESTED  # the claim was rolled back

    assert _run(target) == DeletionStatus.DELETED

    target.refresh_from_db()
    assert target.takedown_status == DeletionStatus.DELETED and target.takedown_error == ""
    assert [r.status for r in _deletes(mastodon, target)] == [200, 404]
    (result,) = _results(target)
    assert result["result"] == "deleted" and result["already_gone"] is True


def test_an_answer_lost_on_the_way_back_is_asked_again_and_counts_as_deleted(
    make_account, mastodon, marketer
):
    target = _published(make_account())
    target_take_down(target=target, by=marketer.user)
    mastodon.lose_answer_next(path=f"/api/v1/statuses/{target.external_id}", method="DELETE")

    assert _run(target) == "retry"
    target.refresh_from_db()
    assert target.takedown_status == DeletionStatus.REQUESTED and "connection" in target.takedown_error
    PostTarget.objects.filter(pk=target.pk).update(takedown_next_attempt_at=timezone.now())
    assert _run(target) == DeletionStatus.DELETED
    assert mastodon.deleted_statuses == [target.external_id]


def test_a_refusal_fails_with_the_reason_and_asking_again_deletes(
    make_account, mastodon, marketer, admin, queued
):
    target = _published(make_account())
    target_take_down(target=target, by=marketer.user)
    mastodon.fail_next(422, path=f"/api/v1/statuses/{target.external_id}", method="DELETE")

    assert _run(target) == DeletionStatus.FAILED
    target.refresh_from_db()
    assert target.takedown_status == DeletionStatus.FAILED and "refused (422)" in target.takedown_error
    assert _results(target)[0]["reason"].startswith("refused (422)")

    retried = target_take_down(target=target, by=admin.user)
    assert retried.takedown_status == DeletionStatus.REQUESTED and retried.taken_down_by == admin.user
    assert _run(target) == DeletionStatus.DELETED
    assert [entry["result"] for entry in _results(target)] == ["failed", "deleted"]


def test_a_rate_limit_waits_for_the_platform_and_marks_the_account(make_account, mastodon, marketer):
    account = make_account()
    target = _published(account)
    target_take_down(target=target, by=marketer.user)
    mastodon.fail_next(429, path=f"/api/v1/statuses/{target.external_id}", method="DELETE", reset_in=120)

    assert _run(target) == "retry"
    target.refresh_from_db()
    account.refresh_from_db()
    assert target.takedown_status == DeletionStatus.REQUESTED
    assert target.takedown_next_attempt_at > timezone.now() + timedelta(seconds=60)
    assert account.status == AccountStatus.RATE_LIMITED
    assert _run(target) == "not-due"
    assert len(_deletes(mastodon, target)) == 1


def test_a_platform_that_does_not_allow_it_says_so_at_once(instagram_account, instagram, marketer, queued):
    post = post_create(workspace=instagram_account.workspace, text="New roast", accounts=[instagram_account])
    target = post.targets.get()
    PostTarget.objects.filter(pk=target.pk).update(status=TargetStatus.PUBLISHED, external_id="17900001")
    target.refresh_from_db()

    refused = target_take_down(target=target, by=marketer.user)

    assert refused.takedown_status == DeletionStatus.NOT_ALLOWED
    assert "Instagram does not let an account delete its posts" in refused.takedown_error
    assert queued == [] and instagram.requests == []
    assert _results(target)[0]["result"] == "not_allowed"
    assert target_take_down(target=target, by=marketer.user).takedown_status == DeletionStatus.NOT_ALLOWED
    assert len(_results(target)) == 1


def test_a_post_not_published_yet_cannot_be_taken_down(make_account, marketer, queued):
    post = post_create(workspace=make_account().workspace, text="Soon", accounts=[make_account("b")])
    with pytest.raises(ValidationError, match="Only a published post"):
        target_take_down(target=post.targets.get(), by=marketer.user)
    assert queued == []


def test_a_pause_does_not_hold_a_take_down(make_account, mastodon, admin):
    target = _published(make_account())
    pause_activate(workspace=target.workspace, reason="Crisis", by=admin.user)

    target_take_down(target=target, by=admin.user)

    assert _run(target) == DeletionStatus.DELETED


def test_the_worker_leaves_another_workspaces_target_alone(make_account, mastodon, marketer, workspace_b):
    target = _published(make_account())
    target_take_down(target=target, by=marketer.user)

    result = target_take_down_run(target_id=target.pk, workspace_id=workspace_b.pk)

    assert result.outcome == "skipped" and _deletes(mastodon, target) == []


def test_a_lost_task_is_handed_out_again_by_the_dispatcher(make_account, mastodon, marketer, queued):
    target = _published(make_account())
    target_take_down(target=target, by=marketer.user)
    assert take_downs_stale() == {}
    PostTarget.objects.filter(pk=target.pk).update(
        takedown_next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    queued.clear()

    tasks.dispatch_due()

    assert queued == [{"workspace_id": target.workspace_id, "target_ids": [target.pk]}]
