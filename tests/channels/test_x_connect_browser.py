"""An admin connects X in a real browser: "Connect X" on Admin → Accounts leads to X's consent
page (the stand-in's), "Authorize app" leads back, the server exchanges the code with its PKCE
verifier and asks X who signed in, and the accounts page shows the new X account's tile with the
calls X allows until its window resets."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cxm.channels.models import AccountStatus, ChannelAccount
from cxm.tenancy.models import Role
from tests.channels.x_accounts import x_stand_in
from tests.factories import WorkspaceFactory


@pytest.mark.browser
def test_an_admin_connects_x_and_sees_its_tile(live_server, page, session_in_page, member, settings):
    workspace = WorkspaceFactory(name="Acme")
    admin = member(workspace, Role.ADMIN)

    with x_stand_in(settings, base_url=live_server.url) as x:
        x.limit("GET /2/users/me", remaining=75, limit=75)
        session_in_page(admin)
        page.goto(f"{live_server.url}/admin/accounts/")
        page.get_by_role("button", name="Connect X").click()

        page.wait_for_url(f"{x.base_url}/i/oauth2/authorize?**")
        expect(page.get_by_role("heading")).to_contain_text("@XDevelopers")
        page.get_by_role("link", name="Authorize app").click()

        page.wait_for_url(f"{live_server.url}/admin/accounts/")
        expect(page.get_by_text("Account connected: X @XDevelopers")).to_be_visible()
        account = ChannelAccount.objects.get(workspace=workspace, platform="x")
        row = page.locator(f"#account-{account.pk}")
        expect(row).to_contain_text("X Developers")
        expect(row).to_contain_text("@XDevelopers")
        expect(row.locator("[data-status]")).to_have_text("Connected")
        expect(row.locator("[data-quota-remaining]")).to_have_text(
            re.compile(r"^X: 74 calls left until \d\d:\d\d$")
        )

    assert account.status == AccountStatus.CONNECTED
    (exchange,) = x.calls("POST", "/2/oauth2/token")
    assert exchange.form()["grant_type"] == ["authorization_code"] and exchange.form()["code_verifier"]
