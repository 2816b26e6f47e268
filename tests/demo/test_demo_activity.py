"""The demo after four rounds of its activity, as the workers run them under `make run`: demo
colleagues answer a share of the cases and customers answer surveys, another workspace's waiting
customers are left alone, every capability has a measured score, and the ads and care report
pages show numbers.

The rounds are slow (each reads every demo stream and works the inbox), so one test runs them
once and then checks each of these in turn.
"""

from __future__ import annotations

import re

import pytest

from care.models import Case, CsatResponse, Message
from cxm.tenancy.models import Membership
from tests.care.conftest import dm, make_account, receive
from tests.demo.running import demo_start
from transformation.selectors import capabilities_live

pytestmark = pytest.mark.django_db


def _colleagues_answer_a_share_of_cases_and_customers_answer_surveys(workspace):
    cases = Case.objects.filter(workspace=workspace)
    answered = cases.filter(messages__direction="outbound", messages__author_user__isnull=False).distinct()
    assert 0 < answered.count() < cases.count(), (answered.count(), cases.count())
    assert CsatResponse.objects.filter(workspace=workspace).exists()


def _other_workspaces_are_left_alone(other):
    waiting = Case.objects.filter(workspace=other)
    assert waiting.count() == 20
    assert not Message.objects.filter(workspace=other, direction="outbound").exists()
    assert set(waiting.values_list("status", flat=True)) <= {"new", "open"}


def _every_capability_has_a_measured_score(workspace):
    capabilities = capabilities_live(workspace=workspace, on_demand=True)

    unmeasured = {
        c["key"]: {k["key"]: (k["status"], k["n"]) for k in c["kpis"]}
        for c in capabilities
        if c["measured_score"] is None
    }
    assert unmeasured == {}
    respected = next(c for c in capabilities if any(k["key"] == "respected_pause_seconds" for k in c["kpis"]))
    figures = {k["key"]: k["value"] for k in respected["kpis"]}
    # The demo's pause drill and its customer's data export give the trust KPIs their figures.
    assert figures["respected_pause_seconds"] is not None
    assert figures["respected_privacy_days"] is not None


def _ads_and_care_report_pages_show_numbers(workspace, client):
    admin = Membership.objects.get(workspace=workspace, user__username="admin").user
    client.force_login(admin)

    ads = client.get("/ads/").content.decode()
    insights = client.get("/ads/insights/").content.decode()
    reports = client.get("/care/reports/")

    assert "[Demo] Kopi Susu Gula Aren launch" in ads
    assert len(re.findall(r"<td>\d+\.\d{4}</td>", ads)) == 3, "each campaign shows its ROAS"
    assert "No insights yet." not in insights and "Kopi Nusantara (demo ad account)" in insights
    assert reports.status_code == 200
    metrics = reports.context["metrics"]
    assert metrics["answered_share"] and metrics["first_response_seconds"]["median"] is not None
    assert metrics["csat"]["average"] is not None


def test_four_rounds_of_demo_activity_leave_a_living_workspace_and_others_untouched(
    settings, workspace_a, client
):
    settings.CXM_DEMO = True
    receive(make_account(workspace_a), *(dm(f"other-{n}", author=f"customer{n}") for n in range(20)))

    workspace = demo_start(runs_of_activity=4)

    _colleagues_answer_a_share_of_cases_and_customers_answer_surveys(workspace)
    _other_workspaces_are_left_alone(workspace_a)
    _every_capability_has_a_measured_score(workspace)
    _ads_and_care_report_pages_show_numbers(workspace, client)
