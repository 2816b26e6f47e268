"""The ROI arithmetic on worked examples computed by hand, its validation, and the API's answer."""

from __future__ import annotations

import pytest

from cxm.tenancy.models import Role
from transformation.roi import RoiInputError, roi_compute, roi_parse, yearly_table

URL = "/api/v1/transformation/roi/"


def compute(data):
    return roi_compute(roi_parse(data))


def test_benefits_are_risk_adjusted_and_discounted_per_year():
    result = compute(
        {
            "discount_rate": 0.10,
            "benefits": [{"name": "Hours", "annual": [110, 121, 133.1], "risk": 0.10}],
            "costs": [],
        }
    )
    # each year is worth 100 today (110/1.1, 121/1.21, 133.1/1.331); 90 % of that counts
    assert result["pv_benefits"] == 270.0
    assert result["pv_costs"] == 0.0
    assert result["npv"] == 270.0
    assert result["roi"] is None  # a return on no cost is undefined


def test_initial_costs_are_undiscounted_and_costs_grow_with_risk():
    result = compute(
        {
            "discount_rate": 0.10,
            "benefits": [],
            "costs": [{"name": "Setup", "initial": 1000, "annual": [110, 0, 0], "risk": 0.05}],
        }
    )
    # 1000 x 1.05 at t = 0, plus 110 x 1.05 / 1.1 = 105 in year 1
    assert result["pv_costs"] == 1155.0
    assert result["npv"] == -1155.0
    assert result["roi"] == -1.0
    assert result["payback_months"] is None


def test_a_full_case_gives_npv_roi_and_interpolated_payback():
    result = compute(
        {
            "discount_rate": 0.10,
            "benefits": [{"name": "Hours", "annual": [12000, 12000, 12000], "risk": 0.20}],
            "costs": [{"name": "Licences", "initial": 4800, "annual": [2400, 2400, 2400], "risk": 0.0}],
        }
    )
    annuity = 1 / 1.1 + 1 / 1.1**2 + 1 / 1.1**3  # 2.486852...
    pv_benefits = 9600 * annuity
    pv_costs = 4800 + 2400 * annuity
    assert result["pv_benefits"] == round(pv_benefits, 2) == 23873.78
    assert result["pv_costs"] == round(pv_costs, 2) == 10768.44
    assert result["npv"] == round(pv_benefits - pv_costs, 2) == 13105.33
    assert result["roi"] == round((pv_benefits - pv_costs) / pv_costs, 4) == 1.217
    # net per month (9600 - 2400) / 12 = 600; 4800 / 600 = 8 months exactly
    assert result["payback_months"] == 8.0


def test_payback_is_interpolated_within_the_month():
    result = compute(
        {
            "discount_rate": 0,
            "benefits": [{"name": "Hours", "annual": [1200, 1200, 1200], "risk": 0}],
            "costs": [{"name": "Setup", "initial": 250, "annual": [0, 0, 0], "risk": 0}],
        }
    )
    # 100 a month: 250 is paid back half-way through month 3
    assert result["payback_months"] == 2.5
    assert result["roi"] == round((3600 - 250) / 250, 4) == 13.4


def test_payback_counts_risk_adjusted_figures_and_later_years():
    result = compute(
        {
            "discount_rate": 0.10,
            "benefits": [{"name": "Hours", "annual": [0, 1500, 1500], "risk": 0.20}],
            "costs": [{"name": "Setup", "initial": 1000, "annual": [0, 0, 0], "risk": 0.05}],
        }
    )
    # 1050 owed at month 0; nothing in year 1; 1200 / 12 = 100 a month from month 13 on:
    # 12 + 1050 / 100 = 22.5 months
    assert result["payback_months"] == 22.5


def test_payback_is_null_when_not_reached_within_36_months():
    result = compute(
        {
            "discount_rate": 0.10,
            "benefits": [{"name": "Hours", "annual": [100, 100, 100], "risk": 0}],
            "costs": [{"name": "Setup", "initial": 1000, "annual": [0, 0, 0], "risk": 0}],
        }
    )
    assert result["payback_months"] is None


def test_payback_is_zero_without_initial_costs_when_every_month_is_positive():
    result = compute(
        {
            "discount_rate": 0.10,
            "benefits": [{"name": "Hours", "annual": [1200, 1200, 1200], "risk": 0}],
            "costs": [{"name": "Licences", "annual": [600, 600, 600], "risk": 0}],
        }
    )
    assert result["payback_months"] == 0.0


def test_yearly_table_shows_each_line_risk_adjusted():
    rows = yearly_table(
        roi_parse(
            {
                "discount_rate": 0.10,
                "benefits": [{"name": "Hours", "annual": [110, 121, 133.1], "risk": 0.10}],
                "costs": [{"name": "Setup", "initial": 100, "annual": [0, 0, 0], "risk": 0.05}],
            }
        )
    )
    assert rows[0]["adjusted"] == [0.0, 99.0, 108.9, 119.79]
    assert rows[0]["present_value"] == 270.0
    assert rows[1]["adjusted"] == [105.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"discount_rate": -0.1, "benefits": [], "costs": []}, "discount_rate"),
        ({"discount_rate": "ten", "benefits": [], "costs": []}, "discount_rate"),
        ({"benefits": [{"name": "x", "annual": [1, 2], "risk": 0.1}], "costs": []}, "benefits[0].annual"),
        ({"benefits": [], "costs": [{"name": "x", "annual": [1, 2, 3, 4], "risk": 0.1}]}, "costs[0].annual"),
        ({"benefits": [{"annual": [1, 2, 3], "risk": 0.1}], "costs": []}, "benefits[0].name"),
        ({"benefits": [{"name": "x", "annual": [1, 2, 3]}], "costs": []}, "benefits[0].risk"),
        ({"benefits": [{"name": "x", "annual": [1, 2, 3], "risk": -0.2}], "costs": []}, "benefits[0].risk"),
        (
            {"benefits": [], "costs": [{"name": "x", "initial": -5, "annual": [1, 2, 3], "risk": 0}]},
            "costs[0].initial",
        ),
        ({"benefits": [{"name": "x", "annual": [1, -2, 3], "risk": 0}], "costs": []}, "benefits[0].annual"),
        ({"benefits": []}, "costs"),
    ],
)
def test_bad_input_names_the_field(data, field):
    with pytest.raises(RoiInputError) as caught:
        roi_parse(data)
    assert field in caught.value.fields


def test_discount_rate_defaults_to_ten_percent():
    assert (
        roi_parse({"benefits": [], "costs": []}).discount_rate
        == roi_parse({"discount_rate": 0.1, "benefits": [], "costs": []}).discount_rate
    )


@pytest.mark.django_db
def test_api_answers_exactly_the_five_figures(api, workspace_a, member):
    client = api(member(workspace_a, Role.AGENT))
    response = client.post(
        URL,
        {
            "discount_rate": 0.10,
            "benefits": [{"name": "Hours", "annual": [12000, 12000, 12000], "risk": 0.20}],
            "costs": [{"name": "Licences", "initial": 4800, "annual": [2400, 2400, 2400], "risk": 0.0}],
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "pv_benefits": 23873.78,
        "pv_costs": 10768.44,
        "npv": 13105.33,
        "roi": 1.217,
        "payback_months": 8.0,
    }


@pytest.mark.django_db
def test_api_bad_input_answers_400_with_the_fields_named(api, workspace_a, member):
    client = api(member(workspace_a))
    response = client.post(
        URL,
        {"discount_rate": -1, "benefits": [{"name": "Hours", "annual": [1, 2], "risk": 0.1}], "costs": []},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"discount_rate", "benefits[0].annual"}


@pytest.mark.django_db
def test_api_needs_a_member(api):
    assert api().post(URL, {"benefits": [], "costs": []}, format="json").status_code == 401


@pytest.mark.django_db
def test_value_drivers_api_admin_writes_audited_and_others_read(api, workspace_a, member):
    from cxm.audit.models import AuditEntry

    admin = api(member(workspace_a))
    created = admin.post(
        "/api/v1/transformation/value-drivers/",
        {"category": "cost", "name": "Agent hours saved", "kpi": "enjoy_resolution_time", "target": 8},
        format="json",
    )
    assert created.status_code == 201
    driver_id = created.json()["id"]
    assert created.json()["baseline"] is None
    changed = admin.patch(f"/api/v1/transformation/value-drivers/{driver_id}/", {"target": 6}, format="json")
    assert changed.status_code == 200 and changed.json()["target"] == 6.0

    agent = api(member(workspace_a, Role.AGENT))
    assert [d["name"] for d in agent.get("/api/v1/transformation/value-drivers/").json()["results"]] == [
        "Agent hours saved"
    ]
    assert agent.delete(f"/api/v1/transformation/value-drivers/{driver_id}/").status_code == 403
    assert admin.delete(f"/api/v1/transformation/value-drivers/{driver_id}/").status_code == 204
    assert list(
        AuditEntry.objects.filter(workspace=workspace_a).order_by("id").values_list("action", flat=True)
    ) == ["transformation.driver_create", "transformation.driver_update", "transformation.driver_delete"]


@pytest.mark.django_db
def test_value_drivers_api_rejects_an_unknown_kpi(api, workspace_a, member):
    response = api(member(workspace_a)).post(
        "/api/v1/transformation/value-drivers/",
        {"category": "cost", "name": "x", "kpi": "made_up", "target": 1},
        format="json",
    )
    assert response.status_code == 400 and "kpi" in response.json()["fields"]
