"""Retention: mentions and closed cases older than the workspace keeps them are purged in batches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from care.models import Case, CaseStatus, Message
from cxm.audit.models import AuditEntry
from cxm.customers.models import CustomerProfile
from cxm.privacy import services
from listening.models import Mention, MentionDaily
from listening.services import mentions_ingest_payload


def _mentions(workspace, prefix, count, at):
    mentions_ingest_payload(
        workspace_id=workspace.pk,
        items=[
            {
                "platform": "mastodon",
                "external_id": f"{prefix}-{index}",
                "text": f"post {index}",
                "created_at": at.isoformat(),
                "author": {"handle": f"@{prefix}{index}@social.example"},
            }
            for index in range(count)
        ],
    )


def _case(workspace, *, status, closed_days_ago=None):
    profile = CustomerProfile.objects.create(workspace=workspace, display_name="someone")
    closed_at = timezone.now() - timedelta(days=closed_days_ago) if closed_days_ago is not None else None
    case = Case.objects.create(
        workspace=workspace,
        customer=profile,
        status=status,
        closed_at=closed_at,
        last_message_at=timezone.now(),
    )
    Message.objects.create(
        workspace=workspace,
        case=case,
        direction="inbound",
        platform="mastodon",
        external_id=f"dm-{case.pk}",
        text="hello",
        occurred_at=timezone.now(),
    )
    return case


def _retain(workspace, admin, *, mentions=None, cases=None):
    services.privacy_settings_update(
        workspace=workspace,
        by=admin,
        due_days=30,
        mention_retention_days=mentions,
        closed_case_retention_days=cases,
    )


@pytest.mark.django_db
def test_purge_deletes_only_mentions_older_than_retention_in_batches(workspace_a, workspace_b, admin):
    _mentions(workspace_a, "old", 5, timezone.now() - timedelta(days=100))
    _mentions(workspace_a, "new", 3, timezone.now() - timedelta(days=2))
    _mentions(workspace_b, "theirs", 2, timezone.now() - timedelta(days=100))
    _retain(workspace_a, admin, mentions=30)
    totals = MentionDaily.objects.filter(workspace_id=workspace_a.pk).aggregate(Sum("mentions"))

    with CaptureQueriesContext(connection) as queries:
        purged = services.retention_purge(workspace_id=workspace_a.pk, batch_size=2)

    assert purged[workspace_a.pk]["mentions_purged"] == 5
    left = set(Mention.objects.filter(workspace_id=workspace_a.pk).values_list("external_id", flat=True))
    assert left == {"new-0", "new-1", "new-2"}
    assert Mention.objects.filter(workspace_id=workspace_b.pk).count() == 2
    batches = [
        q for q in queries.captured_queries if q["sql"].strip().startswith("DELETE FROM listening_mention m")
    ]
    assert len(batches) == 3  # 2 + 2 + 1
    assert all("SKIP LOCKED" in q["sql"] for q in batches)
    assert MentionDaily.objects.filter(workspace_id=workspace_a.pk).aggregate(Sum("mentions")) == totals
    entry = AuditEntry.objects.get(workspace=workspace_a, action="privacy.retention_purge")
    assert entry.after["counts"]["mentions_purged"] == 5


@pytest.mark.django_db
def test_purge_deletes_only_closed_cases_older_than_retention(workspace_a, admin):
    old_closed = [_case(workspace_a, status=CaseStatus.CLOSED, closed_days_ago=90) for _ in range(3)]
    recent_closed = _case(workspace_a, status=CaseStatus.CLOSED, closed_days_ago=5)
    old_open = _case(workspace_a, status=CaseStatus.OPEN)
    Case.objects.filter(pk=old_open.pk).update(created_at=timezone.now() - timedelta(days=400))
    resolved = _case(workspace_a, status=CaseStatus.RESOLVED)
    _retain(workspace_a, admin, cases=60)

    purged = services.retention_purge(workspace_id=workspace_a.pk, batch_size=2)

    assert purged[workspace_a.pk]["closed_cases_purged"] == 3
    assert set(Case.objects.filter(workspace=workspace_a).values_list("pk", flat=True)) == {
        recent_closed.pk,
        old_open.pk,
        resolved.pk,
    }
    assert not Message.objects.filter(case_id__in=[case.pk for case in old_closed]).exists()


@pytest.mark.django_db
def test_no_retention_set_keeps_everything(workspace_a):
    _mentions(workspace_a, "old", 2, timezone.now() - timedelta(days=1000))

    assert services.retention_purge() == {}
    assert Mention.objects.filter(workspace_id=workspace_a.pk).count() == 2
