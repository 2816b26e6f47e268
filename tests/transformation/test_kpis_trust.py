"""Trust KPIs on hand-made data: alerts acknowledged within target, sensitive actions audited,
the time from a pause to every publisher stopped, and data-subject requests."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from ads.models import AdCommentAlert, CampaignStop, OptimizerProposal
from cxm.customers.models import CustomerMerge, CustomerProfile
from cxm.customers.services import customer_merge
from listening.models import Alert, Topic
from publishing.models import Pause
from publishing.services.pause import pause_activate
from tests.factories import BusinessUnitFactory
from tests.transformation.kpis_data import UNTIL, ad_campaign, scope, stamp
from transformation.kpis import trust
from transformation.kpis.registry import BY_KEY
from transformation.services import band_override_set

pytestmark = pytest.mark.django_db


def measured(workspace, key, **scope_fields):
    return trust.measure(scope(workspace, **scope_fields), [BY_KEY[key]])[key]


# --- alerts acknowledged within target -----------------------------------------------------------------


def spike_alert(workspace, topic, *, raised, acknowledged_after=None):
    alert = Alert.objects.create(
        workspace=workspace,
        topic=topic,
        kind="volume",
        day=date(2026, 1, 1) + timedelta(days=Alert.objects.count()),
        observed=50,
        baseline=10,
    )
    stamp(
        Alert,
        alert.pk,
        created_at=raised,
        acknowledged_at=raised + acknowledged_after if acknowledged_after is not None else None,
    )


def ad_alert(workspace, campaign, *, raised, acknowledged_after=None):
    alert = AdCommentAlert.objects.create(
        workspace=workspace,
        ad=campaign.ads.first(),
        campaign=campaign,
        day=date(2026, 1, 1) + timedelta(days=AdCommentAlert.objects.count()),
        negative=9,
        baseline=1,
    )
    stamp(
        AdCommentAlert,
        alert.pk,
        created_at=raised,
        acknowledged=acknowledged_after is not None,
        acknowledged_at=raised + acknowledged_after if acknowledged_after is not None else None,
    )


def test_no_alerts_is_no_data(workspace_a):
    result = measured(workspace_a, "smarter_alerts_in_target")

    assert (result.status, result.value, result.n) == ("no_data", None, 0)


def test_alerts_in_target_counts_spike_and_ad_comment_alerts_within_an_hour(workspace_a, workspace_b):
    topic = Topic.objects.create(workspace=workspace_a, name="Coffee", query="kopi")
    campaign = ad_campaign(workspace_a)
    day_ago = UNTIL - timedelta(days=1)
    for _ in range(3):
        spike_alert(workspace_a, topic, raised=day_ago, acknowledged_after=timedelta(minutes=30))
    spike_alert(workspace_a, topic, raised=day_ago, acknowledged_after=timedelta(hours=2))  # late
    spike_alert(workspace_a, topic, raised=day_ago)  # never acknowledged
    spike_alert(workspace_a, topic, raised=UNTIL - timedelta(minutes=20))  # too young to judge
    for _ in range(2):
        ad_alert(workspace_a, campaign, raised=day_ago, acknowledged_after=timedelta(minutes=10))
    ad_alert(
        workspace_a, campaign, raised=UNTIL - timedelta(minutes=10), acknowledged_after=timedelta(minutes=5)
    )
    other = Topic.objects.create(workspace=workspace_b, name="Coffee", query="kopi")
    spike_alert(workspace_b, other, raised=day_ago)

    result = measured(workspace_a, "smarter_alerts_in_target")

    assert (result.status, result.n, result.excluded) == ("ok", 8, 1)
    assert result.value == 75.0
    assert result.detail["target_minutes"] == 60


def test_fewer_than_five_judged_alerts_is_insufficient(workspace_a):
    topic = Topic.objects.create(workspace=workspace_a, name="Coffee", query="kopi")
    for _ in range(4):
        spike_alert(
            workspace_a, topic, raised=UNTIL - timedelta(days=1), acknowledged_after=timedelta(minutes=5)
        )

    result = measured(workspace_a, "smarter_alerts_in_target")

    assert (result.status, result.value, result.n) == ("insufficient", None, 4)


# --- sensitive actions audited ---------------------------------------------------------------------------


def test_no_sensitive_actions_is_no_data(workspace_a):
    result = measured(workspace_a, "respected_audited_share", until=timezone.now() + timedelta(hours=1))

    assert (result.status, result.value) == ("no_data", None)


def test_audited_share_counts_actions_recorded_without_their_audit_entry(workspace_a, workspace_b, member):
    admin = member(workspace_a).user
    pause_activate(workspace=workspace_a, by=admin)  # audited
    Pause.objects.create(workspace=workspace_a, scope="global")  # written around the service
    first, second = (CustomerProfile.objects.create(workspace=workspace_a) for _ in range(2))
    customer_merge(workspace=workspace_a, source=first, target=second, by=admin)  # audited
    third, fourth = (CustomerProfile.objects.create(workspace=workspace_a) for _ in range(2))
    CustomerMerge.objects.create(workspace=workspace_a, source=third, target=fourth)
    band_override_set(workspace=workspace_a, kpi="enjoy_csat", edges=[1, 2, 3, 4, 4.5, 5], by=admin)
    OptimizerProposal.objects.create(
        workspace=workspace_a,
        campaign=ad_campaign(workspace_a),
        total=100,
        status="applied",
        applied_at=timezone.now(),
    )
    pause_activate(workspace=workspace_b)

    result = measured(workspace_a, "respected_audited_share", until=timezone.now() + timedelta(hours=1))

    assert (result.status, result.n, result.value) == ("ok", 6, 50.0)
    assert result.detail["pauses"] == {"total": 2, "audited": 1}
    assert result.detail["customer_merges"] == {"total": 2, "audited": 1}
    assert result.detail["band_overrides"] == {"total": 1, "audited": 1}
    assert result.detail["proposals_applied"] == {"total": 1, "audited": 0}


# --- pause to every publisher stopped --------------------------------------------------------------------


def test_no_pause_is_no_data(workspace_a):
    assert measured(workspace_a, "respected_pause_seconds").status == "no_data"


def timed_pause(workspace, *, requested, written_after: timedelta, **fields):
    pause = pause_activate(workspace=workspace, **fields)
    stamp(Pause, pause.pk, starts_at=requested, created_at=requested + written_after)
    pause.refresh_from_db()
    return pause


def stop(workspace, pause, *, state, stopped_at=None):
    """A stop the pause recorded (in its own transaction, so written with it)."""
    row = CampaignStop.objects.create(
        workspace=workspace,
        pause=pause,
        campaign=ad_campaign(workspace),
        state=state,
        next_attempt_at=pause.starts_at,
        stopped_at=stopped_at,
    )
    stamp(CampaignStop, row.pk, created_at=pause.created_at, updated_at=stopped_at or pause.created_at)


def test_pause_seconds_run_from_the_request_to_the_last_platform_confirmation(workspace_a):
    requested = UNTIL - timedelta(days=2)
    older = timed_pause(
        workspace_a, requested=requested - timedelta(days=30), written_after=timedelta(seconds=1)
    )
    stop(workspace_a, older, state="stopped", stopped_at=older.starts_at + timedelta(hours=1))
    pause = timed_pause(workspace_a, requested=requested, written_after=timedelta(seconds=2))
    stop(workspace_a, pause, state="stopped", stopped_at=requested + timedelta(seconds=40))
    stop(workspace_a, pause, state="stopped", stopped_at=requested + timedelta(seconds=90))

    result = measured(workspace_a, "respected_pause_seconds")

    assert (result.status, result.value, result.n) == ("ok", 90.0, 3)
    assert result.detail["complete"] is True
    assert result.detail["pause_id"] == pause.pk


def test_pause_without_ads_counts_publishing_alone(workspace_a):
    timed_pause(workspace_a, requested=UNTIL - timedelta(days=1), written_after=timedelta(seconds=3))

    result = measured(workspace_a, "respected_pause_seconds")

    assert (result.value, result.n) == (3.0, 1)


def test_pause_with_an_unconfirmed_stop_keeps_counting(workspace_a):
    requested = UNTIL - timedelta(hours=1)
    pause = timed_pause(workspace_a, requested=requested, written_after=timedelta(seconds=1))
    stop(workspace_a, pause, state="stopped", stopped_at=requested + timedelta(seconds=20))
    stop(workspace_a, pause, state="failed")

    result = measured(workspace_a, "respected_pause_seconds")

    assert result.value == 3600.0
    assert result.n == 2
    assert result.detail["complete"] is False
    assert result.detail["campaigns_failed"] == 1


def test_a_business_unit_sees_its_own_and_global_pauses_only(workspace_a):
    ours, theirs = BusinessUnitFactory(workspace=workspace_a), BusinessUnitFactory(workspace=workspace_a)
    timed_pause(workspace_a, requested=UNTIL - timedelta(days=3), written_after=timedelta(seconds=5))
    timed_pause(
        workspace_a,
        requested=UNTIL - timedelta(days=1),
        written_after=timedelta(seconds=1),
        scope="business_unit",
        target_id=theirs.pk,
    )

    result = measured(workspace_a, "respected_pause_seconds", business_unit_id=ours.pk)

    assert (result.value, result.detail["scope"]) == (5.0, "global")


# --- data-subject requests -------------------------------------------------------------------------------


def test_privacy_days_is_no_data_without_completed_requests(workspace_a):
    from cxm.privacy.services import request_create

    request_create(workspace=workspace_a, kind="erase", identity="someone@example.com", enqueue=False)

    result = measured(workspace_a, "respected_privacy_days")

    assert (result.status, result.value, result.n) == ("no_data", None, 0)


def test_privacy_days_is_the_median_time_to_completion(workspace_a):
    from cxm.privacy.models import PrivacyRequest
    from cxm.privacy.services import request_create

    for took_days in (1, 3, 8):
        asked = UNTIL - timedelta(days=20)
        done = request_create(workspace=workspace_a, kind="export", identity="a@example.com", enqueue=False)
        PrivacyRequest.objects.filter(pk=done.pk).update(
            status=PrivacyRequest.Status.DONE,
            created_at=asked,
            completed_at=asked + timedelta(days=took_days),
        )

    result = measured(workspace_a, "respected_privacy_days")

    assert (result.status, result.value, result.n) == ("ok", 3.0, 3)


def test_todays_window_judges_alert_age_against_now_not_the_end_of_the_day(workspace_a):
    topic = Topic.objects.create(workspace=workspace_a, name="Coffee", query="kopi")
    now = timezone.now()
    for _ in range(5):
        spike_alert(
            workspace_a, topic, raised=now - timedelta(hours=3), acknowledged_after=timedelta(minutes=5)
        )
    spike_alert(workspace_a, topic, raised=now - timedelta(minutes=10))  # open, but only 10 minutes old
    end_of_today = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)

    result = measured(workspace_a, "smarter_alerts_in_target", until=end_of_today)

    assert (result.n, result.excluded, result.value) == (5, 1, 100.0)


def test_a_compliance_waiver_is_audited_only_by_an_entry_naming_its_rule(workspace_a, member):
    from ads.models import ComplianceWaiver, CreativeTemplate, Variant
    from cxm.audit.services import audit_record

    approver = member(workspace_a).user
    template = CreativeTemplate.objects.create(workspace=workspace_a, name="Kopi")
    variant = Variant.objects.create(
        workspace=workspace_a, template=template, key="k1", content_hash="h", format="feed"
    )
    for rule in ("claims", "alcohol"):
        ComplianceWaiver.objects.create(
            workspace=workspace_a, variant=variant, rule_id=rule, by=approver, reason="ok"
        )
    audit_record(
        workspace=workspace_a,
        actor=approver,
        action="ads.variant_waive",
        target=variant,
        after={"rule_id": "claims"},
    )

    result = measured(workspace_a, "respected_audited_share", until=timezone.now() + timedelta(hours=1))

    assert result.detail["compliance_waivers"] == {"total": 2, "audited": 1}
    assert (result.n, result.value) == (2, 50.0)
