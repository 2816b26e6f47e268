"""Beat's part: accounts read in after connecting, due work handed out again after a loss."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ads.models import AdCampaign, PushState
from ads.services import accounts_schedule_sync, ads_tick, campaign_launch

pytestmark = pytest.mark.django_db


def test_a_new_ad_account_is_handed_out_for_its_first_sync_once(ad_account):
    sent = []
    assert accounts_schedule_sync(enqueue=lambda **task: sent.append(task)) == 1
    assert sent == [{"account_id": ad_account.pk, "workspace_id": ad_account.workspace_id}]
    assert accounts_schedule_sync(enqueue=lambda **task: sent.append(task)) == 0  # not while its task runs


def test_the_tick_hands_out_a_lost_launch_once_it_went_stale(
    build_campaign, django_capture_on_commit_callbacks
):
    campaign = campaign_launch(campaign=build_campaign())
    pushes = []

    def tick(now):
        with django_capture_on_commit_callbacks(execute=True):
            ads_tick(
                enqueue_push=lambda **task: pushes.append(task),
                enqueue_stops=lambda **task: None,
                enqueue_restores=lambda **task: None,
                now=now,
            )

    tick(timezone.now())
    assert pushes == []  # just enqueued by the launch itself
    tick(timezone.now() + timedelta(minutes=3))
    assert pushes == [{"campaign_id": campaign.pk, "workspace_id": campaign.workspace_id}]
    assert AdCampaign.objects.get(pk=campaign.pk).push_state == PushState.QUEUED
