"""An admin sets the money figures and baseline the value and ROI models use, imports an earlier
period's figures (bad rows reported, good ones kept) and overrides a KPI's band; all audited,
none of it open to other roles or other workspaces."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cxm.audit.models import AuditEntry
from cxm.tenancy.models import Role
from transformation.models import BandOverride, TransformationSettings

pytestmark = pytest.mark.django_db

GOOD_SETTINGS = {
    "currency": "EUR",
    "operating_margin": "0.2",
    "loaded_hourly_cost": "55",
    "discount_rate": "0.08",
    "baseline_start": "2026-10-01",
}


def test_money_settings_are_saved_and_audited(admin_client, workspace_a):
    page = admin_client.get("/transformation/settings/")
    assert page.status_code == 200 and 'id="bands"' in page.content.decode()

    assert admin_client.post("/transformation/settings/", GOOD_SETTINGS).status_code == 302
    row = TransformationSettings.objects.get(workspace=workspace_a)
    assert (row.currency, row.operating_margin, row.loaded_hourly_cost) == (
        "EUR",
        Decimal("0.2"),
        Decimal("55"),
    )
    assert str(row.baseline_start) == "2026-10-01"
    entry = AuditEntry.objects.get(action="transformation.settings")
    assert Decimal(entry.after["discount_rate"]) == Decimal("0.08") and entry.before["currency"] == "USD"

    bad = admin_client.post("/transformation/settings/", {**GOOD_SETTINGS, "operating_margin": "1.5"})
    assert bad.status_code == 400 and "A share from 0 to 1" in bad.content.decode()
    assert TransformationSettings.objects.get(workspace=workspace_a).operating_margin == Decimal("0.2")


def test_an_earlier_period_is_imported_with_bad_rows_reported(admin_client, workspace_a):
    text = (
        "kpi,value,n,since,until\n"
        "enjoy_resolution_time,30.5,1200,2026-01-01,2026-01-28\n"
        "no_such_kpi,1,1,2026-01-01,2026-01-28\n"
        "relevant_roas,two,50,2026-01-01,2026-01-28\n"
        "relevant_roas,2.1,50,2026-01-28,2026-01-01\n"
        "heard_answered_share,61,400,2026-01-01,2026-01-28\n"
    )
    page = admin_client.post("/transformation/settings/baseline/", {"text": text})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="baseline-errors"' in html
    assert "Unknown KPI" in html and "A number." in html and "ends before it starts" in html
    imported = TransformationSettings.objects.get(workspace=workspace_a).baseline_imported
    assert set(imported) == {"enjoy_resolution_time", "heard_answered_share"}
    assert imported["enjoy_resolution_time"] == {
        "value": 30.5,
        "n": 1200,
        "since": "2026-01-01",
        "until": "2026-01-28",
    }
    assert AuditEntry.objects.filter(action="transformation.baseline_import").count() == 1

    missing = admin_client.post("/transformation/settings/baseline/", {"text": "kpi,value\nrelevant_roas,2"})
    assert missing.status_code == 400 and "Missing column" in missing.content.decode()

    admin_client.post("/transformation/settings/baseline/", {"clear": "1"})
    assert TransformationSettings.objects.get(workspace=workspace_a).baseline_imported == {}


def test_a_band_is_overridden_checked_and_reset(admin_client, workspace_a):
    saved = admin_client.post(
        "/transformation/settings/bands/", {"kpi": "heard_answered_share", "edges": "10, 40, 60, 80, 90, 99"}
    )
    assert saved.status_code == 302
    assert BandOverride.objects.get(workspace=workspace_a).edges == [10, 40, 60, 80, 90, 99]
    assert 'data-overridden="yes"' in admin_client.get("/transformation/settings/").content.decode()

    wrong_way = admin_client.post(
        "/transformation/settings/bands/", {"kpi": "heard_answered_share", "edges": "99, 90, 80, 60, 40, 10"}
    )
    assert wrong_way.status_code == 400 and "the edges must rise" in wrong_way.content.decode()
    five = admin_client.post(
        "/transformation/settings/bands/", {"kpi": "heard_answered_share", "edges": "1,2,3,4,5"}
    )
    assert five.status_code == 400 and "Six numbers" in five.content.decode()
    assert BandOverride.objects.get(workspace=workspace_a).edges == [10, 40, 60, 80, 90, 99]

    admin_client.post(
        "/transformation/settings/bands/", {"kpi": "heard_answered_share", "edges": "x", "reset": "1"}
    )
    assert not BandOverride.objects.exists()
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["transformation.band_override_set", "transformation.band_override_clear"]


@pytest.mark.parametrize("role", [Role.ANALYST, Role.AGENT, Role.MARKETER, Role.APPROVER])
def test_only_admins_change_settings(client, workspace_a, member, role):
    client.force_login(member(workspace_a, role).user)
    assert client.get("/transformation/settings/").status_code == 403
    assert client.post("/transformation/settings/", GOOD_SETTINGS).status_code == 403
    assert (
        client.post(
            "/transformation/settings/bands/", {"kpi": "relevant_roas", "edges": "0,1,2,3,4,5"}
        ).status_code
        == 403
    )
    assert not TransformationSettings.objects.exists() and not BandOverride.objects.exists()
    assert "/transformation/settings/" not in client.get("/transformation/").content.decode()


def test_settings_belong_to_the_workspace(client, workspace_a, workspace_b, member):
    client.force_login(member(workspace_b, Role.ADMIN).user)
    client.post("/transformation/settings/", GOOD_SETTINGS)
    assert TransformationSettings.objects.get().workspace == workspace_b
    assert not TransformationSettings.objects.filter(workspace=workspace_a).exists()
