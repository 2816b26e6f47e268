"""The transformation KPI `respected_privacy_days`: median days from request to completion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cxm.privacy import services
from cxm.privacy.models import PrivacyRequest
from transformation.kpis.registry import BY_KEY, Scope
from transformation.kpis.trust import privacy_days


def _completed(workspace, *, asked_days_ago: float, took_days: float):
    privacy_request = services.request_create(
        workspace=workspace, kind="export", identity="a@b.example", enqueue=False
    )
    asked = timezone.now() - timedelta(days=asked_days_ago)
    PrivacyRequest.objects.filter(pk=privacy_request.pk).update(
        status=PrivacyRequest.Status.DONE,
        created_at=asked,
        due_at=asked + timedelta(days=30),
        completed_at=asked + timedelta(days=took_days),
    )


@pytest.mark.django_db
def test_median_days_of_requests_completed_in_the_window(workspace_a, workspace_b):
    _completed(workspace_a, asked_days_ago=40, took_days=2)
    _completed(workspace_a, asked_days_ago=20, took_days=4)
    _completed(workspace_a, asked_days_ago=60, took_days=40)  # late
    _completed(workspace_b, asked_days_ago=10, took_days=1)
    services.request_create(
        workspace=workspace_a, kind="erase", identity="c@d.example", enqueue=False
    )  # open

    result = privacy_days(
        BY_KEY["respected_privacy_days"], Scope(workspace_a.pk, timezone.now() + timedelta(hours=1))
    )

    assert result.status == "ok"
    assert result.value == 4.0
    assert result.n == 3
    assert result.detail["late"] == 1


@pytest.mark.django_db
def test_no_completed_request_is_no_data(workspace_a):
    services.request_create(workspace=workspace_a, kind="erase", identity="c@d.example", enqueue=False)

    result = privacy_days(BY_KEY["respected_privacy_days"], Scope(workspace_a.pk, timezone.now()))

    assert result.status == "no_data" and result.n == 0
