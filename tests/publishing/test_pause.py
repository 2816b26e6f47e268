"""The global pause: once it returns nothing more goes out, in any scope, until resumed; what fell
due meanwhile is held for a decision."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from cxm.audit.models import AuditEntry
from cxm.channels.connectors.base import Published
from publishing.models import PostStatus, TargetStatus
from publishing.services import (
    held_targets_decide,
    pause_activate,
    pause_resume,
    post_create,
    post_submit,
    target_publish,
)
from tests.factories import BusinessUnitFactory


def _due_target(account, text="Flash sale"):
    post = post_create(workspace=account.workspace, text=text, accounts=[account])
    return post_submit(post=post).targets.get()


@pytest.mark.django_db
def test_a_due_target_is_held_while_paused_and_nothing_is_sent(make_account, mastodon, admin):
    target = _due_target(make_account())
    pause_activate(workspace=admin.workspace, reason="Crisis", by=admin.user)
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "held"
    target.refresh_from_db()
    assert target.status == TargetStatus.HELD and target.held_by_pause.reason == "Crisis"
    assert mastodon.requests == []


@pytest.mark.django_db
def test_resuming_lists_held_targets_for_a_decision_instead_of_publishing_them(make_account, mastodon, admin):
    first, second, third = (_due_target(make_account(h)) for h in ("a", "b", "c"))
    pause_activate(workspace=admin.workspace, by=admin.user)
    for target in (first, second, third):
        target_publish(target_id=target.pk, workspace_id=target.workspace_id)
    pause_resume(workspace=admin.workspace, by=admin.user)
    # Still held: resuming does not publish.
    assert target_publish(target_id=first.pk, workspace_id=first.workspace_id) == "skipped"
    assert mastodon.created_statuses == []

    later = timezone.now() + timedelta(days=1)
    assert held_targets_decide(workspace=admin.workspace, target_ids=[first.pk], decision="publish_now") == 1
    held_targets_decide(workspace=admin.workspace, target_ids=[second.pk], decision="reschedule", at=later)
    held_targets_decide(workspace=admin.workspace, target_ids=[third.pk], decision="cancel")

    assert target_publish(target_id=first.pk, workspace_id=first.workspace_id) == "published"
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.status, second.due_at) == (TargetStatus.SCHEDULED, later)
    assert third.status == TargetStatus.CANCELLED and third.post.status == PostStatus.CANCELLED
    assert len(mastodon.created_statuses) == 1


@pytest.mark.django_db
def test_a_business_unit_pause_holds_only_that_units_accounts(workspace_a, make_account, admin):
    other_unit = BusinessUnitFactory(workspace=workspace_a, name="Snacks")
    paused = _due_target(make_account("drinks"))
    free = _due_target(make_account("snacks", business_unit=other_unit))
    pause_activate(workspace=workspace_a, scope="business_unit", target_id=paused.account.business_unit_id)
    assert target_publish(target_id=paused.pk, workspace_id=paused.workspace_id) == "held"
    assert target_publish(target_id=free.pk, workspace_id=free.workspace_id) == "published"


@pytest.mark.django_db
def test_an_account_pause_holds_only_that_account(workspace_a, make_account):
    paused = _due_target(make_account("one"))
    free = _due_target(make_account("two"))
    pause_activate(workspace=workspace_a, scope="account", target_id=paused.account_id)
    assert target_publish(target_id=paused.pk, workspace_id=paused.workspace_id) == "held"
    assert target_publish(target_id=free.pk, workspace_id=free.workspace_id) == "published"


@pytest.mark.django_db
def test_a_scheduled_window_holds_only_inside_it(workspace_a, make_account):
    start = timezone.now() + timedelta(hours=1)
    pause_activate(
        workspace=workspace_a, starts_at=start, ends_at=start + timedelta(days=2), reason="Election day"
    )
    assert (
        target_publish(target_id=_due_target(make_account("before")).pk, workspace_id=workspace_a.pk)
        == "published"
    )

    inside = post_submit(
        post=post_create(
            workspace=workspace_a,
            text="During",
            accounts=[make_account("inside")],
            scheduled_at=start + timedelta(hours=1),
        )
    ).targets.get()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: start + timedelta(hours=2))
        assert target_publish(target_id=inside.pk, workspace_id=inside.workspace_id) == "held"


@pytest.mark.django_db
def test_another_workspaces_pause_changes_nothing_here(workspace_a, workspace_b, make_account):
    pause_activate(workspace=workspace_b, reason="Their crisis")
    assert (
        target_publish(target_id=_due_target(make_account()).pk, workspace_id=workspace_a.pk) == "published"
    )


@pytest.mark.django_db
def test_pausing_and_resuming_are_audited(workspace_a, admin):
    pause_activate(workspace=workspace_a, reason="Crisis", by=admin.user)
    pause_resume(workspace=workspace_a, by=admin.user)
    actions = list(AuditEntry.objects.filter(workspace=workspace_a).values_list("action", flat=True))
    assert "publishing.pause" in actions and "publishing.resume" in actions


class BlockingConnector:
    """Publishes only when the test lets it, so a call can be caught in flight."""

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def __call__(self, account):
        return self

    def publish(self, outgoing):
        self.calls += 1
        self.entered.set()
        assert self.release.wait(10)
        return Published(external_id=f"p-{self.calls}", url=f"https://example.social/p-{self.calls}")


@pytest.mark.django_db(transaction=True)
def test_pause_waits_for_the_call_in_flight_and_blocks_every_later_one(make_account):
    in_flight = _due_target(make_account("one"))
    later = _due_target(make_account("two"))
    connector = BlockingConnector()
    outcomes = {}

    def run(name, function):
        try:
            outcomes[name] = function()
        finally:
            connection.close()

    publisher = threading.Thread(
        target=run,
        args=(
            "publish",
            lambda: target_publish(
                target_id=in_flight.pk, workspace_id=in_flight.workspace_id, connector_factory=connector
            ),
        ),
    )
    publisher.start()
    assert connector.entered.wait(10)
    pauser = threading.Thread(
        target=run, args=("pause", lambda: pause_activate(workspace=in_flight.workspace))
    )
    pauser.start()
    pauser.join(0.5)
    assert pauser.is_alive(), "the pause returned while a publish was still in flight"

    connector.release.set()
    publisher.join(10)
    pauser.join(10)
    assert outcomes["publish"] == "published" and "pause" in outcomes
    # From the moment the pause returned, nothing more leaves.
    assert (
        target_publish(target_id=later.pk, workspace_id=later.workspace_id, connector_factory=connector)
        == "held"
    )
    assert connector.calls == 1
