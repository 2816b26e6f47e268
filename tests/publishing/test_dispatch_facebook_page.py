"""A scheduled post reaches a Facebook Page through the dispatcher exactly once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from cxm.channels.models import AccountStatus, ChannelAccount
from publishing.models import PostStatus, PostTarget, TargetStatus
from publishing.services import post_create, post_submit, target_publish
from publishing.services.dispatch import MAX_ATTEMPTS
from tests.channels.stubs.facebook_page_server import PAGE_ID


@pytest.fixture
def target(workspace_a, page_account):
    post = post_create(workspace=workspace_a, text="Cold brew is back", accounts=[page_account])
    return post_submit(post=post, by=None).targets.get()


@pytest.mark.django_db
def test_a_due_post_is_published_to_the_page_with_its_id_and_permalink(target, facebook):
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"

    target.refresh_from_db()
    (post,) = facebook.page_posts()
    assert target.status == TargetStatus.PUBLISHED
    assert target.external_id == post["id"] and target.url == post["permalink_url"]
    assert target.post.status == PostStatus.PUBLISHED
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "skipped"
    assert len(facebook.writes("POST", f"{PAGE_ID}/feed")) == 1


@pytest.mark.django_db
def test_an_answer_lost_on_the_way_back_is_retried_and_the_post_exists_once(target, facebook):
    facebook.lose_next(f"{PAGE_ID}/feed")  # Meta creates the post, then the answer is lost
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "retry"
    PostTarget.objects.filter(pk=target.pk).update(next_attempt_at=None)
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"

    target.refresh_from_db()
    (post,) = facebook.page_posts()
    assert target.external_id == post["id"]
    assert len(facebook.writes("POST", f"{PAGE_ID}/feed")) == 1


@pytest.mark.django_db
def test_a_page_throttling_its_calls_delays_the_target_instead_of_failing_it(target, facebook):
    facebook.fail_next(32, path="published_posts")
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "retry"
    target.refresh_from_db()
    assert target.status == TargetStatus.SCHEDULED and "rate limited" in target.error
    assert facebook.page_posts() == []


def _throttled_for(minutes: int) -> dict[str, str]:
    """X-Business-Use-Case-Usage as Meta sends it with a throttled answer."""
    usage = {PAGE_ID: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": minutes}]}
    return {"X-Business-Use-Case-Usage": json.dumps(usage)}


def _pass_the_throttle(*targets) -> None:
    """Meta's wait is over (moved into the past rather than waited for)."""
    earlier = timezone.now() - timedelta(seconds=1)
    ChannelAccount.objects.filter(pk=targets[0].account_id).update(rate_limited_until=earlier)
    PostTarget.objects.filter(pk__in=[t.pk for t in targets]).update(next_attempt_at=earlier)


@pytest.mark.django_db
def test_a_throttled_page_holds_its_posts_until_meta_lets_go_then_each_goes_out_once(target, facebook):
    second = post_submit(
        post=post_create(workspace=target.workspace, text="Iced latte too", accounts=[target.account]),
        by=None,
    ).targets.get()
    facebook.fail_next(613, path="published_posts", headers=_throttled_for(7))
    started = timezone.now()

    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "retry"
    account = ChannelAccount.objects.get(pk=target.account_id)
    assert account.status == AccountStatus.RATE_LIMITED
    assert account.rate_limited_until >= started + timedelta(minutes=7)
    target.refresh_from_db()
    assert target.status == TargetStatus.SCHEDULED and target.next_attempt_at >= account.rate_limited_until

    asked = len(facebook.requests)
    assert target_publish(target_id=second.pk, workspace_id=second.workspace_id) == "retry"
    second.refresh_from_db()
    assert len(facebook.requests) == asked  # the other post waits without calling Meta
    assert second.attempts == 0 and second.next_attempt_at == account.rate_limited_until

    _pass_the_throttle(target, second)
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"
    assert target_publish(target_id=second.pk, workspace_id=second.workspace_id) == "published"
    assert sorted(p["message"] for p in facebook.page_posts()) == ["Cold brew is back", "Iced latte too"]
    assert len(facebook.writes("POST", f"{PAGE_ID}/feed")) == 2
    account.refresh_from_db()
    assert account.status == AccountStatus.CONNECTED and account.rate_limited_until is None


@pytest.mark.django_db
def test_a_post_throttled_more_often_than_the_attempts_allow_still_goes_out(target, facebook):
    for _ in range(MAX_ATTEMPTS + 1):
        facebook.fail_next(4, path="published_posts", headers=_throttled_for(1))
        assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "retry"
        _pass_the_throttle(target)
    target.refresh_from_db()
    assert target.status == TargetStatus.SCHEDULED and target.attempts == MAX_ATTEMPTS + 1

    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"
    (post,) = facebook.page_posts()
    assert post["message"] == "Cold brew is back"
