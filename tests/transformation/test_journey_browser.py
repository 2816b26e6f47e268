"""An admin opens Transformation over a workspace that the demo network has been talking to:
the eight capabilities show live KPIs measured from that activity, a maturity round is answered
by the admin and a colleague and its radar and spread shown, an earlier period's figures are
imported as the baseline, and the ROI case opens prefilled with the benefit measured against it,
gets a cost typed in and is exported as CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest

from care.selectors import inbox_cases
from care.services import case_resolve
from cxm.channels.services.demo import demo_accounts_seed
from cxm.channels.services.sync import account_sync
from cxm.tenancy.models import Role
from tests.browser import watched_context
from tests.factories import PASSWORD, MembershipFactory, WorkspaceFactory
from transformation.capabilities import CAPABILITY_KEYS

pytestmark = pytest.mark.browser

RESOLVED_CASES = 40


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _answer(page, levels: dict[str, int]) -> None:
    for key, level in levels.items():
        page.check(f"input[name='score-{key}'][value='{level}']")
    page.click("#assessment-submit")


def _demo_activity(workspace, agent) -> int:
    """An hour of the demo network's mentions and messages, then an agent resolving cases."""
    for account in demo_accounts_seed(workspace=workspace):
        for _ in range(3):  # the backlog comes in pages
            account_sync(account_id=account.pk, workspace_id=workspace.pk)
    cases = list(inbox_cases(workspace=workspace, user=agent.user)[:RESOLVED_CASES])
    for case in cases:
        case_resolve(case=case, by=agent.user)
    return len(cases)


def test_an_admin_measures_assesses_and_builds_the_roi_case_from_live_data(
    live_server, browser, browser_problems, page
):
    workspace = WorkspaceFactory(name="Demo")
    admin = MembershipFactory(workspace=workspace, role=Role.ADMIN)
    agent = MembershipFactory(workspace=workspace, role=Role.AGENT)
    resolved = _demo_activity(workspace, agent)
    assert resolved >= 30, "the demo hour should give the agent enough cases to resolve"
    base = live_server.url

    # The eight capabilities, measured from what the demo network said and what care did.
    _sign_in(page, base, admin.user.username)
    page.click("header >> text=Transformation")
    page.wait_for_url(f"{base}/transformation/")
    assert page.locator("#capabilities article.capability-card").count() == 8
    enjoy = page.locator("#capability-enjoy")
    sentiment = enjoy.locator("[data-kpi='enjoy_net_sentiment']")
    assert sentiment.get_attribute("data-status") == "ok"
    assert re.search(r"-?\d+\.\d %", sentiment.inner_text())
    resolution = enjoy.locator("[data-kpi='enjoy_resolution_time']")
    assert resolution.get_attribute("data-status") == "ok"
    assert "no data" in page.locator("#capability-relevant").inner_text()  # no ads ran
    assert re.search(r"Level [1-5]", enjoy.inner_text())

    # A maturity round, answered by the admin and by a colleague who sees it differently.
    page.click("nav.tabs >> text=Maturity")
    page.fill("#id_round_name", "Q4 2026")
    page.click("#round-create button[type=submit]")
    page.wait_for_url(re.compile(r".*/transformation/assessments/\d+/$"))
    round_url = page.url
    page.click("#answer-link")
    _answer(page, dict.fromkeys(CAPABILITY_KEYS, 4) | {"heard": 5})
    page.wait_for_url(round_url)

    colleague = watched_context(browser, browser_problems, locale="en-GB")
    agent_page = colleague.new_page()
    agent_page.set_default_timeout(15_000)
    _sign_in(agent_page, base, agent.user.username)
    agent_page.goto(round_url)
    agent_page.click("#answer-link")
    _answer(agent_page, dict.fromkeys(CAPABILITY_KEYS, 3) | {"heard": 2})
    agent_page.wait_for_url(round_url)
    colleague.close()

    page.reload()
    assert "2 responses" in page.inner_text("#round-summary")
    assert page.locator("#radar polygon[data-series='assessed']").count() == 1
    assert page.locator("#radar polygon[data-series='measured']").count() == 1
    heard = page.locator("#results tr[data-capability='heard']")
    assert heard.locator("td.spread").inner_text().startswith("3")
    assert "misaligned" in heard.inner_text()

    # The figures before the platform: imported as the baseline.
    page.click("nav.tabs >> text=Settings")
    page.fill("#id_loaded_hourly_cost", "50")
    page.click("#money-settings button[type=submit]")
    page.fill("#id_text", "kpi,value,n,since,until\nenjoy_resolution_time,30,1200,2026-09-01,2026-09-28")
    page.click("#baseline-import button:text('Import')")
    assert page.locator("#baseline-import tr[data-kpi='enjoy_resolution_time']").count() == 1

    # The ROI case opens with the benefit measured against that baseline.
    page.click("nav.tabs >> text=ROI")
    measured = page.locator("#roi-benefits tr.measured")
    assert measured.count() == 1
    assert "measured" in measured.inner_text()
    year_one = float(measured.locator("input[name='benefit-0-y1']").input_value())
    assert year_one > 0
    page.fill("input[name='cost-0-name']", "Licences")
    page.fill("input[name='cost-0-initial']", "1000")
    page.fill("input[name='cost-0-y1']", "500")
    page.fill("input[name='cost-0-y2']", "500")
    page.fill("input[name='cost-0-y3']", "500")
    page.click("#roi-form button:text('Recompute')")
    page.wait_for_selector("#roi-figures td[data-figure='npv']")
    npv = page.inner_text("#roi-figures td[data-figure='npv']")
    assert re.match(r"[\d,]+\.\d\d USD", npv), npv  # the measured benefit outweighs the licences
    payback = page.inner_text("#roi-figures td[data-figure='payback_months']")
    assert "months" in payback or "not within" in payback

    with page.expect_download() as download_info:
        page.click("#roi-form button:text('Export CSV')")
    content = download_info.value.path().read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(content)))
    flat = "\n".join(",".join(row) for row in rows)
    assert "Licences" in flat and "NPV" in flat.upper()
    assert any("measured" in ",".join(row).lower() for row in rows)
