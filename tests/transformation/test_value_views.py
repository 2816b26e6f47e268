"""The value, ROI, operating-model and architecture pages: what an admin can change (audited),
what everyone sees, and how the ROI case is prefilled from measured figures."""

from __future__ import annotations

import csv
import io
from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from cxm.audit.models import AuditEntry
from cxm.channels.models import ChannelAccount
from cxm.tenancy.models import Role
from listening.services import RawMention, mentions_ingest
from publishing.models import Post, PostTarget
from transformation.models import (
    KpiSnapshot,
    RaciAssignment,
    RoiCase,
    TransformationSettings,
    ValueDriver,
)
from transformation.value.selectors import DEFAULT_DRIVERS

pytestmark = pytest.mark.django_db

KPI = "enjoy_resolution_time"


def today():
    return timezone.now().astimezone(UTC).date()


def snapshot(workspace, day, **values):
    KpiSnapshot.objects.update_or_create(
        workspace_id=workspace.pk,
        business_unit_id=0,
        brand_id=0,
        day=day,
        defaults={"values": values, "computed_at": timezone.now()},
    )


def measured_history(workspace, *, current_n, baseline_hours=6.0, current_hours=4.0, days_of_current=60):
    """A baseline period 130 days ago, then daily snapshots up to today (8 weekly windows after it)."""
    start = today() - timedelta(days=130)
    TransformationSettings.objects.create(workspace=workspace, baseline_start=start, loaded_hourly_cost=40)
    snapshot(
        workspace,
        start + timedelta(days=27),
        **{KPI: {"value": baseline_hours + 4, "business_value": baseline_hours, "n": 500, "status": "ok"}},
    )
    for back in range(days_of_current):
        snapshot(
            workspace,
            today() - timedelta(days=back),
            **{
                KPI: {
                    "value": current_hours + 4,
                    "business_value": current_hours,
                    "n": current_n,
                    "status": "ok",
                }
            },
        )
    return start


def login(client, member, workspace, role=Role.ADMIN):
    membership = member(workspace, role)
    client.force_login(membership.user)
    return membership


# --- value drivers -----------------------------------------------------------------------------------


def test_admin_adds_changes_and_deletes_a_driver_each_audited(client, workspace_a, member):
    login(client, member, workspace_a)
    response = client.post(
        "/transformation/value/drivers/add/",
        {
            "category": "cost",
            "name": "Agent hours saved",
            "kpi": KPI,
            "baseline": "",
            "target": "8",
        },
    )
    assert response.status_code == 302
    driver = ValueDriver.objects.get(workspace=workspace_a)
    assert (driver.category, driver.kpi, driver.baseline, driver.target) == ("cost", KPI, None, 8.0)

    client.post(
        f"/transformation/value/drivers/{driver.pk}/",
        {
            "category": "cost",
            "name": "Agent hours saved",
            "kpi": KPI,
            "baseline": "12",
            "target": "6",
        },
    )
    driver.refresh_from_db()
    assert (driver.baseline, driver.target) == (12.0, 6.0)

    client.post(f"/transformation/value/drivers/{driver.pk}/delete/")
    assert not ValueDriver.objects.filter(pk=driver.pk).exists()
    actions = list(
        AuditEntry.objects.filter(workspace=workspace_a).order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "transformation.driver_create",
        "transformation.driver_update",
        "transformation.driver_delete",
    ]
    update = AuditEntry.objects.get(action="transformation.driver_update")
    assert update.before["target"] == 8.0 and update.after["target"] == 6.0


def test_a_suggestion_is_added_with_one_click_and_leaves_the_list(client, workspace_a, member):
    login(client, member, workspace_a)
    page = client.get("/transformation/value/").content.decode()
    assert "No value drivers yet" in page and "Crisis exposure avoided" in page
    index = next(i for i, item in enumerate(DEFAULT_DRIVERS) if item["kpi"] == "heard_unanswered_24h")
    client.post("/transformation/value/drivers/add/", {"suggestion": str(index)})
    driver = ValueDriver.objects.get(workspace=workspace_a)
    # the target is where the shipped bands reach level 4: at most 10 items unanswered after 24 h
    assert (driver.category, driver.kpi, driver.target) == ("risk", "heard_unanswered_24h", 10.0)
    page = client.get("/transformation/value/").content.decode()
    assert f'id="driver-{driver.pk}"' in page
    assert f'name="suggestion" value="{index}"' not in page


def test_invalid_driver_shows_the_error_in_place(client, workspace_a, member):
    login(client, member, workspace_a)
    response = client.post(
        "/transformation/value/drivers/add/", {"category": "cost", "name": "", "kpi": KPI, "target": ""}
    )
    assert response.status_code == 400
    assert not ValueDriver.objects.exists()


def test_progress_from_baseline_toward_target_over_time(client, workspace_a, member):
    login(client, member, workspace_a)
    ValueDriver.objects.create(
        workspace=workspace_a, category="cost", name="Faster resolution", kpi=KPI, baseline=10.0, target=6.0
    )
    for back, hours in ((20, 9.5), (10, 9.0), (0, 8.0)):
        snapshot(
            workspace_a, today() - timedelta(days=back), **{KPI: {"value": hours, "n": 100, "status": "ok"}}
        )
    page = client.get("/transformation/value/").content.decode()
    assert "50 % of the way from baseline to target" in page  # from 10 h toward 6 h, now 8 h
    assert "<polyline" in page and "stroke-dasharray" in page  # the trend with baseline and target lines


def test_measured_baseline_is_used_when_none_is_set(client, workspace_a, member):
    login(client, member, workspace_a)
    measured_history(workspace_a, current_n=100)
    ValueDriver.objects.create(
        workspace=workspace_a, category="cost", name="Faster resolution", kpi=KPI, target=6.0
    )
    page = client.get("/transformation/value/").content.decode()
    # baseline 10 h measured, current 8 h, target 6 h
    assert "(measured)" in page and "50 % of the way" in page


def test_non_admin_cannot_change_drivers(client, workspace_a, member):
    driver = ValueDriver.objects.create(workspace=workspace_a, category="cost", name="x", kpi=KPI, target=1)
    login(client, member, workspace_a, Role.AGENT)
    assert client.get("/transformation/value/").status_code == 200
    assert client.post("/transformation/value/drivers/add/", {"suggestion": "0"}).status_code == 403
    assert client.post(f"/transformation/value/drivers/{driver.pk}/delete/").status_code == 403
    assert ValueDriver.objects.count() == 1


def test_another_workspaces_driver_answers_404(client, workspace_a, workspace_b, member):
    foreign = ValueDriver.objects.create(
        workspace=workspace_b, category="cost", name="Globex", kpi=KPI, target=1
    )
    login(client, member, workspace_a)
    assert client.get(f"/transformation/value/drivers/{foreign.pk}/").status_code == 404
    assert client.post(f"/transformation/value/drivers/{foreign.pk}/delete/").status_code == 404
    assert ValueDriver.objects.filter(pk=foreign.pk).exists()


# --- ROI ---------------------------------------------------------------------------------------------


def test_roi_opens_with_the_measured_benefit_and_strong_evidence_gets_10_percent(client, workspace_a, member):
    login(client, member, workspace_a, Role.ANALYST)
    measured_history(workspace_a, current_n=1200)
    response = client.get("/transformation/roi/")
    assert response.status_code == 200
    line = response.context["data"]["benefits"][0]
    # 2 business hours saved per case x 1,200 cases per 28 days (annualised) x 40 an hour
    expected = round(2 * 1200 * 365 / 28 * 40, 2)
    assert line["name"] == "Agent hours saved"
    assert line["annual"] == [expected, expected, expected]
    assert line["risk"] == 0.10
    assert line["source_url"] == f"/transformation/roi/sources/{KPI}/"
    assert "n=1200" in line["evidence"]
    page = response.content.decode()
    assert f'href="/transformation/roi/sources/{KPI}/"' in page
    assert response.context["results"]["pv_benefits"] == round(
        expected * 0.9 * (1 / 1.1 + 1 / 1.1**2 + 1 / 1.1**3), 2
    )


def test_revenue_benefit_counts_at_the_operating_margin_not_as_gross_revenue(client, workspace_a, member):
    from ads.models import AdInsight
    from ads.services import ad_create, ad_set_create, campaign_create

    login(client, member, workspace_a)
    start = today() - timedelta(days=130)
    TransformationSettings.objects.create(workspace=workspace_a, baseline_start=start, operating_margin=0.25)
    snapshot(workspace_a, start + timedelta(days=27), relevant_roas={"value": 2.0, "n": 40, "status": "ok"})
    snapshot(workspace_a, today(), relevant_roas={"value": 3.0, "n": 40, "status": "ok"})
    account = ChannelAccount.objects.create(workspace=workspace_a, platform="meta_ads", handle="act_1")
    campaign = campaign_create(
        workspace=workspace_a, account=account, name="Launch", currency="USD", daily_budget=100
    )
    ad = ad_create(
        ad_set=ad_set_create(campaign=campaign, name="US", countries=["US"]),
        name="Ad",
        creative={"primary_text": "Hi", "link": "https://example.com/"},
    )
    for back, spend_cents in ((1, 100_000), (10, 180_000), (40, 999_999)):  # the last is outside the window
        AdInsight.objects.create(
            workspace=workspace_a,
            ad=ad,
            campaign_id=ad.campaign_id,
            ad_set_id=ad.ad_set_id,
            date=today() - timedelta(days=back),
            currency="USD",
            spend=spend_cents,
        )
    line = client.get("/transformation/roi/").context["data"]["benefits"][0]
    # ROAS up by 1.0 on 2,800 spent in 28 days: 36,500 more revenue a year, of which 25 % is profit
    assert line["name"] == "Conversion uplift on ad spend"
    assert line["annual"][0] == round(1.0 * 2800 * 365 / 28 * 0.25, 2) == 9125.0
    assert line["risk"] == 0.20  # n under 1,000


def test_measured_benefit_with_smaller_n_gets_20_percent(client, workspace_a, member):
    login(client, member, workspace_a)
    measured_history(workspace_a, current_n=400)
    assert client.get("/transformation/roi/").context["data"]["benefits"][0]["risk"] == 0.20


def test_improvement_not_yet_held_8_weeks_gets_20_percent_even_with_large_n(client, workspace_a, member):
    login(client, member, workspace_a)
    measured_history(workspace_a, current_n=5000, days_of_current=30)
    assert client.get("/transformation/roi/").context["data"]["benefits"][0]["risk"] == 0.20


def test_no_improvement_no_measured_benefit(client, workspace_a, member):
    login(client, member, workspace_a)
    measured_history(workspace_a, current_n=5000, baseline_hours=4.0, current_hours=5.0)
    response = client.get("/transformation/roi/")
    assert response.context["data"]["benefits"] == []
    assert "No measured benefit yet" in response.content.decode()


def test_a_measured_change_without_money_value_is_listed_not_counted(client, workspace_a, member):
    login(client, member, workspace_a)
    start = today() - timedelta(days=130)
    TransformationSettings.objects.create(workspace=workspace_a, baseline_start=start)
    snapshot(
        workspace_a, start + timedelta(days=27), heard_unanswered_24h={"value": 40, "n": 300, "status": "ok"}
    )
    snapshot(workspace_a, today(), heard_unanswered_24h={"value": 12, "n": 300, "status": "ok"})
    response = client.get("/transformation/roi/")
    assert response.context["data"]["benefits"] == []
    page = response.content.decode()
    # 28 fewer per 28 days: 365 fewer a year
    assert "Crisis exposure avoided" in page and "365 fewer items a year left unanswered after 24 h" in page


def test_imported_baseline_replaces_the_first_28_days(client, workspace_a, member):
    login(client, member, workspace_a)
    measured_history(workspace_a, current_n=400)
    TransformationSettings.objects.filter(workspace=workspace_a).update(
        baseline_imported={
            KPI: {"value": 12, "business_value": 7, "n": 300, "since": "2025-01-01", "until": "2025-01-28"}
        }
    )
    line = client.get("/transformation/roi/").context["data"]["benefits"][0]
    assert line["annual"][0] == round(3 * 400 * 365 / 28 * 40, 2)
    assert "2025-01-01 to 2025-01-28 imported" in line["evidence"]


def roi_form(benefits=(), costs=(), rate="10", **extra):
    data = {
        "discount_rate": rate,
        "benefit-count": str(len(benefits)),
        "cost-count": str(len(costs)),
        **extra,
    }
    for index, row in enumerate(benefits):
        data.update({f"benefit-{index}-{key}": value for key, value in row.items()})
    for index, row in enumerate(costs):
        data.update({f"cost-{index}-{key}": value for key, value in row.items()})
    return data


def test_typed_benefits_count_at_30_percent_and_recompute_as_htmx_partial(client, workspace_a, member):
    login(client, member, workspace_a, Role.AGENT)
    response = client.post(
        "/transformation/roi/",
        roi_form(
            benefits=[{"name": "Fewer escalations", "y1": "1000", "y2": "1000", "y3": "1000"}],
            costs=[{"name": "Licences", "initial": "500", "y1": "0", "y2": "0", "y3": "0", "risk": "0"}],
            rate="0",
        ),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.templates[0].name == "transformation/_roi_results.html"
    assert response.context["results"]["pv_benefits"] == 2100.0  # 3 x 1000 x 70 %
    # 700 a year, 58.33 a month: 500 paid back after 8.57 months
    assert response.context["results"]["payback_months"] == 8.6
    assert 'data-figure="npv"' in response.content.decode()


def test_bad_figures_are_shown_on_the_line(client, workspace_a, member):
    login(client, member, workspace_a)
    response = client.post(
        "/transformation/roi/", roi_form(costs=[{"name": "Licences", "y1": "lots", "risk": "10"}])
    )
    assert response.context["results"] is None
    assert "Each amount must be a number" in response.content.decode()


def test_admin_saves_a_case_audited_and_reopens_it(client, workspace_a, member):
    login(client, member, workspace_a)
    response = client.post(
        "/transformation/roi/save/",
        roi_form(
            benefits=[{"name": "Typed", "y1": "1000", "y2": "1000", "y3": "1000"}],
            costs=[
                {"name": "Licences", "initial": "500", "y1": "100", "y2": "100", "y3": "100", "risk": "5"}
            ],
            case_name="Board case",
        ),
    )
    case = RoiCase.objects.get(workspace=workspace_a)
    assert response.status_code == 302 and response["Location"] == f"/transformation/roi/?case={case.pk}"
    assert case.name == "Board case" and case.inputs["costs"][0]["risk"] == 0.05
    assert set(case.results) == {"pv_benefits", "pv_costs", "npv", "roi", "payback_months"}
    assert AuditEntry.objects.get(action="transformation.roi_case_save").object_id == str(case.pk)
    page = client.get(f"/transformation/roi/?case={case.pk}").content.decode()
    assert "Board case" in page and 'value="Licences"' in page


def test_non_admin_cannot_save_a_case(client, workspace_a, member):
    login(client, member, workspace_a, Role.MARKETER)
    response = client.post("/transformation/roi/save/", roi_form(case_name="Mine"))
    assert response.status_code == 403
    assert not RoiCase.objects.exists()


def test_another_workspaces_case_answers_404(client, workspace_a, workspace_b, member):
    foreign = RoiCase.objects.create(
        workspace=workspace_b, name="Globex", inputs={"benefits": [], "costs": []}
    )
    login(client, member, workspace_a)
    assert client.get(f"/transformation/roi/?case={foreign.pk}").status_code == 404
    assert client.get(f"/transformation/roi/export.csv?case={foreign.pk}").status_code == 404
    assert client.get(f"/transformation/roi/print/?case={foreign.pk}").status_code == 404


def test_csv_export_lists_lines_with_evidence_and_the_five_figures(client, workspace_a, member):
    login(client, member, workspace_a)
    measured_history(workspace_a, current_n=1200)
    response = client.get("/transformation/roi/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["kind", "name", "source", "risk", "initial"]
    measured = rows[1]
    expected = round(2 * 1200 * 365 / 28 * 40, 2)
    assert measured[:4] == ["benefit", "Agent hours saved", "measured", "0.1"]
    assert float(measured[5]) == expected
    assert "n=1200" in measured[11] and measured[12] == f"/transformation/roi/sources/{KPI}/"
    figures = {row[0]: row[1] for row in rows if len(row) == 2}
    assert set(figures) >= {"pv_benefits", "pv_costs", "npv", "roi", "payback_months"}
    assert figures["roi"] == ""  # no costs: ROI undefined


def test_csv_export_of_the_form_as_typed(client, workspace_a, member):
    login(client, member, workspace_a, Role.AGENT)
    response = client.post(
        "/transformation/roi/export.csv",
        roi_form(
            costs=[{"name": "Licences", "initial": "500", "y1": "0", "y2": "0", "y3": "0", "risk": "0"}],
            rate="0",
        ),
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][:5] == ["cost", "Licences", "typed", "0.0", "500.0"]
    assert ["pv_costs", "500.0"] in rows and ["roi", "-1.0"] in rows


def test_printable_page_shows_figures_and_evidence(client, workspace_a, member):
    login(client, member, workspace_a)
    measured_history(workspace_a, current_n=1200)
    response = client.get("/transformation/roi/print/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Net present value" in page and "data-print" in page
    assert f"/transformation/roi/sources/{KPI}/" in page and "n=1200" in page


def test_source_page_names_the_query_and_windows(client, workspace_a, member):
    login(client, member, workspace_a)
    start = measured_history(workspace_a, current_n=1200)
    page = client.get(f"/transformation/roi/sources/{KPI}/").content.decode()
    assert KPI in page and "trailing 28-day window" in page
    baseline_end = start + timedelta(days=27)
    assert f"{start.isoformat()} to {baseline_end.isoformat()}" in page
    assert client.get("/transformation/roi/sources/nonsense/").status_code == 404


# --- operating model ---------------------------------------------------------------------------------


def test_admin_assigns_raci_by_role_and_member_audited(client, workspace_a, member):
    admin = login(client, member, workspace_a)
    agent = member(workspace_a, Role.AGENT)
    response = client.post(
        "/transformation/operating/raci/",
        {"capability": "heard", "who": "role:agent", "letter": "R"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert agent.user.username in response.content.decode()  # a role lists who holds it
    client.post(
        "/transformation/operating/raci/",
        {"capability": "heard", "who": f"user:{admin.user_id}", "letter": "A"},
    )
    assert set(RaciAssignment.objects.values_list("capability", "role", "user_id", "letter")) == {
        ("heard", "agent", None, "R"),
        ("heard", "", admin.user_id, "A"),
    }
    # one accountable per capability
    response = client.post(
        "/transformation/operating/raci/", {"capability": "heard", "who": "role:admin", "letter": "A"}
    )
    assert response.status_code == 400 and "already has someone accountable" in response.content.decode()

    assignment = RaciAssignment.objects.get(letter="R")
    client.post(f"/transformation/operating/raci/{assignment.pk}/remove/")
    assert not RaciAssignment.objects.filter(pk=assignment.pk).exists()
    actions = list(
        AuditEntry.objects.filter(workspace=workspace_a).order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "transformation.raci_assign",
        "transformation.raci_assign",
        "transformation.raci_remove",
    ]


def test_operating_page_lists_members_by_role(client, workspace_a, member):
    membership = login(client, member, workspace_a, Role.AGENT)
    page = client.get("/transformation/operating/").content.decode()
    assert membership.user.username in page
    assert 'action="/transformation/operating/raci/"' not in page  # no editing for an agent


def test_non_admin_cannot_edit_raci_and_other_workspace_answers_404(client, workspace_a, workspace_b, member):
    foreign = RaciAssignment.objects.create(
        workspace=workspace_b, capability="heard", role="agent", letter="R"
    )
    login(client, member, workspace_a, Role.ANALYST)
    assert (
        client.post(
            "/transformation/operating/raci/", {"capability": "heard", "who": "role:agent", "letter": "R"}
        ).status_code
        == 403
    )
    login(client, member, workspace_a)
    assert client.post(f"/transformation/operating/raci/{foreign.pk}/remove/").status_code == 404
    other_member = member(workspace_b)
    response = client.post(
        "/transformation/operating/raci/",
        {"capability": "heard", "who": f"user:{other_member.user_id}", "letter": "I"},
    )
    assert response.status_code == 400
    assert RaciAssignment.objects.count() == 1


# --- architecture ------------------------------------------------------------------------------------


def test_architecture_shows_channels_by_platform_with_seven_day_counts(client, workspace_a, member):
    login(client, member, workspace_a)
    first = ChannelAccount.objects.create(workspace=workspace_a, platform="mastodon", handle="@a@x.social")
    ChannelAccount.objects.create(workspace=workspace_a, platform="mastodon", handle="@b@x.social")
    bluesky = ChannelAccount.objects.create(
        workspace=workspace_a, platform="bluesky", handle="acme.bsky.social"
    )
    now = timezone.now()
    raws = [
        RawMention(
            platform="mastodon",
            external_id=f"m{i}",
            text="hello acme",
            created_at=at,
            author_platform_id=f"u{i}",
            author_handle=f"@u{i}@x.social",
            account_id=first.pk,
        )
        for i, at in enumerate([now - timedelta(days=1), now - timedelta(days=2), now - timedelta(days=20)])
    ]
    mentions_ingest(workspace_id=workspace_a.pk, raws=raws)
    post = Post.objects.create(workspace=workspace_a, text="Launch", status="published")
    for account, at in ((first, now - timedelta(days=3)), (bluesky, now - timedelta(days=9))):
        PostTarget.objects.create(
            workspace=workspace_a, post=post, account=account, status="published", published_at=at
        )
    response = client.get("/transformation/architecture/")
    page = response.content.decode()
    assert "<svg" in page and 'data-key="platform:mastodon"' in page and 'data-key="platform:bluesky"' in page
    rows = {row["platform"]: row for row in response.context["diagram"].platforms}
    assert (
        rows["mastodon"]["accounts"] == 2 and rows["mastodon"]["mentions"] == 2
    )  # the 20-day-old one is out
    assert rows["bluesky"]["mentions"] == 0
    assert (rows["mastodon"]["published"], rows["bluesky"]["published"]) == (1, 0)  # 9 days ago is out
    edge = next(
        e
        for e in response.context["diagram"].edges
        if e.source == "platform:mastodon" and e.target == "module:listening"
    )
    assert edge.count == 2


def test_architecture_without_channels_says_so(client, workspace_a, workspace_b, member):
    ChannelAccount.objects.create(workspace=workspace_b, platform="mastodon", handle="@globex@x.social")
    login(client, member, workspace_a, Role.AGENT)
    page = client.get("/transformation/architecture/").content.decode()
    assert "No channels connected yet" in page and "platform:mastodon" not in page
