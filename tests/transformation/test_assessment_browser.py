"""An admin and an agent assess the workspace's maturity in a real browser: the admin looks over
the eight capabilities (one KPI measured, the rest saying "no data"), opens a round and answers it,
the agent answers it too, and the admin sees the radar and where the two disagree."""

from __future__ import annotations

import re

import pytest

from cxm.tenancy.models import Role
from tests.browser import watched_context
from tests.factories import PASSWORD, MembershipFactory, WorkspaceFactory
from tests.transformation.snapshots import snapshot_today
from transformation.capabilities import CAPABILITY_KEYS
from transformation.models import AssessmentResponse, AssessmentRound

pytestmark = pytest.mark.browser


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _answer(page, levels: dict[str, int], role: str | None = None):
    if role:
        page.select_option("#id_role", role)
    for key, level in levels.items():
        page.check(f"input[name='score-{key}'][value='{level}']")
    page.click("#assessment-submit")


def test_two_people_assess_maturity_and_the_admin_sees_where_they_disagree(
    live_server, browser, browser_problems, page
):
    workspace = WorkspaceFactory(name="Acme")
    admin = MembershipFactory(workspace=workspace, role=Role.ADMIN)
    agent = MembershipFactory(workspace=workspace, role=Role.AGENT)
    snapshot_today(
        workspace,
        {
            "heard_answered_share": {"value": 72.0, "n": 120, "status": "ok"},
            "heard_first_response": {"value": None, "n": 12, "status": "insufficient"},
        },
    )
    base = live_server.url

    _login(page, live_server, admin.user.username)
    page.goto(f"{base}/transformation/")
    assert page.locator("#capabilities article.capability-card").count() == 8
    heard = page.locator("#capability-heard")
    assert "72.0 %" in heard.inner_text()
    assert "insufficient data (n = 12)" in heard.inner_text()
    assert "no data" in page.locator("#capability-enjoy").inner_text()
    assert "not assessed" in heard.inner_text()

    page.click("nav.tabs >> text=Maturity")
    page.wait_for_url(f"{base}/transformation/assessments/")
    page.fill("#id_round_name", "Q1 2027")
    page.click("#round-create button[type=submit]")
    page.wait_for_url(re.compile(r".*/transformation/assessments/\d+/$"))
    assessment_round = AssessmentRound.objects.get(name="Q1 2027")
    assert "0 responses" in page.inner_text("#round-summary")

    page.click("#answer-link")
    page.wait_for_selector("#assessment-form")
    assert page.input_value("#id_role") == "executive"
    _answer(page, dict.fromkeys(CAPABILITY_KEYS, 4) | {"heard": 5})
    page.wait_for_url(f"{base}/transformation/assessments/{assessment_round.pk}/")
    assert "1 response" in page.inner_text("#round-summary")

    other = watched_context(browser, browser_problems, locale="en-GB")
    agent_page = other.new_page()
    agent_page.set_default_timeout(15_000)
    _login(agent_page, live_server, agent.user.username)
    agent_page.goto(f"{base}/transformation/assessments/")
    agent_page.click(f"tr[data-round='{assessment_round.pk}'] >> text=Answer")
    agent_page.wait_for_selector("#assessment-form")
    assert agent_page.input_value("#id_role") == "frontline"
    _answer(agent_page, dict.fromkeys(CAPABILITY_KEYS, 3) | {"heard": 2})
    agent_page.wait_for_url(f"{base}/transformation/assessments/{assessment_round.pk}/")
    other.close()
    assert AssessmentResponse.objects.filter(round=assessment_round).count() == 2

    page.reload()
    assert "2 responses" in page.inner_text("#round-summary")
    assert page.locator("#radar polygon[data-series='assessed']").count() == 1
    assert page.locator("#radar polygon[data-series='measured']").count() == 1
    heard_row = page.locator("#results tr[data-capability='heard']")
    assert heard_row.locator("td.median").inner_text() == "3.5"
    assert heard_row.locator("td.spread").inner_text().startswith("3")
    assert "misaligned" in heard_row.inner_text()
    assert "rated higher than measured" in heard_row.inner_text()  # 3.5 against level 3
    enjoy_row = page.locator("#results tr[data-capability='enjoy']")
    assert enjoy_row.locator("td.spread").inner_text().startswith("1")
    assert "misaligned" not in enjoy_row.inner_text()

    page.goto(f"{base}/transformation/")
    assert "Level 4" in page.locator("#capability-heard .assessed-level").inner_text()  # 3.5 rounds up
