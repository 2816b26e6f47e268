"""`GET /api/v1/transformation/capabilities/`: the eight capabilities in order with exactly the
agreed fields, KPIs without data as null (never 0), and the assessed level of the latest round."""

from __future__ import annotations

import pytest

from cxm.tenancy.models import Role
from tests.factories import BrandFactory, BusinessUnitFactory
from tests.transformation.snapshots import snapshot_today
from transformation import assessment
from transformation.capabilities import CAPABILITIES, CAPABILITY_KEYS
from transformation.kpis.registry import KPIS

URL = "/api/v1/transformation/capabilities/"
CAPABILITY_FIELDS = {"key", "outcome", "experience", "kpis", "measured_level", "assessed_level"}
KPI_FIELDS = {"key", "name", "value", "unit", "level", "window"}

pytestmark = pytest.mark.django_db


def answer_all(assessment_round, membership, **levels):
    assessment.response_submit(
        assessment_round=assessment_round,
        user=membership.user,
        scores={key: levels.get(key, 3) for key in CAPABILITY_KEYS},
        workspace_role=membership.role,
    )


def test_eight_capabilities_in_order_with_the_agreed_fields(api, admin):
    response = api(admin).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert [row["key"] for row in body] == [c.key for c in CAPABILITIES]
    for row, capability in zip(body, CAPABILITIES, strict=True):
        assert set(row) >= CAPABILITY_FIELDS
        assert row["outcome"] == str(capability.outcome)
        assert row["experience"] == str(capability.experience)
        assert [k["key"] for k in row["kpis"]] == [k.key for k in KPIS if k.capability == capability.key]
        for kpi in row["kpis"]:
            assert set(kpi) >= KPI_FIELDS
            assert isinstance(kpi["window"], int)


def test_kpis_without_data_are_null_not_zero(api, admin):
    body = api(admin).get(URL).json()
    kpis = [kpi for row in body for kpi in row["kpis"]]
    assert kpis and all(kpi["value"] is None and kpi["level"] is None for kpi in kpis)
    assert {kpi["status"] for kpi in kpis} <= {"no_data", "insufficient"}
    assert all(row["measured_level"] is None for row in body)
    assert all(row["assessed_level"] is None for row in body)


def test_measured_figures_and_insufficient_data(api, workspace_a, admin):
    snapshot_today(
        workspace_a,
        {
            "heard_answered_share": {"value": 72.0, "n": 120, "status": "ok"},
            "heard_first_response": {"value": None, "n": 12, "status": "insufficient"},
        },
    )
    heard = api(admin).get(URL).json()[0]
    by_key = {kpi["key"]: kpi for kpi in heard["kpis"]}
    assert by_key["heard_answered_share"] == {
        "key": "heard_answered_share",
        "name": "Inbound items answered",
        "value": 72.0,
        "unit": "%",
        "level": 3,
        "window": 28,
        "n": 120,
        "status": "ok",
    }
    assert by_key["heard_first_response"]["value"] is None
    assert by_key["heard_first_response"]["status"] == "insufficient"
    assert by_key["heard_first_response"]["n"] == 12
    assert heard["measured_level"] == 3


def test_assessed_level_is_the_latest_rounds_median_rounded_half_up(api, workspace_a, member, admin):
    first = assessment.round_create(workspace=workspace_a, name="Q1", by=admin.user)
    answer_all(first, admin, heard=1)
    assessment.round_close(assessment_round=first, by=admin.user)
    latest = assessment.round_create(workspace=workspace_a, name="Q2", by=admin.user)
    answer_all(latest, admin, heard=2, proud=5)
    answer_all(latest, member(workspace_a, Role.AGENT), heard=3, proud=5)
    body = {row["key"]: row for row in api(admin).get(URL).json()}
    assert body["heard"]["assessed_level"] == 3  # median 2.5
    assert body["proud"]["assessed_level"] == 5
    assert body["enjoy"]["assessed_level"] == 3


def test_an_open_round_without_answers_does_not_hide_the_previous_one(api, workspace_a, admin):
    first = assessment.round_create(workspace=workspace_a, name="Q1", by=admin.user)
    answer_all(first, admin, heard=4)
    assessment.round_create(workspace=workspace_a, name="Q2", by=admin.user)
    assert api(admin).get(URL).json()[0]["assessed_level"] == 4


def test_another_workspaces_assessment_and_measurements_stay_there(
    api, workspace_a, workspace_b, member, admin
):
    other = member(workspace_b, Role.ADMIN)
    foreign = assessment.round_create(workspace=workspace_b, name="B", by=other.user)
    answer_all(foreign, other, heard=5)
    snapshot_today(workspace_b, {"heard_answered_share": {"value": 99.0, "n": 500, "status": "ok"}})
    heard = api(admin).get(URL).json()[0]
    assert heard["assessed_level"] is None
    assert heard["measured_level"] is None
    assert heard["kpis"][0]["value"] is None


def test_filter_by_business_unit_or_brand(api, workspace_a, workspace_b, admin):
    unit = BusinessUnitFactory(workspace=workspace_a)
    brand = BrandFactory(workspace=workspace_a)
    snapshot_today(
        workspace_a,
        {"heard_answered_share": {"value": 96.0, "n": 40, "status": "ok"}},
        business_unit_id=unit.pk,
    )
    client = api(admin)
    assert client.get(URL, {"business_unit": unit.pk}).json()[0]["kpis"][0]["value"] == 96.0
    assert client.get(URL).json()[0]["kpis"][0]["value"] is None
    assert client.get(URL, {"brand": brand.pk}).status_code == 200
    foreign_unit = BusinessUnitFactory(workspace=workspace_b)
    refused = client.get(URL, {"business_unit": foreign_unit.pk})
    assert refused.status_code == 400
    assert "business_unit" in refused.json()["fields"]


@pytest.mark.parametrize("role", [Role.ANALYST, Role.AGENT, Role.MARKETER, Role.APPROVER])
def test_every_member_may_read(api, workspace_a, member, role):
    assert api(member(workspace_a, role)).get(URL).status_code == 200


def test_strangers_may_not(api):
    assert api().get(URL).status_code in (401, 403)
