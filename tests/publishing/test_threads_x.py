"""A thread reaches X as a chain of posts, each answering the one before, every part exactly once:
a task delivered twice, X failing in the middle, an answer lost on the way back. Taking it down
deletes every part. A thread cannot go where threads do not exist, nor carry a part too long."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cxm.channels.models import ChannelAccount
from publishing.models import PostTarget, TargetStatus
from publishing.services import (
    post_create,
    post_submit,
    target_publish,
    target_take_down,
    target_take_down_run,
)
from publishing.tasks import publish_targets
from tests.channels.x_accounts import connected, x_stand_in

pytestmark = pytest.mark.django_db

THREAD = [
    "2/ The beans come from Flores and Toraja.",
    "3/ Cold brew steeps for 18 hours.",
    "4/ Ask us anything.",
]


@pytest.fixture
def x(settings):
    with x_stand_in(settings) as stub:
        yield stub


def _target(workspace, unit, x) -> PostTarget:
    account = connected(workspace, x, business_unit=unit)
    post = post_create(workspace=workspace, text="1/ Cold brew is back.", thread=THREAD, accounts=[account])
    return post_submit(post=post, by=None).targets.get()


def _chain(x) -> list[tuple[str, str | None]]:
    """Our posts on X in the order made: (text, the id of the post each answers)."""
    chain = []
    for tweet in sorted(x.posts_by(x.me["id"]), key=lambda t: int(t["id"])):
        replied = [r["id"] for r in tweet.get("referenced_tweets") or [] if r["type"] == "replied_to"]
        chain.append((tweet["text"], replied[0] if replied else None, tweet["id"]))
    return chain


def _assert_one_thread(x, target):
    chain = _chain(x)
    assert [text for text, _, _ in chain] == ["1/ Cold brew is back.", *THREAD]
    ids = [tweet_id for _, _, tweet_id in chain]
    assert [parent for _, parent, _ in chain] == [None, *ids[:-1]]  # each answers the one before
    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED and target.external_id == ids[0]
    assert target.platform_state["thread"]["ids"] == ids


def test_a_thread_is_published_as_a_chain_once_when_its_task_is_delivered_twice(workspace_a, unit, x):
    target = _target(workspace_a, unit, x)

    first = publish_targets(workspace_id=target.workspace_id, target_ids=[target.pk])
    again = publish_targets(workspace_id=target.workspace_id, target_ids=[target.pk])

    assert (first, again) == ({"published": 1}, {"skipped": 1})
    _assert_one_thread(x, target)
    assert len(x.calls("POST", "/2/tweets")) == 4


def test_x_failing_in_the_middle_resumes_after_the_last_part_it_took(workspace_a, unit, x, monkeypatch):
    target = _target(workspace_a, unit, x)
    # The third part meets a server error: the first two are out, the rest waits for the retry.
    original = x._create
    calls = {"n": 0}

    def flaky(request):
        calls["n"] += 1
        if calls["n"] == 3:
            return 503, {
                "title": "Service Unavailable",
                "detail": "Service Unavailable",
                "type": "about:blank",
            }
        return original(request)

    monkeypatch.setattr(x, "_create", flaky)

    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "retry"
    target.refresh_from_db()
    assert len(target.platform_state["thread"]["ids"]) == 2 and target.status == TargetStatus.SCHEDULED

    PostTarget.objects.filter(pk=target.pk).update(next_attempt_at=None)
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"
    _assert_one_thread(x, target)


def test_a_part_whose_answer_was_lost_is_adopted_not_posted_again(workspace_a, unit, x):
    target = _target(workspace_a, unit, x)
    x.lose_next("POST", "/2/tweets")  # the opening post is made, its answer lost
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "retry"

    PostTarget.objects.filter(pk=target.pk).update(next_attempt_at=None)
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"

    _assert_one_thread(x, target)
    assert [r.status for r in x.calls("POST", "/2/tweets")] == [201, 403, 201, 201, 201]


def test_taking_a_thread_down_deletes_every_part_newest_first(workspace_a, unit, x):
    target = _target(workspace_a, unit, x)
    publish_targets(workspace_id=target.workspace_id, target_ids=[target.pk])
    target.refresh_from_db()
    ids = target.platform_state["thread"]["ids"]
    del x.tweets[ids[2]]  # someone deleted one part on X already: it counts as deleted

    target_take_down(target=target, by=None)
    assert target_take_down_run(target_id=target.pk, workspace_id=target.workspace_id).outcome == "deleted"

    assert x.posts_by(x.me["id"]) == []
    deleted = [call.path.rsplit("/", 1)[1] for call in x.requests if call.method == "DELETE"]
    assert deleted == [ids[3], ids[2], ids[1], ids[0]]


def test_a_thread_is_refused_for_a_platform_without_threads_and_for_a_part_too_long(workspace_a, unit, x):
    feed = ChannelAccount.objects.create(
        workspace=workspace_a, platform="facebook_page", handle="Kopi Nusantara", business_unit=unit
    )
    with pytest.raises(ValidationError) as refused:
        post_create(workspace=workspace_a, text="Hello", thread=["and more"], accounts=[feed])
    assert "threads cannot be posted there" in str(refused.value.message_dict["thread"])

    account = connected(workspace_a, x, business_unit=unit)
    with pytest.raises(ValidationError) as refused:
        post_create(workspace=workspace_a, text="Hello", thread=["fine", "x" * 300], accounts=[account])
    assert refused.value.message_dict["thread"] == [
        "@XDevelopers, post 3 of the thread: 20 characters too long for x."
    ]
