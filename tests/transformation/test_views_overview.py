"""The Transformation pages through the test client: the overview of the eight capabilities, a
capability's page with its use cases, a KPI's definition, and the maturity pages, by role and by
workspace."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape

from cxm.tenancy.models import Role
from tests.factories import BusinessUnitFactory, UserFactory
from tests.transformation.snapshots import snapshot_today
from transformation import assessment
from transformation.capabilities import CAPABILITIES, CAPABILITY_KEYS
from transformation.models import AssessmentResponse, AssessmentRound

pytestmark = pytest.mark.django_db

ROLES = [Role.ADMIN, Role.ANALYST, Role.AGENT, Role.MARKETER, Role.APPROVER]


def login(client, membership):
    client.force_login(membership.user)
    return client


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def answers(**levels):
    return {f"score-{key}": str(levels.get(key, 3)) for key in CAPABILITY_KEYS}


# --- overview -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_eight_capabilities_in_order(client, workspace_a, member, role):
    response = login(client, member(workspace_a, role)).get("/transformation/")
    assert response.status_code == 200
    page = response.content.decode()
    positions = [page.index(f'id="capability-{c.key}"') for c in CAPABILITIES]
    assert positions == sorted(positions)
    assert str(CAPABILITIES[0].outcome) in page


def test_without_data_the_overview_says_no_data_never_zero(client, admin):
    page = text_of(login(client, admin).get("/transformation/"))
    assert page.count('data-status="no_data"') == 26
    assert "no data" in page
    assert "not measured yet" in page and "not assessed" in page
    assert "Nobody has answered a maturity assessment yet" in page
    assert "weakest-badge" not in page  # nothing measured, nothing to be weakest against
    assert not re.search(r'class="kpi-value">\s*0', page)


def test_measured_figures_small_samples_and_the_weakest_kpi(client, workspace_a, admin):
    snapshot_today(
        workspace_a,
        {
            "heard_answered_share": {"value": 72.0, "n": 120, "status": "ok"},
            "heard_first_response": {"value": 30.0, "n": 80, "status": "ok"},
            "heard_unanswered_24h": {"value": None, "n": 12, "status": "insufficient"},
        },
    )
    page = text_of(login(client, admin).get("/transformation/"))
    card = page[page.index('id="capability-heard"') : page.index('id="capability-enjoy"')]
    assert "72.0 %" in card and "n = 120 · level 3" in card
    assert "30 min" in card
    assert "insufficient data (n = 12)" in card
    # 72 % answered scores 4.3, a 30-minute first response 6.5: answered is the weakest
    assert re.search(r'class="kpi weakest" data-kpi="heard_answered_share"', card)
    assert card.count("weakest-badge") == 1
    assert "Level 3" in card  # (4.27 * 2 + 6.5) / 3 = 5.0 -> level 3


def test_the_sparkline_is_drawn_from_the_daily_snapshots(client, workspace_a, admin):
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.now().date()
    for days_ago, value in ((2, 50.0), (1, 72.0)):
        snapshot = snapshot_today(
            workspace_a,
            {"heard_answered_share": {"value": value, "n": 100, "status": "ok"}},
            day=today - timedelta(days=days_ago),
        )
        snapshot.capabilities = {
            "heard": {"score": value / 10, "level": 3, "weakest": "heard_answered_share"}
        }
        snapshot.save()
    page = login(client, admin).get("/transformation/").content.decode()
    card = page[page.index('id="capability-heard"') : page.index('id="capability-enjoy"')]
    assert '<svg class="sparkline"' in card and "<polyline" in card
    enjoy = page[page.index('id="capability-enjoy"') : page.index('id="capability-remembered"')]
    assert "No trend yet" in enjoy


def test_the_overview_shows_the_assessed_level(client, workspace_a, admin):
    opened = assessment.round_create(workspace=workspace_a, name="Q1", by=admin.user)
    assessment.response_submit(
        assessment_round=opened,
        user=admin.user,
        scores=dict.fromkeys(CAPABILITY_KEYS, 4),
        workspace_role="admin",
    )
    page = text_of(login(client, admin).get("/transformation/"))
    card = page[page.index('id="capability-heard"') : page.index('id="capability-enjoy"')]
    assert re.search(r'class="assessed-level">Level 4', card)
    assert "Assessed levels come from the round “Q1”" in page


def test_the_business_unit_filter_narrows_the_figures(client, workspace_a, workspace_b, admin):
    unit = BusinessUnitFactory(workspace=workspace_a, name="Retail")
    snapshot_today(
        workspace_a,
        {"heard_answered_share": {"value": 96.0, "n": 40, "status": "ok"}},
        business_unit_id=unit.pk,
    )
    login(client, admin)
    assert "96.0 %" in text_of(client.get(f"/transformation/?business_unit={unit.pk}"))
    assert "96.0 %" not in text_of(client.get("/transformation/"))
    foreign = BusinessUnitFactory(workspace=workspace_b, name="GlobexSecret unit")
    page = text_of(client.get(f"/transformation/?business_unit={foreign.pk}"))
    assert "GlobexSecret" not in page


def test_strangers_are_sent_to_log_in_and_non_members_refused(client):
    response = client.get("/transformation/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(UserFactory())
    assert client.get("/transformation/").status_code == 403


# --- capability and KPI pages ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_opens_a_capability(client, workspace_a, member, role):
    response = login(client, member(workspace_a, role)).get("/transformation/capability/heard/")
    assert response.status_code == 200
    page = text_of(response)
    heard = CAPABILITIES[0]
    for text in (heard.people, heard.process, heard.technology):
        assert escape(str(text)) in page
    assert page.count('class="definition-link"') == 3


def test_use_cases_show_whether_they_are_in_use(client, workspace_a, workspace_b, admin):
    from listening.models import Topic

    login(client, admin)
    page = text_of(client.get("/transformation/capability/heard/"))
    assert 'data-use-case="listening_topics" data-in-use="no"' in page
    Topic.objects.create(workspace=workspace_b, name="Elsewhere", query="x")
    page = text_of(client.get("/transformation/capability/heard/"))
    assert 'data-use-case="listening_topics" data-in-use="no"' in page
    Topic.objects.create(workspace=workspace_a, name="Brand", query="acme")
    page = text_of(client.get("/transformation/capability/heard/"))
    assert 'data-use-case="listening_topics" data-in-use="yes"' in page
    assert 'href="/listening/topics/"' in page or "listening" in page


def test_the_pause_use_case_turns_on_after_a_pause(client, workspace_a, admin):
    from publishing.services import pause_activate

    login(client, admin)
    assert 'data-use-case="pause" data-in-use="no"' in text_of(
        client.get("/transformation/capability/respected/")
    )
    pause_activate(workspace=workspace_a, reason="drill")
    assert 'data-use-case="pause" data-in-use="yes"' in text_of(
        client.get("/transformation/capability/respected/")
    )


def test_a_kpi_trend_chart_on_the_capability_page(client, workspace_a, admin):
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.now().date()
    for days_ago, value in ((3, 40.0), (2, 60.0), (1, 72.0)):
        snapshot_today(
            workspace_a,
            {"heard_answered_share": {"value": value, "n": 100, "status": "ok"}},
            day=today - timedelta(days=days_ago),
        )
    page = login(client, admin).get("/transformation/capability/heard/").content.decode()
    answered = page[
        page.index('data-kpi="heard_answered_share"') : page.index('data-kpi="heard_first_response"')
    ]
    assert "<polyline" in answered
    other = page[page.index('data-kpi="heard_first_response"') :]
    assert "No daily figures yet" in other


def test_a_kpis_definition_page(client, admin):
    response = login(client, admin).get("/transformation/kpi/heard_first_response/")
    assert response.status_code == 200
    page = text_of(response)
    assert "Median first response time" in page
    assert "the trailing 28 days" in page and "no data" in page


def test_a_kpi_definition_quotes_the_docs(client, admin):
    page = login(client, admin).get("/transformation/kpi/enjoy_net_sentiment/").content.decode()
    definition = page[page.index('id="definition"') : page.index('id="trend"')]
    assert 'class="docs-text">enjoy_net_sentiment' in definition


@pytest.mark.parametrize("key", CAPABILITY_KEYS)
def test_every_capability_page_lists_its_use_cases(client, admin, key):
    page = text_of(login(client, admin).get(f"/transformation/capability/{key}/"))
    use_cases = next(c for c in CAPABILITIES if c.key == key).use_cases
    assert page.count('data-in-use="no"') == len(use_cases)
    for use_case in use_cases:
        assert escape(str(use_case.name)) in page


def test_unknown_capability_or_kpi_is_404(client, admin):
    login(client, admin)
    assert client.get("/transformation/capability/famous/").status_code == 404
    assert client.get("/transformation/kpi/heard_famous/").status_code == 404


# --- maturity pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_rounds_and_answers_one(client, workspace_a, member, admin, role):
    opened = assessment.round_create(workspace=workspace_a, name="Q1", by=admin.user)
    membership = member(workspace_a, role)
    login(client, membership)
    assert client.get("/transformation/assessments/").status_code == 200
    form = client.get(f"/transformation/assessments/{opened.pk}/answer/")
    assert form.status_code == 200
    assert form.content.decode().count('type="radio"') == 40
    response = client.post(
        f"/transformation/assessments/{opened.pk}/answer/", {"role": "", **answers(heard=2)}
    )
    assert response.status_code == 302
    mine = AssessmentResponse.objects.get(round=opened, user=membership.user)
    assert mine.scores["heard"] == 2
    assert client.get(f"/transformation/assessments/{opened.pk}/").status_code == 200


def test_the_questionnaire_shows_five_descriptors_for_people_process_and_technology(
    client, workspace_a, admin
):
    from transformation.questionnaire import QUESTIONNAIRE

    opened = assessment.round_create(workspace=workspace_a, name="Q1", by=admin.user)
    page = text_of(login(client, admin).get(f"/transformation/assessments/{opened.pk}/answer/"))
    for level in QUESTIONNAIRE["smarter"]:
        for text in (level.people, level.process, level.technology):
            assert escape(str(text)) in page
    assert '<option value="executive" selected>' in page


def test_a_missing_answer_is_shown_in_place(client, workspace_a, admin):
    opened = assessment.round_create(workspace=workspace_a, name="Q1", by=admin.user)
    data = answers()
    del data["score-proud"]
    response = login(client, admin).post(f"/transformation/assessments/{opened.pk}/answer/", data)
    assert response.status_code == 400
    page = text_of(response)
    assert re.search(r'id="question-proud" aria-invalid="true"', page)
    assert "Choose a level from 1 to 5." in page
    # the other choices are kept
    assert 'name="score-heard" value="3" checked' in page
    assert not AssessmentResponse.objects.exists()


def test_only_admins_open_and_close_rounds(client, workspace_a, member, admin):
    agent = member(workspace_a, Role.AGENT)
    login(client, agent)
    assert "round-create" not in client.get("/transformation/assessments/").content.decode()
    assert client.post("/transformation/assessments/", {"name": "Mine"}).status_code == 403
    assert not AssessmentRound.objects.exists()
    opened = assessment.round_create(workspace=workspace_a, name="Q1", by=admin.user)
    assert client.post(f"/transformation/assessments/{opened.pk}/close/").status_code == 403
    opened.refresh_from_db()
    assert opened.status == "open"

    login(client, admin)
    response = client.post("/transformation/assessments/", {"name": "Q2"})
    assert response.status_code == 302
    created = AssessmentRound.objects.get(name="Q2")
    assert response["Location"] == f"/transformation/assessments/{created.pk}/"
    assert client.post("/transformation/assessments/", {"name": "Q2"}).status_code == 400
    assert client.post(f"/transformation/assessments/{created.pk}/close/").status_code == 302
    created.refresh_from_db()
    assert created.status == "closed"
    closed_form = text_of(client.get(f"/transformation/assessments/{created.pk}/answer/"))
    assert "This round is closed" in closed_form
    assert client.post(f"/transformation/assessments/{created.pk}/answer/", answers()).status_code == 400


def test_results_show_spread_misalignment_gap_radar_and_history(client, workspace_a, member, admin):
    snapshot_today(workspace_a, {"heard_answered_share": {"value": 72.0, "n": 120, "status": "ok"}})
    first = assessment.round_create(workspace=workspace_a, name="Q1", by=admin.user)
    assessment.response_submit(
        assessment_round=first,
        user=admin.user,
        scores=dict.fromkeys(CAPABILITY_KEYS, 2),
        workspace_role="admin",
    )
    assessment.round_close(assessment_round=first, by=admin.user)
    latest = assessment.round_create(workspace=workspace_a, name="Q2", by=admin.user)
    for membership, heard in ((admin, 5), (member(workspace_a, Role.AGENT), 2)):
        scores = dict.fromkeys(CAPABILITY_KEYS, 3) | {"heard": heard}
        assessment.response_submit(
            assessment_round=latest, user=membership.user, scores=scores, workspace_role=membership.role
        )
    page = text_of(login(client, admin).get(f"/transformation/assessments/{latest.pk}/"))
    heard = page[page.index('<tr data-capability="heard">') : page.index('<tr data-capability="enjoy">')]
    assert '<td class="median">3.5</td>' in heard
    assert "3 <small" in heard  # spread 2..5
    assert "misaligned" in heard
    assert "+0.5" in heard and "rated higher than measured" in heard  # 3.5 against level 3
    enjoy = page[page.index('<tr data-capability="enjoy">') : page.index('<tr data-capability="remembered">')]
    assert "misaligned" not in enjoy
    assert 'id="radar"' in page and 'data-series="assessed"' in page and 'data-series="measured"' in page
    assert 'id="history"' in page and "Q1" in page


def test_another_workspaces_round_is_404_on_every_page(client, workspace_a, workspace_b, member, admin):
    foreign = assessment.round_create(workspace=workspace_b, name="GlobexSecret", by=member(workspace_b).user)
    login(client, admin)
    assert client.get(f"/transformation/assessments/{foreign.pk}/").status_code == 404
    assert client.get(f"/transformation/assessments/{foreign.pk}/answer/").status_code == 404
    assert client.post(f"/transformation/assessments/{foreign.pk}/answer/", answers()).status_code == 404
    assert client.post(f"/transformation/assessments/{foreign.pk}/close/").status_code == 404
    assert "GlobexSecret" not in client.get("/transformation/assessments/").content.decode()
    foreign.refresh_from_db()
    assert foreign.status == "open" and not foreign.responses.exists()


def test_figures_are_measured_again_when_stale_or_on_request(client, workspace_a, admin, settings):
    from datetime import timedelta

    from django.utils import timezone

    from tests.transformation.kpis_data import mentions
    from transformation.models import KpiSnapshot

    login(client, admin)
    first = text_of(client.get("/transformation/"))
    assert 'id="measured-at"' in first and "Measured " in first
    assert (
        'data-kpi="enjoy_net_sentiment" data-status="no_data"' in first
        or first.count('data-status="no_data"') == 26
    )

    # Mentions arrive after the first look: the stored figures stay until they are stale ...
    mentions(workspace_a, 40, at=timezone.now() - timedelta(hours=2), sentiment="positive")
    assert text_of(client.get("/transformation/")).count('data-status="no_data"') == 26

    # ... or someone asks for a measurement now.
    answer = client.post("/transformation/measure/")
    assert answer.status_code == 302 and answer["Location"] == "/transformation/"
    assert text_of(client.get("/transformation/")).count('data-status="no_data"') < 26

    KpiSnapshot.objects.filter(workspace_id=workspace_a.pk).delete()
    settings.CXM_TRANSFORMATION_STALE_MINUTES = 60
    client.get("/transformation/")
    KpiSnapshot.objects.filter(workspace_id=workspace_a.pk).update(
        computed_at=timezone.now() - timedelta(hours=2)
    )
    client.get("/transformation/")
    snapshot = KpiSnapshot.objects.get(workspace_id=workspace_a.pk, business_unit_id=0, brand_id=0)
    assert snapshot.computed_at > timezone.now() - timedelta(minutes=5)
