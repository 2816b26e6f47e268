"""Running a request: claimed once, idempotent on redelivery, recorded with progress and times."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cxm.audit.models import AuditEntry
from cxm.privacy import services
from cxm.privacy.models import PrivacyRequest
from cxm.privacy.registry import register_privacy_handler, unregister_privacy_handler
from tests.privacy.conftest import EMAIL, make_person


def _request(workspace, kind, by, identity=EMAIL):
    return services.request_create(workspace=workspace, kind=kind, identity=identity, by=by, enqueue=False)


@pytest.mark.django_db
def test_request_is_due_after_the_workspace_days(workspace_a, admin):
    services.privacy_settings_update(
        workspace=workspace_a,
        by=admin,
        due_days=10,
        mention_retention_days=None,
        closed_case_retention_days=None,
    )

    privacy_request = _request(workspace_a, "export", admin)

    assert privacy_request.status == PrivacyRequest.Status.PENDING
    assert privacy_request.due_at - privacy_request.created_at == timedelta(days=10)
    entry = AuditEntry.objects.get(workspace=workspace_a, action="privacy.export_request")
    assert EMAIL not in str(entry.after) and EMAIL not in entry.object_repr


@pytest.mark.django_db
def test_redelivered_erase_after_done_does_not_run_again(workspace_a, admin):
    make_person(workspace_a)
    privacy_request = _request(workspace_a, "erase", admin)

    first = services.request_run(workspace_id=workspace_a.pk, request_id=privacy_request.pk)
    again = services.request_run(workspace_id=workspace_a.pk, request_id=privacy_request.pk)

    assert first.status == PrivacyRequest.Status.DONE
    assert again is None
    assert AuditEntry.objects.filter(workspace=workspace_a, action="privacy.erase_done").count() == 1


@pytest.mark.django_db
def test_delivery_while_another_worker_holds_the_lease_does_nothing(workspace_a, admin):
    make_person(workspace_a)
    privacy_request = _request(workspace_a, "erase", admin)
    PrivacyRequest.objects.filter(pk=privacy_request.pk).update(
        status=PrivacyRequest.Status.RUNNING, lease_until=timezone.now() + timedelta(minutes=5)
    )

    assert services.request_run(workspace_id=workspace_a.pk, request_id=privacy_request.pk) is None
    privacy_request.refresh_from_db()
    assert privacy_request.handlers_done == []


class _Crash:
    name = "crash"
    order = 50
    kinds = ()
    calls = 0

    def find(self, workspace_id, subject):
        return {}

    def export(self, workspace_id, subject, writer):
        return None

    def erase(self, workspace_id, subject):
        _Crash.calls += 1
        if _Crash.calls == 1:
            raise RuntimeError(f"disk full while erasing {subject.identity}")
        return {}


@pytest.mark.django_db
def test_retry_after_a_failure_continues_without_repeating_finished_handlers(workspace_a, admin):
    make_person(workspace_a)
    register_privacy_handler(_Crash())
    try:
        privacy_request = _request(workspace_a, "erase", admin)
        failed = services.request_run(workspace_id=workspace_a.pk, request_id=privacy_request.pk)
        assert failed.status == PrivacyRequest.Status.FAILED
        assert EMAIL not in failed.error and "disk full" in failed.error
        assert {"ads", "listening", "care"} <= set(failed.handlers_done)
        assert "customers" not in failed.handlers_done

        done = services.request_run(workspace_id=workspace_a.pk, request_id=privacy_request.pk)
    finally:
        unregister_privacy_handler("crash")
    assert done.status == PrivacyRequest.Status.DONE
    assert done.counts["mentions"] == 3  # counted by the first run, not re-counted as 0
    assert done.identity is None and done.subject is None


@pytest.mark.django_db
def test_stalled_requests_are_found_for_the_beat_to_queue_again(workspace_a, admin):
    from cxm.privacy.selectors import requests_stalled

    now = timezone.now()
    lost = _request(workspace_a, "export", admin)
    PrivacyRequest.objects.filter(pk=lost.pk).update(created_at=now - timedelta(hours=1))
    fresh = _request(workspace_a, "export", admin)
    died = _request(workspace_a, "erase", admin)
    PrivacyRequest.objects.filter(pk=died.pk).update(
        status=PrivacyRequest.Status.RUNNING, lease_until=now - timedelta(minutes=1)
    )
    busy = _request(workspace_a, "erase", admin)
    PrivacyRequest.objects.filter(pk=busy.pk).update(
        status=PrivacyRequest.Status.RUNNING, lease_until=now + timedelta(minutes=10)
    )

    stalled = requests_stalled(now=now, pending_for=timedelta(minutes=10))

    assert {request_id for _workspace, request_id in stalled} == {lost.pk, died.pk}
    assert fresh.pk not in {request_id for _workspace, request_id in stalled}
