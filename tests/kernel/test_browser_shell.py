"""A person logs in through a real browser and finds their way around the shell."""

import pytest

from cxm.tenancy.models import Role
from tests.factories import PASSWORD


@pytest.mark.browser
def test_log_in_see_the_navigation_and_switch_workspace(live_server, page, transactional_db, member):
    from tests.factories import WorkspaceFactory

    acme = WorkspaceFactory(name="Acme")
    globex = WorkspaceFactory(name="Globex")
    membership = member(acme, Role.ADMIN)
    member(globex, Role.AGENT, user=membership.user)

    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", membership.user.username)
    page.fill("#id_password", "wrong password")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text() == "That username and password do not match an account."

    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    nav = page.locator("header nav")
    for label in ["Listening", "Publishing", "Care", "Ads", "Transformation", "Admin"]:
        assert nav.get_by_role("link", name=label, exact=True).is_visible(), label
    assert page.locator("h1").inner_text() == "Acme"

    nav.get_by_role("link", name="Listening", exact=True).click()
    page.wait_for_url("**/listening/")
    assert page.get_by_role("heading", name="No mentions match").is_visible()

    # switching the workspace (htmx posts on change) changes the role and so the navigation
    with page.expect_navigation():
        page.select_option("#workspace-select", label="Globex")
    assert page.url.endswith("/listening/")
    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Globex"
    assert not page.locator('header nav [data-nav="admin"]').count()
    assert page.locator('header nav [data-nav="care"]').is_visible()


@pytest.mark.browser
def test_admin_changes_a_role_in_place_and_finds_it_in_the_audit_log(
    live_server, page, transactional_db, member
):
    from tests.factories import WorkspaceFactory

    acme = WorkspaceFactory(name="Acme")
    admin = member(acme, Role.ADMIN)
    analyst = member(acme, Role.ANALYST)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", admin.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.locator("header nav").get_by_role("link", name="Admin", exact=True).click()

    row = page.locator(f"#member-{analyst.pk}")
    row.locator("select[name=role]").select_option("marketer")
    row.get_by_role("button", name="Save").click()
    assert page.locator(f"#member-{analyst.pk} .ok").inner_text() == "Saved"

    page.get_by_role("link", name="Audit log").click()
    table = page.locator("#audit-table")
    assert "Member's role changed" in table.inner_text()  # the audit action member.role_change
    assert "marketer" in table.inner_text()
