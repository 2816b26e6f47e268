"""Leaders (executives) read dashboards, reports, care reports, ads insights and all of
Transformation, and answer maturity assessments; they compose, approve, reply, pause, change
settings and manage members nowhere, in the pages or the API."""

from __future__ import annotations

import pytest

from cxm.tenancy.models import Role
from publishing.services import post_create
from tests.factories import case_from_mention
from transformation.assessment import round_create
from transformation.capabilities import CAPABILITY_KEYS
from transformation.kpis.registry import KPIS
from transformation.models import AssessmentResponse, RespondentRole

pytestmark = pytest.mark.django_db


@pytest.fixture
def leader(workspace_a, member):
    return member(workspace_a, Role.LEADER)


@pytest.fixture
def leader_client(client, leader):
    client.force_login(leader.user)
    return client


@pytest.fixture
def assessment_round(workspace_a, member):
    return round_create(workspace=workspace_a, name="Q1", by=member(workspace_a, Role.ADMIN).user)


READABLE_PAGES = [
    "/",
    "/listening/",
    "/listening/dashboard/",
    "/publishing/",
    "/publishing/what-works/",
    "/care/reports/",
    "/ads/",
    "/ads/insights/",
    "/transformation/",
    f"/transformation/capability/{CAPABILITY_KEYS[0]}/",
    f"/transformation/kpi/{KPIS[0].key}/",
    "/transformation/assessments/",
    "/transformation/operating/",
    "/transformation/architecture/",
    "/transformation/value/",
    "/transformation/roi/",
]


@pytest.mark.parametrize("url", READABLE_PAGES)
def test_a_leader_reads_the_page(leader_client, url):
    assert leader_client.get(url).status_code == 200


def test_a_leader_reads_an_assessment_round(leader_client, assessment_round):
    assert leader_client.get(f"/transformation/assessments/{assessment_round.pk}/").status_code == 200


READABLE_API = [
    "/api/v1/listening/dashboard/",
    "/api/v1/mentions/",
    "/api/v1/posts/",
    "/api/v1/ads/campaigns/",
    "/api/v1/ads/insights/",
    "/api/v1/transformation/capabilities/",
    "/api/v1/transformation/assessments/",
    "/api/v1/transformation/value-drivers/",
    "/api/v1/members/",
]


@pytest.mark.parametrize("url", READABLE_API)
def test_a_leader_reads_over_the_api(api, leader, url):
    assert api(leader).get(url).status_code == 200


def test_a_leader_answers_a_maturity_assessment_in_the_page(leader_client, leader, assessment_round):
    scores = {f"score-{key}": "3" for key in CAPABILITY_KEYS}
    response = leader_client.post(
        f"/transformation/assessments/{assessment_round.pk}/answer/",
        {"role": "executive", **scores},
        follow=True,
    )
    assert "Thank you: your answer is recorded." in response.content.decode()
    answer = AssessmentResponse.objects.get(round=assessment_round, user=leader.user)
    assert answer.role == RespondentRole.EXECUTIVE


def test_a_leader_answers_a_maturity_assessment_over_the_api(api, leader, assessment_round):
    response = api(leader).post(
        f"/api/v1/transformation/assessments/{assessment_round.pk}/responses/",
        {"scores": dict.fromkeys(CAPABILITY_KEYS, 4)},
        format="json",
    )
    assert response.status_code == 201
    # a leader answers as an executive unless they say otherwise
    assert AssessmentResponse.objects.get(round=assessment_round, user=leader.user).role == "executive"


@pytest.fixture
def post(workspace_a, member):
    from cxm.channels.models import ChannelAccount

    account = ChannelAccount.objects.create(workspace=workspace_a, platform="demo", handle="brand")
    return post_create(
        workspace=workspace_a, text="Cold brew", accounts=[account], by=member(workspace_a).user
    )


@pytest.fixture
def case(workspace_a):
    return case_from_mention(workspace_a, external_id="leader-1")


def test_a_leader_is_refused_every_write_in_the_pages(leader_client, post, case, workspace_a):
    refused = {
        "compose": leader_client.get("/publishing/posts/new/"),
        "compose (post)": leader_client.post("/publishing/posts/new/", {"text": "x"}),
        "approve": leader_client.post(f"/publishing/posts/{post.pk}/approve/"),
        "pause": leader_client.post("/publishing/pause/", {"reason": "x"}),
        "reply": leader_client.post(f"/care/cases/{case.pk}/reply/", {"kind": "reply", "text": "hi"}),
        "inbox": leader_client.get("/care/"),
        "case": leader_client.get(f"/care/cases/{case.pk}/"),
        "customers": leader_client.get("/care/customers/"),
        "members": leader_client.get("/admin/"),
        "security settings": leader_client.post("/admin/security/", {"allow_admin_self_approval": "on"}),
        "transformation settings": leader_client.get("/transformation/settings/"),
        "open a round": leader_client.post("/transformation/assessments/", {"name": "Mine"}),
        "listening topics": leader_client.post("/listening/topics/", {"name": "x"}),
        "accounts": leader_client.get("/admin/accounts/"),
    }
    assert {name: r.status_code for name, r in refused.items() if r.status_code != 403} == {}
    workspace_a.refresh_from_db()
    assert workspace_a.allow_admin_self_approval is False


def test_a_leader_is_refused_every_write_over_the_api(api, leader, post, case):
    client = api(leader)
    refused = {
        "compose": client.post("/api/v1/posts/", {"text": "x", "accounts": []}, format="json"),
        "approve": client.post(f"/api/v1/posts/{post.pk}/approve/"),
        "pause": client.post("/api/v1/publishing/pause/", {"reason": "x"}, format="json"),
        "reply": client.post(f"/api/v1/cases/{case.pk}/messages/", {"text": "hi"}, format="json"),
        "cases": client.get("/api/v1/cases/"),
        "members": client.post("/api/v1/members/", {"user": "someone", "role": "agent"}, format="json"),
        "settings": client.patch(
            "/api/v1/workspace-settings/", {"allow_admin_self_approval": True}, format="json"
        ),
        "brands": client.post("/api/v1/brands/", {"name": "x"}, format="json"),
    }
    wrong = {name: r.status_code for name, r in refused.items() if r.status_code != 403}
    assert wrong == {}
    body = refused["approve"].json()
    assert body == {"status": 403, "code": "permission_denied", "detail": "Your role does not allow this."}


def test_the_navigation_shows_a_leader_only_what_they_can_use(leader_client):
    html = leader_client.get("/").content.decode()
    for key in ("listening", "publishing", "care", "ads", "transformation"):
        assert f'data-nav="{key}"' in html, key
    assert 'data-nav="admin"' not in html
    # Care opens on its reports, the only care page a leader may read
    assert 'href="/care/reports/"' in html and 'href="/care/"' not in html
    reports = leader_client.get("/care/reports/").content.decode()
    assert 'href="/care/customers/"' not in reports and 'href="/care/settings/"' not in reports
    # no compose control on the calendar
    assert 'href="/publishing/posts/new/"' not in leader_client.get("/publishing/").content.decode()


def test_an_approval_rule_offers_only_roles_that_may_approve(client, workspace_a, member):
    from tests.factories import BusinessUnitFactory

    unit = BusinessUnitFactory(workspace=workspace_a, name="Beverages")
    client.force_login(member(workspace_a, Role.ADMIN).user)
    html = client.get("/publishing/approval-rules/").content.decode()
    assert f'name="unit-{unit.pk}-roles" value="approver"' in html
    assert f'name="unit-{unit.pk}-roles" value="leader"' not in html
