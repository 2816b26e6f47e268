"""An admin invites a newcomer from Admin → Members in a real browser; the newcomer opens the
e-mailed link, chooses a password and lands signed in, in the workspace, with the role given."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from cxm.tenancy.models import Membership, Role
from tests.factories import PASSWORD

NEW_PASSWORD = "kopi susu gula aren 2026"


@pytest.mark.browser
def test_an_admin_invites_a_newcomer_who_joins_through_the_emailed_link(
    live_server, browser, page, transactional_db, member, settings
):
    from tests.factories import WorkspaceFactory

    settings.CXM_BASE_URL = live_server.url
    acme = WorkspaceFactory(name="Acme")
    admin = member(acme, Role.ADMIN)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", admin.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/admin/")
    invite = page.locator("#invite")
    invite.get_by_label("Email").fill("sari@example.com")
    invite.get_by_label("Name").fill("Sari Dewi")
    invite.get_by_label("Role").select_option(label="Marketer")
    invite.get_by_role("button", name="Invite").click()
    page.get_by_text("Invitation sent to sari@example.com.").wait_for(state="visible")
    assert "sari@example.com" in page.locator("#invitations").inner_text()
    assert not Membership.objects.filter(workspace=acme, user__email="sari@example.com").exists()

    (message,) = mail.outbox
    assert message.to == ["sari@example.com"]
    link = re.search(r"https?://\S+/invitations/\S+/", message.body).group(0)
    assert link.startswith(live_server.url)

    # The newcomer, in a browser of their own.
    context = browser.new_context(locale="en-GB", timezone_id="Asia/Jakarta")
    newcomer = context.new_page()
    newcomer.set_default_timeout(15_000)
    try:
        newcomer.goto(link)
        assert newcomer.get_by_role("heading", name="Join Acme").is_visible()
        assert newcomer.get_by_label("Username").input_value() == "sari@example.com"
        newcomer.get_by_label("Username").fill("sari")
        newcomer.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
        newcomer.get_by_label("Password confirmation").fill(NEW_PASSWORD)
        newcomer.get_by_role("button", name="Set password and join").click()
        newcomer.wait_for_url(f"{live_server.url}/")

        assert newcomer.locator("h1").inner_text() == "Acme"
        assert newcomer.locator(".user-menu summary").inner_text() == "sari · Marketer"
        nav = newcomer.locator("header nav")
        assert nav.get_by_role("link", name="Publishing", exact=True).is_visible()
        assert not nav.locator('[data-nav="admin"]').count()

        # The link worked once.
        newcomer.goto(link)
        assert newcomer.get_by_role("heading", name="This invitation link is no longer valid").is_visible()
    finally:
        context.close()

    joined = Membership.objects.get(workspace=acme, user__username="sari")
    assert joined.role == Role.MARKETER and joined.user.email == "sari@example.com"
