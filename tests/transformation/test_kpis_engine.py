"""The KPI engine: bands turn values into scores and levels, capabilities roll their KPIs up,
snapshots are stored once per scope and day, the live view and trends read them, and the
hourly beat task keeps yesterday's and today's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from cxm.audit.models import AuditEntry
from tests.factories import BrandFactory
from tests.transformation.kpis_data import mentions
from transformation import band_selectors, bands, selectors, services, tasks
from transformation.capabilities import CAPABILITY_KEYS
from transformation.kpis.registry import KPIS, KpiResult
from transformation.measure import capabilities_roll_up, kpis_score
from transformation.models import BandOverride, KpiSnapshot, TransformationSettings

EDGES = bands.BAND_SETS["cx-2026"]


def today() -> date:
    return timezone.now().astimezone(UTC).date()


# --- bands, scores and levels ------------------------------------------------------------------------


def test_each_edge_scores_two_points_per_step_and_between_edges_is_linear():
    edges = [0, 10, 20, 30, 40, 50]
    assert [bands.score(v, edges) for v in (0, 10, 20, 30, 40, 50)] == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert bands.score(15, edges) == 3.0
    assert bands.score(47.5, edges) == 9.5


def test_values_beyond_the_outer_edges_stay_at_zero_and_ten():
    edges = [0, 10, 20, 30, 40, 50]
    assert bands.score(-5, edges) == 0.0
    assert bands.score(500, edges) == 10.0


def test_lower_is_better_bands_fall():
    first_response = EDGES["heard_first_response"]  # minutes: 1440 worst ... 1 best
    assert bands.score(2000, first_response) == 0.0
    assert bands.score(60, first_response) == 6.0
    assert bands.score(90, first_response) == 5.0
    assert bands.score(0.5, first_response) == 10.0


def test_level_is_one_plus_whole_steps_and_needs_the_fifth_edge_for_five():
    assert [bands.level(p) for p in (0, 1.99, 2, 5.5, 7.99, 8, 10)] == [1, 1, 2, 3, 4, 5, 5]


def test_every_kpi_has_valid_edges_in_its_better_direction():
    for kpi in KPIS:
        edges = EDGES[kpi.key]
        assert bands.edges_valid(edges) is None, kpi.key
        assert (edges[-1] > edges[0]) == (kpi.better == "higher"), kpi.key


# --- capability roll-up ------------------------------------------------------------------------------------


def test_capability_score_is_the_weighted_mean_of_kpis_with_a_number():
    results = {
        "heard_answered_share": KpiResult(value=95.0, n=100),  # weight 2 -> 8.0
        "heard_first_response": KpiResult(value=120.0, n=100),  # 4.0
        "heard_unanswered_24h": KpiResult(value=None, n=0, status="no_data"),
    }

    rolled = capabilities_roll_up(kpis_score(results, EDGES))

    assert rolled["heard"]["score"] == round((8.0 * 2 + 4.0) / 3, 2)
    assert rolled["heard"]["level"] == 4
    assert rolled["heard"]["weakest"] == "heard_first_response"


def test_a_capability_without_any_number_has_no_score_but_still_names_a_kpi():
    results = {"enjoy_csat": KpiResult(value=None, n=3, status="insufficient")}

    rolled = capabilities_roll_up(kpis_score(results, EDGES))

    assert rolled["enjoy"] == {"score": None, "level": None, "weakest": "enjoy_csat"}


# --- band overrides --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_band_override_is_used_and_audited(workspace_a, member):
    admin = member(workspace_a).user

    services.band_override_set(
        workspace=workspace_a, kpi="enjoy_net_sentiment", edges=[-10, 0, 10, 20, 30, 40], by=admin
    )

    assert band_selectors.bands_edges(workspace_id=workspace_a.pk)["enjoy_net_sentiment"] == [
        -10,
        0,
        10,
        20,
        30,
        40,
    ]
    row = next(
        r for r in selectors.bands_effective(workspace=workspace_a) if r["key"] == "enjoy_net_sentiment"
    )
    assert row["overridden"] and row["default_edges"] == EDGES["enjoy_net_sentiment"]
    entry = AuditEntry.objects.get(workspace=workspace_a, action="transformation.band_override_set")
    assert entry.actor == admin
    assert entry.before["edges"] == EDGES["enjoy_net_sentiment"]
    assert entry.after["edges"] == [-10, 0, 10, 20, 30, 40]


@pytest.mark.django_db
def test_clearing_an_override_goes_back_to_the_band_set_and_is_audited(workspace_a, member):
    admin = member(workspace_a).user
    services.band_override_set(workspace=workspace_a, kpi="relevant_ctr", edges=[0, 1, 2, 3, 4, 5], by=admin)

    assert services.band_override_clear(workspace=workspace_a, kpi="relevant_ctr", by=admin) is True
    assert services.band_override_clear(workspace=workspace_a, kpi="relevant_ctr", by=admin) is False

    assert band_selectors.bands_edges(workspace_id=workspace_a.pk)["relevant_ctr"] == EDGES["relevant_ctr"]
    assert (
        AuditEntry.objects.filter(workspace=workspace_a, action="transformation.band_override_clear").count()
        == 1
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kpi, edges",
    [
        ("enjoy_csat", [1, 2, 3, 4, 5]),  # five numbers
        ("enjoy_csat", [1, 2, 2, 3, 4, 5]),  # a repeat
        ("enjoy_csat", [1, 3, 2, 4, 5, 6]),  # not monotonic
        ("enjoy_csat", [1, 2, 3, 4, 5, "6"]),  # not a number
        ("enjoy_csat", [5, 4.4, 4, 3.6, 3, 2]),  # falls, but higher is better
        ("heard_first_response", [1, 15, 60, 120, 480, 1440]),  # rises, but lower is better
        ("no_such_kpi", [1, 2, 3, 4, 5, 6]),
    ],
)
def test_invalid_edges_are_refused_and_nothing_is_stored(workspace_a, member, kpi, edges):
    with pytest.raises(ValidationError):
        services.band_override_set(workspace=workspace_a, kpi=kpi, edges=edges, by=member(workspace_a).user)

    assert not BandOverride.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="transformation.").exists()


# --- snapshots -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_snapshot_measures_every_kpi_and_recomputing_replaces_it(workspace_a):
    day = date(2026, 11, 20)
    at = datetime(2026, 11, 18, 12, tzinfo=UTC)
    mentions(workspace_a, 30, at=at, sentiment="positive")

    first = services.snapshot_take(workspace_id=workspace_a.pk, day=day)
    mentions(workspace_a, 30, at=at, sentiment="negative")
    again = services.snapshot_take(workspace_id=workspace_a.pk, day=day)

    assert KpiSnapshot.objects.filter(workspace_id=workspace_a.pk, day=day).count() == 1
    assert again.pk == first.pk
    assert set(again.values) == {kpi.key for kpi in KPIS}
    assert set(again.capabilities) == set(CAPABILITY_KEYS)
    sentiment = again.values["enjoy_net_sentiment"]
    assert (sentiment["value"], sentiment["n"], sentiment["status"]) == (0.0, 60, "ok")
    assert (sentiment["score"], sentiment["level"]) == (4.0, 3)
    assert again.values["enjoy_csat"]["value"] is None  # no surveys here: never 0


@pytest.mark.django_db
def test_snapshot_scores_against_the_workspace_overrides(workspace_a, member):
    mentions(workspace_a, 30, at=datetime(2026, 11, 18, tzinfo=UTC), sentiment="positive")  # net 100 %
    services.band_override_set(
        workspace=workspace_a,
        kpi="enjoy_net_sentiment",
        edges=[100, 200, 300, 400, 500, 600],
        by=member(workspace_a).user,
    )

    snapshot = services.snapshot_take(workspace_id=workspace_a.pk, day=date(2026, 11, 20))

    assert snapshot.values["enjoy_net_sentiment"]["score"] == 0.0


@pytest.mark.django_db
def test_unknown_band_set_falls_back_to_the_default(workspace_a):
    TransformationSettings.objects.create(workspace=workspace_a, band_set="gone-2020")

    assert band_selectors.bands_edges(workspace_id=workspace_a.pk) == EDGES


@pytest.mark.django_db
def test_scopes_are_separate_snapshots(workspace_a):
    brand = BrandFactory(workspace=workspace_a)
    BrandFactory(workspace=workspace_a, is_competitor=True, business_unit=brand.business_unit)
    day = date(2026, 11, 20)

    services.snapshot_take(workspace_id=workspace_a.pk, day=day)
    services.snapshot_take(workspace_id=workspace_a.pk, day=day, brand_id=brand.pk)

    assert KpiSnapshot.objects.filter(workspace_id=workspace_a.pk, day=day).count() == 2
    assert services.snapshot_scopes(workspace_id=workspace_a.pk) == [
        (0, 0),
        (brand.business_unit_id, 0),
        (0, brand.pk),
    ]


# --- the live view and trends ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_capabilities_live_measures_on_demand_once_and_keeps_the_shape(workspace_a):
    live = selectors.capabilities_live(workspace=workspace_a)

    assert [c["key"] for c in live] == list(CAPABILITY_KEYS)
    assert KpiSnapshot.objects.filter(workspace_id=workspace_a.pk, day=today()).count() == 1
    heard = live[0]
    assert set(heard) == {
        "key",
        "outcome",
        "experience",
        "kpis",
        "measured_score",
        "measured_level",
        "weakest",
    }
    assert set(heard["kpis"][0]) == {
        "key",
        "name",
        "value",
        "unit",
        "level",
        "score",
        "window",
        "n",
        "excluded",
        "status",
        "mean",
        "business_value",
        "business_mean",
        "detail",
    }
    assert sum(len(c["kpis"]) for c in live) == len(KPIS)
    advocates = next(k for c in live for k in c["kpis"] if k["key"] == "proud_advocates")
    assert advocates["window"] == 90 and advocates["status"] == "no_data" and advocates["value"] is None
    assert heard["measured_score"] is None and heard["weakest"] == "heard_answered_share"

    selectors.capabilities_live(workspace=workspace_a)
    selectors.capabilities_live(workspace=workspace_a, on_demand=True)
    assert KpiSnapshot.objects.filter(workspace_id=workspace_a.pk).count() == 1


@pytest.mark.django_db
def test_capabilities_live_reads_todays_snapshot_and_rescores_after_an_override(workspace_a, member):
    mentions(workspace_a, 30, at=timezone.now() - timedelta(days=2), sentiment="positive")
    before = selectors.capabilities_live(workspace=workspace_a)
    services.band_override_set(
        workspace=workspace_a,
        kpi="enjoy_net_sentiment",
        edges=[100, 200, 300, 400, 500, 600],
        by=member(workspace_a).user,
    )

    after = selectors.capabilities_live(workspace=workspace_a)

    def sentiment(live):
        return next(k for k in live[1]["kpis"] if k["key"] == "enjoy_net_sentiment")

    assert (sentiment(before)["value"], sentiment(before)["score"]) == (100.0, 10.0)
    assert (sentiment(after)["value"], sentiment(after)["score"]) == (100.0, 0.0)
    assert after[1]["weakest"] == "enjoy_net_sentiment"


@pytest.mark.django_db
def test_capabilities_live_of_another_workspace_sees_none_of_this_ones_data(workspace_a, workspace_b):
    mentions(workspace_a, 40, at=timezone.now() - timedelta(days=1), sentiment="positive")

    theirs = selectors.capabilities_live(workspace=workspace_b)

    sentiment = next(k for k in theirs[1]["kpis"] if k["key"] == "enjoy_net_sentiment")
    assert (sentiment["status"], sentiment["value"]) == ("no_data", None)


@pytest.mark.django_db
def test_trends_read_the_snapshots_in_day_order(workspace_a):
    start = today() - timedelta(days=3)
    for offset in range(3):
        mentions(
            workspace_a,
            30,
            at=datetime.combine(start + timedelta(days=offset), datetime.min.time(), tzinfo=UTC),
        )
        services.snapshot_take(workspace_id=workspace_a.pk, day=start + timedelta(days=offset))
    services.snapshot_take(workspace_id=workspace_a.pk, day=today() - timedelta(days=200))  # out of range

    trend = selectors.kpi_trend(workspace=workspace_a, kpi="enjoy_net_sentiment", days=90)
    capability = selectors.capability_trend(workspace=workspace_a, capability="enjoy", days=90)

    assert [point["day"] for point in trend] == [start, start + timedelta(days=1), start + timedelta(days=2)]
    assert [point["n"] for point in trend] == [30, 60, 90]
    assert [point["status"] for point in trend] == ["ok", "ok", "ok"]
    assert [point["day"] for point in capability] == [point["day"] for point in trend]
    assert all(point["score"] == 4.0 for point in capability)
    assert selectors.kpi_trend(workspace=workspace_a, kpi="enjoy_net_sentiment", brand_id=5) == []


# --- the beat task ------------------------------------------------------------------------------------------


def test_beat_refreshes_the_snapshots_well_before_pages_call_them_stale():
    entry = next(
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "transformation.snapshots_daily"
    )
    assert entry["schedule"] <= 900
    assert entry["schedule"] < settings.CXM_TRANSFORMATION_STALE_MINUTES * 60 / 2


@pytest.mark.django_db
def test_snapshot_task_takes_yesterday_and_today_for_every_workspace_and_scope(workspace_a, workspace_b):
    brand = BrandFactory(workspace=workspace_a)

    done = tasks.snapshots_daily()

    yesterday = today() - timedelta(days=1)
    rows = set(KpiSnapshot.objects.values_list("workspace_id", "business_unit_id", "brand_id", "day"))
    expected = {
        (workspace, unit, brand_id, day)
        for workspace, unit, brand_id in [
            (workspace_a.pk, 0, 0),
            (workspace_a.pk, brand.business_unit_id, 0),
            (workspace_a.pk, 0, brand.pk),
            (workspace_b.pk, 0, 0),
        ]
        for day in (yesterday, today())
    }
    assert rows == expected
    assert done == {"snapshots": 8, "failed_workspaces": 0}

    again = tasks.snapshots_daily()

    # Yesterday's were taken after it ended, so only today's are taken again.
    assert again["snapshots"] == 4
    assert KpiSnapshot.objects.count() == 8
