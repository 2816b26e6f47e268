"""A person turns on two-factor authentication in a real browser and signs in with a code."""

import time

import pyotp
import pytest

from cxm.tenancy.models import Role
from tests.factories import PASSWORD


def _sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.browser
def test_enrol_an_authenticator_then_sign_in_with_a_code(live_server, page, transactional_db, member):
    from tests.factories import WorkspaceFactory

    acme = WorkspaceFactory(name="Acme", require_two_factor_for_admins=True)
    admin = member(acme, Role.ADMIN)

    # The workspace requires two-factor for admins: signing in leads to enrolment.
    _sign_in(page, live_server, admin.user.username)
    page.wait_for_url("**/accounts/two-factor/setup/**")
    page.locator("figure.two-factor-qr svg").wait_for(state="visible")
    page.get_by_text("Can't scan? Enter the key by hand").click()
    secret = page.locator("[data-two-factor-secret]").inner_text()
    assert f"secret={secret}" in page.locator(".two-factor-uri").inner_text()

    # An enrolment code from the previous step, so the sign-in below can use the current one.
    page.fill("#id_code", pyotp.TOTP(secret).at(time.time() - 30))
    page.get_by_role("button", name="Turn on").click()
    # the answer is a new page: wait for it rather than look at the one being left
    page.get_by_role("heading", name="Two-factor authentication is on").wait_for(state="visible")
    assert page.locator(".recovery-codes li").count() == 10
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Acme"

    # Sign out, and in again: now the password alone is not enough.
    page.context.clear_cookies()
    _sign_in(page, live_server, admin.user.username)
    page.wait_for_url("**/accounts/two-factor/")
    page.fill("#id_code", "000000")
    page.get_by_role("button", name="Verify").click()
    assert "That code is not valid" in page.get_by_role("alert").inner_text()
    page.fill("#id_code", pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Acme"
