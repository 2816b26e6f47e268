"""Compose, submit, review, approve, edit, reschedule and cancel: the post's life before it goes out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cxm.audit.models import AuditEntry
from cxm.tenancy.four_eyes import SelfApprovalRefused
from cxm.tenancy.models import Role
from publishing.models import PostStatus, TargetStatus
from publishing.services import (
    approval_rule_set,
    post_approve,
    post_cancel,
    post_checks,
    post_create,
    post_request_changes,
    post_reschedule,
    post_submit,
    post_update,
)

pytestmark = pytest.mark.django_db


def _draft(account_list, by, **kwargs):
    kwargs.setdefault("scheduled_at", timezone.now() + timedelta(hours=2))
    return post_create(
        workspace=account_list[0].workspace,
        text="New cold brew is here",
        accounts=account_list,
        by=by,
        **kwargs,
    )


def test_a_post_without_an_approval_rule_is_scheduled_on_submit(make_account, marketer):
    post = _draft([make_account("a"), make_account("b")], marketer.user)
    post = post_submit(post=post, by=marketer.user)
    assert post.status == PostStatus.SCHEDULED
    assert {t.status for t in post.targets.all()} == {TargetStatus.SCHEDULED}
    assert {t.due_at for t in post.targets.all()} == {post.scheduled_at}


def test_a_post_to_a_unit_with_a_rule_waits_for_an_approver(
    workspace_a, unit, make_account, marketer, approver
):
    approval_rule_set(workspace=workspace_a, business_unit=unit, roles=[Role.APPROVER])
    post = post_submit(post=_draft([make_account()], marketer.user), by=marketer.user)
    assert post.status == PostStatus.IN_REVIEW
    assert {t.status for t in post.targets.all()} == {TargetStatus.PENDING}

    post = post_approve(post=post, membership=approver, comment="Lovely")
    assert post.status == PostStatus.SCHEDULED
    assert post.approved_by == approver.user
    assert post.comments.get().kind == "approved"
    assert {t.status for t in post.targets.all()} == {TargetStatus.SCHEDULED}


def test_an_author_cannot_approve_their_own_post(workspace_a, unit, make_account, member):
    approval_rule_set(workspace=workspace_a, business_unit=unit, roles=[Role.APPROVER])
    author = member(workspace_a, Role.APPROVER)
    post = post_submit(post=_draft([make_account()], author.user), by=author.user)
    with pytest.raises(SelfApprovalRefused):
        post_approve(post=post, membership=author)


def test_a_rule_naming_people_lets_only_them_approve(workspace_a, unit, make_account, marketer, member):
    chosen = member(workspace_a, Role.APPROVER)
    other = member(workspace_a, Role.APPROVER)
    approval_rule_set(workspace=workspace_a, business_unit=unit, approvers=[chosen.user])
    post = post_submit(post=_draft([make_account()], marketer.user), by=marketer.user)
    with pytest.raises(ValidationError):
        post_approve(post=post, membership=other)
    assert post_approve(post=post, membership=chosen).status == PostStatus.SCHEDULED


def test_requesting_changes_sends_the_post_back_to_draft_with_the_reason(
    workspace_a, unit, make_account, marketer, approver
):
    approval_rule_set(workspace=workspace_a, business_unit=unit, roles=[Role.APPROVER])
    post = post_submit(post=_draft([make_account()], marketer.user), by=marketer.user)
    with pytest.raises(ValidationError):
        post_request_changes(post=post, membership=approver, comment="  ")
    post = post_request_changes(post=post, membership=approver, comment="Mention the price")
    assert post.status == PostStatus.DRAFT
    assert post.comments.get().text == "Mention the price"


def test_editing_an_approved_post_sends_it_back_to_review(
    workspace_a, unit, make_account, marketer, approver
):
    approval_rule_set(workspace=workspace_a, business_unit=unit, roles=[Role.APPROVER])
    post = post_submit(post=_draft([make_account()], marketer.user), by=marketer.user)
    post = post_approve(post=post, membership=approver)
    post = post_update(post=post, text="New cold brew is here, now 20% off", by=marketer.user)
    assert post.status == PostStatus.IN_REVIEW
    assert post.approved_at is None
    assert {t.status for t in post.targets.all()} == {TargetStatus.PENDING}


def test_rescheduling_moves_every_waiting_target(make_account, marketer):
    post = post_submit(post=_draft([make_account("a"), make_account("b")], marketer.user), by=marketer.user)
    later = timezone.now() + timedelta(days=3)
    post = post_reschedule(post=post, at=later, by=marketer.user)
    assert {t.due_at for t in post.targets.all()} == {later}
    assert post.status == PostStatus.SCHEDULED


def test_cancelling_stops_every_target(make_account, marketer):
    post = post_submit(post=_draft([make_account("a"), make_account("b")], marketer.user), by=marketer.user)
    post = post_cancel(post=post, by=marketer.user)
    assert post.status == PostStatus.CANCELLED
    assert {t.status for t in post.targets.all()} == {TargetStatus.CANCELLED}
    with pytest.raises(ValidationError):
        post_update(post=post, text="again", by=marketer.user)


def test_a_variant_is_checked_against_its_own_platform(make_account, marketer):
    mastodon = make_account("m")
    bluesky = make_account("b.bsky.social", platform="bluesky")
    checks = post_checks(text="short", variants={"bluesky": "x" * 301}, accounts=[mastodon, bluesky])
    by_platform = {account.platform: check for account, _, check in checks}
    assert by_platform["mastodon"].ok
    assert not by_platform["bluesky"].ok and "1 characters too long" in by_platform["bluesky"].message
    with pytest.raises(ValidationError) as error:
        post_create(
            workspace=mastodon.workspace,
            text="short",
            variants={"bluesky": "x" * 301},
            accounts=[mastodon, bluesky],
            by=marketer.user,
        )
    assert "b.bsky.social" in str(error.value)


def test_a_language_variant_goes_to_accounts_in_that_language(make_account, marketer):
    english = make_account("en-brand", language="en")
    indonesian = make_account("id-brand", language="id")
    post = post_create(
        workspace=english.workspace,
        text="New cold brew",
        variants={"lang:id": "Cold brew baru"},
        accounts=[english, indonesian],
        by=marketer.user,
    )
    assert post.text_for(platform="mastodon", language="id") == "Cold brew baru"
    assert post.text_for(platform="mastodon", language="en") == "New cold brew"


def test_a_time_in_the_past_is_refused_on_submit(make_account, marketer):
    post = _draft([make_account()], marketer.user, scheduled_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(ValidationError) as error:
        post_submit(post=post, by=marketer.user)
    assert "scheduled_at" in error.value.message_dict


def test_every_transition_is_in_the_audit_log(workspace_a, unit, make_account, marketer, approver):
    approval_rule_set(workspace=workspace_a, business_unit=unit, roles=[Role.APPROVER])
    post = post_submit(post=_draft([make_account()], marketer.user), by=marketer.user)
    post_approve(post=post, membership=approver)
    actions = list(
        AuditEntry.objects.filter(workspace=workspace_a, object_id=str(post.pk))
        .order_by("id")
        .values_list("action", "actor__username")
    )
    assert actions == [
        ("post.create", marketer.user.username),
        ("post.submit", marketer.user.username),
        ("post.approve", approver.user.username),
        ("post.schedule", approver.user.username),
    ]
