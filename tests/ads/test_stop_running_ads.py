"""The pause's "also stop running ads": exactly the active campaigns are paused on the platform,
each confirmation recorded; resume restores exactly those the pause stopped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ads.models import AdCampaign, CampaignStop, StopState
from ads.services import (
    ad_account_sync,
    campaign_set_status,
    restores_process,
    stop_retry,
    stops_mark_ended,
    stops_process,
)
from publishing.services import pause_activate, pause_resume
from tests.factories import BusinessUnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(ad_account, graph):
    """Three campaigns running on the platform, two paused there already (one by hand)."""
    active = [graph.add_campaign(f"Running {n}", status="ACTIVE", daily_budget=1000) for n in range(3)]
    paused = [graph.add_campaign(f"Paused {n}", status="PAUSED", daily_budget=1000) for n in range(2)]
    ad_account_sync(account_id=ad_account.pk, workspace_id=ad_account.workspace_id)
    return active, paused


def _campaign(stub_obj) -> AdCampaign:
    return AdCampaign.objects.get(external_id=stub_obj["id"])


def _statuses(graph, objs) -> list[str]:
    return [graph.status_of(o["id"]) for o in objs]


def test_stop_pauses_exactly_the_active_campaigns_and_records_each_confirmation(
    running, graph, workspace_a, django_capture_on_commit_callbacks
):
    active, paused = running
    with django_capture_on_commit_callbacks() as callbacks:
        pause = pause_activate(workspace=workspace_a, reason="crisis", stop_running_ads=True)
    assert callbacks, "the stop goes to a worker after commit"
    stops = CampaignStop.objects.filter(pause=pause)
    assert {s.campaign.external_id for s in stops} == {o["id"] for o in active}
    assert set(stops.values_list("state", flat=True)) == {StopState.PENDING}

    run = stops_process(pause_id=pause.pk, workspace_id=pause.workspace_id)
    assert run.outcomes["stopped"] == 3 and run.retry_at is None
    assert _statuses(graph, active) == ["PAUSED"] * 3
    assert _statuses(graph, paused) == ["PAUSED"] * 2
    writes = [c for c in graph.calls if c.is_write]
    assert writes and all(c.is_pause for c in writes)  # one batch of three PAUSED
    assert {c.path for c in writes} == {o["id"] for o in active}
    for stop in CampaignStop.objects.filter(pause=pause).select_related("campaign"):
        assert stop.state == StopState.STOPPED and stop.stopped_at and stop.platform_updated_time
        assert stop.campaign.stopped_by_pause_id == pause.pk and stop.campaign.platform_status == "PAUSED"


def test_resume_restores_only_what_the_pause_stopped(running, graph, workspace_a):
    active, paused = running
    pause = pause_activate(workspace=workspace_a, reason="crisis", stop_running_ads=True)
    stops_process(pause_id=pause.pk, workspace_id=pause.workspace_id)
    pause_resume(workspace=workspace_a)
    assert set(CampaignStop.objects.values_list("state", flat=True)) == {StopState.RESTORING}
    run = restores_process(workspace_id=workspace_a.pk)
    assert run.outcomes["restored"] == 3
    assert _statuses(graph, active) == ["ACTIVE"] * 3
    assert _statuses(graph, paused) == ["PAUSED"] * 2  # paused by hand before: left alone
    assert not AdCampaign.objects.filter(stopped_by_pause__isnull=False).exists()
    # The restore read each campaign back before activating it.
    assert any(c.method == "GET" and "ids" in c.params for c in graph.calls)


def test_resume_leaves_campaigns_changed_meanwhile_paused(running, graph, workspace_a):
    active, _ = running
    pause = pause_activate(workspace=workspace_a, reason="crisis", stop_running_ads=True)
    stops_process(pause_id=pause.pk, workspace_id=pause.workspace_id)
    # One paused by hand here (still paused, but now the marketer's decision), one edited in Ads
    # Manager (and so paused there by someone meanwhile), one left as the pause left it.
    campaign_set_status(campaign=_campaign(active[0]), status="PAUSED")
    graph.objects[active[1]["id"]]["updated_time"] = "2099-01-01T00:00:00+0000"
    pause_resume(workspace=workspace_a)
    run = restores_process(workspace_id=workspace_a.pk)
    assert (run.outcomes["restored"], run.outcomes["left_paused"]) == (1, 2)
    assert _statuses(graph, active) == ["PAUSED", "PAUSED", "ACTIVE"]
    reasons = dict(CampaignStop.objects.values_list("campaign__external_id", "error"))
    assert "by hand" in reasons[active[0]["id"]] and "on the platform" in reasons[active[1]["id"]]


def test_a_campaign_reactivated_on_the_platform_meanwhile_is_not_touched(running, graph, workspace_a):
    active, _ = running
    pause = pause_activate(workspace=workspace_a, reason="crisis", stop_running_ads=True)
    stops_process(pause_id=pause.pk, workspace_id=pause.workspace_id)
    graph.objects[active[2]["id"]]["status"] = "ACTIVE"
    pause_resume(workspace=workspace_a)
    restores_process(workspace_id=workspace_a.pk)
    stop = CampaignStop.objects.get(campaign__external_id=active[2]["id"])
    assert stop.state == StopState.LEFT_PAUSED and "ACTIVE on the platform" in stop.error
    activations = [c for c in graph.calls if c.is_write and c.params.get("status") == "ACTIVE"]
    assert {c.path for c in activations} == {active[0]["id"], active[1]["id"]}


def test_a_throttled_stop_is_retried_and_shown_until_it_succeeds(running, graph, workspace_a):
    active, _ = running
    graph.rate_limit_reset = 5
    graph.fail_next(code=613, in_batch=True)
    pause = pause_activate(workspace=workspace_a, reason="crisis", stop_running_ads=True)
    run = stops_process(pause_id=pause.pk, workspace_id=pause.workspace_id)
    assert (run.outcomes["stopped"], run.outcomes["rate_limited"]) == (2, 1)
    waiting = CampaignStop.objects.get(state=StopState.PENDING)
    assert "too many calls" in waiting.error and waiting.attempts == 1
    assert run.retry_at is not None and run.retry_at > timezone.now()
    # Due again after the platform's reset: the worker sends it then.
    CampaignStop.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    stops_process(pause_id=pause.pk, workspace_id=pause.workspace_id)
    assert _statuses(graph, active) == ["PAUSED"] * 3
    waiting.refresh_from_db()
    assert waiting.state == StopState.STOPPED and waiting.error == ""


def test_a_whole_throttled_batch_waits_and_resumes(running, graph, workspace_a):
    active, _ = running
    graph.fail_next(code=429, in_batch=False, path="^$")
    pause = pause_activate(workspace=workspace_a, reason="crisis", stop_running_ads=True)
    run = stops_process(pause_id=pause.pk, workspace_id=pause.workspace_id)
    assert run.outcomes["rate_limited"] == 3
    CampaignStop.objects.update(next_attempt_at=timezone.now())
    stops_process(pause_id=pause.pk, workspace_id=pause.workspace_id)
    assert _statuses(graph, active) == ["PAUSED"] * 3


def test_a_stop_the_platform_refuses_is_left_failed_loudly_and_can_be_retried(running, graph, workspace_a):
    active, _ = running
    graph.fail_next(code=100, in_batch=True)
    pause = pause_activate(workspace=workspace_a, reason="crisis", stop_running_ads=True)
    run = stops_process(pause_id=pause.pk, workspace_id=pause.workspace_id)
    assert run.outcomes["failed"] == 1
    failed = CampaignStop.objects.get(state=StopState.FAILED)
    assert "Invalid parameter" in failed.error
    stop_retry(stop=failed)
    stops_process(pause_id=pause.pk, workspace_id=pause.workspace_id)
    failed.refresh_from_db()
    assert failed.state == StopState.STOPPED
    assert _statuses(graph, active) == ["PAUSED"] * 3


def test_a_business_unit_pause_stops_only_that_units_campaigns(make_ad_account, graph, workspace_a, unit):
    from tests.ads.stubs.graph_server import GraphStub

    other_unit = BusinessUnitFactory(workspace=workspace_a, name="Snacks")
    with GraphStub(account_id="2002") as other_graph:
        mine = make_ad_account(graph)
        theirs = make_ad_account(other_graph, business_unit=other_unit)
        kopi = graph.add_campaign("Kopi", status="ACTIVE")
        chips = other_graph.add_campaign("Chips", status="ACTIVE")
        ad_account_sync(account_id=mine.pk, workspace_id=mine.workspace_id)
        ad_account_sync(account_id=theirs.pk, workspace_id=theirs.workspace_id)
        pause = pause_activate(
            workspace=workspace_a, scope="business_unit", target_id=unit.pk, stop_running_ads=True
        )
        stops_process(pause_id=pause.pk, workspace_id=pause.workspace_id)
        assert graph.status_of(kopi["id"]) == "PAUSED"
        assert other_graph.status_of(chips["id"]) == "ACTIVE"
        assert not [c for c in other_graph.calls if c.is_write]


def test_without_stop_running_ads_the_pause_leaves_running_ads_alone(running, graph, workspace_a):
    active, _ = running
    pause_activate(workspace=workspace_a, reason="posts only")
    assert not CampaignStop.objects.exists()
    assert _statuses(graph, active) == ["ACTIVE"] * 3


def test_a_scheduled_pause_stops_ads_when_it_starts_and_restores_when_its_window_closes(
    running, graph, workspace_a
):
    active, _ = running
    starts = timezone.now() + timedelta(minutes=10)
    pause = pause_activate(
        workspace=workspace_a, starts_at=starts, ends_at=starts + timedelta(hours=1), stop_running_ads=True
    )
    stops_process(pause_id=pause.pk, workspace_id=pause.workspace_id)
    assert _statuses(graph, active) == ["ACTIVE"] * 3  # not yet
    type(pause).objects.filter(pk=pause.pk).update(
        starts_at=timezone.now() - timedelta(minutes=1), ends_at=timezone.now() + timedelta(hours=1)
    )
    CampaignStop.objects.update(next_attempt_at=timezone.now())
    stops_process(pause_id=pause.pk, workspace_id=pause.workspace_id)
    assert _statuses(graph, active) == ["PAUSED"] * 3
    type(pause).objects.filter(pk=pause.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    assert stops_mark_ended() == 3
    restores_process(workspace_id=workspace_a.pk)
    assert _statuses(graph, active) == ["ACTIVE"] * 3


def test_restoring_waits_while_another_pause_still_covers_the_campaign(running, graph, workspace_a, unit):
    active, _ = running
    pause = pause_activate(workspace=workspace_a, reason="global", stop_running_ads=True)
    stops_process(pause_id=pause.pk, workspace_id=pause.workspace_id)
    unit_pause = pause_activate(workspace=workspace_a, scope="business_unit", target_id=unit.pk)
    pause_resume(workspace=workspace_a, pause=pause)
    run = restores_process(workspace_id=workspace_a.pk)
    assert run.outcomes["covered"] == 3
    assert _statuses(graph, active) == ["PAUSED"] * 3
    assert "still covered" in CampaignStop.objects.first().error
    pause_resume(workspace=workspace_a, pause=unit_pause)
    CampaignStop.objects.update(next_attempt_at=timezone.now())
    restores_process(workspace_id=workspace_a.pk)
    assert _statuses(graph, active) == ["ACTIVE"] * 3


def test_the_pause_dialog_can_also_stop_running_ads(client, admin, running, graph, workspace_a):
    active, _ = running
    client.force_login(admin.user)
    page = client.get("/publishing/").content.decode()
    assert 'name="stop_running_ads"' in page
    response = client.post("/publishing/pause/", {"reason": "crisis", "stop_running_ads": "1"})
    assert response.status_code == 302
    (stop_pause,) = {s.pause_id for s in CampaignStop.objects.all()}
    stops_process(pause_id=stop_pause, workspace_id=workspace_a.pk)
    assert _statuses(graph, active) == ["PAUSED"] * 3


def test_the_pause_dialog_leaves_ads_running_unless_asked(client, admin, running, workspace_a):
    client.force_login(admin.user)
    client.post("/publishing/pause/", {"reason": "crisis"})
    assert not CampaignStop.objects.exists()
