"""An admin connects YouTube in a real browser: "Connect YouTube" on Admin → Accounts leads to
Google's consent page (the stand-in's), "Allow" leads back, the server exchanges the code with its
PKCE verifier and asks YouTube which channel was granted, and the accounts page shows the
channel's tile with the units left of the Google project's daily quota."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cxm.channels.models import AccountStatus, ChannelAccount
from cxm.tenancy.models import Role
from tests.channels.stubs.youtube_server import CHANNEL_ID
from tests.channels.youtube_helpers import youtube_sign_in
from tests.factories import BrandFactory, BusinessUnitFactory, WorkspaceFactory


@pytest.mark.browser
def test_an_admin_connects_youtube_and_sees_its_tile(
    live_server, page, session_in_page, member, settings, youtube
):
    workspace = WorkspaceFactory(name="Acme")
    admin = member(workspace, Role.ADMIN)
    youtube_sign_in(settings, youtube, base_url=live_server.url)

    session_in_page(admin)
    page.goto(f"{live_server.url}/admin/accounts/")
    page.get_by_role("button", name="Connect YouTube").click()

    page.wait_for_url(f"{youtube.authorize_url}?**")
    expect(page.get_by_role("heading")).to_have_text("cxm wants access to your Google Account")
    expect(page.get_by_text("YouTube channel Kopi Nusantara")).to_be_visible()
    page.get_by_role("link", name="Allow").click()

    page.wait_for_url(f"{live_server.url}/admin/accounts/")
    expect(page.get_by_text(f"Account connected: YouTube {CHANNEL_ID} (Kopi Nusantara)")).to_be_visible()
    account = ChannelAccount.objects.get(workspace=workspace, platform="youtube")
    row = page.locator(f"#account-{account.pk}")
    expect(row).to_contain_text("Kopi Nusantara")
    expect(row).to_contain_text(CHANNEL_ID)
    expect(row.locator("[data-status]")).to_have_text("Connected")
    # The connect asked channels.list once: 1 unit of the project's 10,000.
    expect(row.locator(".youtube-quota")).to_have_text("YouTube quota: 9,999 of 10,000 units left today")

    assert account.status == AccountStatus.CONNECTED
    assert account.credentials["refresh_token"] in youtube.refresh_tokens
    exchange = next(r for r in youtube.requests if r.path == "/token")
    assert exchange.form()["grant_type"] == ["authorization_code"] and exchange.form()["code_verifier"]


@pytest.mark.browser
def test_an_admin_picks_where_the_channel_belongs_before_signing_in(
    live_server, page, session_in_page, member, settings, youtube
):
    workspace = WorkspaceFactory(name="Acme")
    admin = member(workspace, Role.ADMIN)
    online = BusinessUnitFactory(workspace=workspace, name="Online")
    BusinessUnitFactory(workspace=workspace, name="Retail")
    BrandFactory(workspace=workspace, business_unit=online, name="Kopi Nusantara")
    BrandFactory(workspace=workspace, business_unit=online, name="Teh Segar")
    youtube_sign_in(settings, youtube, base_url=live_server.url)

    session_in_page(admin)
    page.goto(f"{live_server.url}/admin/accounts/")
    page.get_by_role("button", name="Connect YouTube").click()
    page.get_by_label("Business unit").select_option(label="Online")
    page.get_by_label("Brand").select_option(label="Kopi Nusantara")
    # The chooser's form leads to Google's page through our redirect, which its policy allows.
    page.get_by_role("button", name="Continue to YouTube").click()
    page.wait_for_url(f"{youtube.authorize_url}?**")
    page.get_by_role("link", name="Allow").click()

    page.wait_for_url(f"{live_server.url}/admin/accounts/")
    account = ChannelAccount.objects.get(workspace=workspace, platform="youtube")
    expect(page.locator(f"#account-{account.pk}")).to_contain_text("Kopi Nusantara")
    assert (account.business_unit.name, account.brand.name) == ("Online", "Kopi Nusantara")
