"""Connect Facebook & Instagram in a real browser, against stand-ins for Facebook's login dialog
and the Graph API, with a real worker.

An admin goes Admin → Accounts → "Connect Facebook & Instagram"; the dialog sends the browser back
with a code and the state it was given. A state tampered with on the way back is refused with the
reason, and the admin starts again. The callback exchanges the code for a short-lived, then a
long-lived user token, and the picker lists the Pages, the Instagram account, the ad account and
the WhatsApp number. The admin adds the Page, its Instagram account and the WhatsApp number to a
business unit and brand: the tiles show them, the WhatsApp number with its token's expiry (a Page
token got with a long-lived user token does not expire, so the Page and Instagram show none).
Each passes "Check connection" against the stand-ins, and the worker's first poll reads the Page
and the Instagram account with the tokens just stored.
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from cxm.channels.models import AccountStatus, ChannelAccount
from cxm.channels.tasks import poll_due
from cxm.tenancy.models import Role
from tests.channels.stubs.facebook_page_server import FacebookPageStub
from tests.channels.stubs.instagram_server import InstagramStub
from tests.channels.stubs.meta_oauth_server import MetaOAuthServer, documented
from tests.channels.stubs.whatsapp_server import WhatsAppStub
from tests.factories import BrandFactory, BusinessUnitFactory, WorkspaceFactory
from tests.waiting import wait_for

APP_ID = "1234567890"
APP_SECRET = "app-secret-never-shown"
LISTED_PAGE = documented("oauth_me_accounts.json")["data"][0]
LISTED_IG = LISTED_PAGE["instagram_business_account"]
LISTED_WABA = documented("oauth_owned_wabas.json")["data"][0]
LISTED_NUMBER = documented("oauth_phone_numbers.json")["data"][0]
USER_TOKEN = documented("oauth_long_lived_token.json")["access_token"]
PICKED = (
    f"facebook_page:{LISTED_PAGE['id']}",
    f"instagram:{LISTED_IG['id']}",
    f"whatsapp:{LISTED_NUMBER['id']}",
)


@pytest.fixture
def meta(live_server, settings):
    """Graph as one host: the login endpoints, and the Page, Instagram account and WhatsApp number
    they list, each knowing the token the flow hands its account."""
    page_token = LISTED_PAGE["access_token"]
    with (
        FacebookPageStub(token=page_token, page_id=LISTED_PAGE["id"], name=LISTED_PAGE["name"]) as page,
        InstagramStub(user_id=LISTED_IG["id"], username=LISTED_IG["username"], token=page_token) as instagram,
        WhatsAppStub(
            token=USER_TOKEN, phone_number_id=LISTED_NUMBER["id"], waba_id=LISTED_WABA["id"]
        ) as whatsapp,
        MetaOAuthServer(
            app_id=APP_ID,
            app_secret=APP_SECRET,
            redirect_uri=f"{live_server.url}/admin/accounts/connect/meta/callback/",
            objects=[page, instagram, whatsapp],
        ) as graph,
    ):
        whatsapp.phone.update(
            verified_name=LISTED_NUMBER["verified_name"],
            display_phone_number=LISTED_NUMBER["display_phone_number"],
        )
        settings.CXM_META_APP_ID = APP_ID
        settings.CXM_META_APP_SECRET = APP_SECRET
        settings.CXM_META_GRAPH_URL = graph.base_url
        settings.CXM_META_DIALOG_URL = graph.dialog_url
        settings.CXM_BASE_URL = live_server.url
        settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stand-ins listen on 127.0.0.1
        yield SimpleNamespace(graph=graph, page=page, instagram=instagram, whatsapp=whatsapp)


def _exchanges(graph) -> list[dict[str, str]]:
    return [
        {k: v[0] for k, v in r.query.items()}
        for r in graph.requests
        if r.path.endswith("/oauth/access_token")
    ]


@pytest.mark.browser
@pytest.mark.worker
def test_an_admin_connects_a_page_its_instagram_account_and_a_whatsapp_number(
    live_server, page, session_in_page, celery_worker_process, member, meta
):
    workspace = WorkspaceFactory(name="Acme", allow_private_webhook_targets=True)
    admin = member(workspace, Role.ADMIN)
    unit = BusinessUnitFactory(workspace=workspace, name="Indonesia")
    BusinessUnitFactory(workspace=workspace, name="Malaysia")
    brand = BrandFactory(workspace=workspace, business_unit=unit, name="Kopi Nusantara")
    session_in_page(admin)

    # Admin → Accounts → "Connect Facebook & Instagram" opens Facebook's dialog.
    page.goto(f"{live_server.url}/")
    page.locator("header nav").get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("navigation", name="Admin sections").get_by_role("link", name="Accounts").click()
    page.wait_for_url("**/admin/accounts/")
    page.get_by_role("button", name="Connect Facebook & Instagram").click()
    page.wait_for_url(f"{meta.graph.dialog_url}?*")
    expect(page.locator("body")).to_contain_text("pages_manage_posts")
    state = parse_qs(urlsplit(page.url).query)["state"][0]

    # The way back with a state changed on it is refused: nothing is exchanged, the admin is told.
    tampered = state[:-4] + ("AAAA" if not state.endswith("AAAA") else "BBBB")
    callback = f"{live_server.url}/admin/accounts/connect/meta/callback/"
    page.goto(f"{callback}?{urlencode({'code': meta.graph.code, 'state': tampered})}")
    page.wait_for_url("**/admin/accounts/")
    expect(page.locator(".flash-messages")).to_contain_text(
        "The sign-in with Facebook could not be verified (it expired or was not started here). Try again."
    )
    assert _exchanges(meta.graph) == []

    # Again, this time through to the end: "Continue" on the dialog comes back with code and state.
    page.get_by_role("button", name="Connect Facebook & Instagram").click()
    page.wait_for_url(f"{meta.graph.dialog_url}?*")
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url("**/admin/accounts/connect/meta/pick/")
    short, long = _exchanges(meta.graph)
    assert (short["code"], short["redirect_uri"]) == (meta.graph.code, callback)
    assert (long["grant_type"], long["fb_exchange_token"]) == ("fb_exchange_token", meta.graph.short_token)

    # The picker lists what the sign-in may add, by name and number, never a token.
    listed = page.locator("form.account-form table")
    for shown in ("Kopi Nusantara Care", "@kopinusantara", "+62 21-5555-0100", "Kopi Nusantara Ads"):
        expect(listed).to_contain_text(shown)
    assert LISTED_PAGE["access_token"] not in page.content() and USER_TOKEN not in page.content()
    for key in PICKED:
        page.check(f'input[name=accounts][value="{key}"]')
    page.get_by_label("Business unit").select_option(label="Indonesia")
    page.get_by_label("Brand").select_option(label=brand.name)
    page.get_by_role("button", name="Add the ticked accounts").click()

    # Three tiles, in the chosen unit and brand; only the WhatsApp number's token lapses.
    page.wait_for_url("**/admin/accounts/")
    expect(page.locator(".flash-messages")).to_contain_text("3 accounts connected.")
    accounts = {a.platform: a for a in ChannelAccount.objects.filter(workspace=workspace)}
    assert set(accounts) == {"facebook_page", "instagram", "whatsapp"}
    rows = {platform: page.locator(f"#account-{account.pk}") for platform, account in accounts.items()}
    for row in rows.values():
        expect(row).to_contain_text("Indonesia")
        expect(row.locator("[data-status]")).to_have_attribute("data-status", "connected")
    expect(rows["whatsapp"].locator("[data-token-days]")).to_have_text("Token expires in 59 days")
    expect(rows["facebook_page"].locator("[data-token-days]")).to_have_count(0)
    expect(rows["instagram"].locator("[data-token-days]")).to_have_count(0)

    # Each one's connection checks out against the stand-ins, with the token stored for it.
    said = {
        "facebook_page": "Connected as Kopi Nusantara",
        "instagram": "Connected as kopinusantara",
        "whatsapp": "Connected as Kopi Nusantara (+62 21-5555-0100)",
    }
    for platform, account in accounts.items():
        rows[platform].get_by_role("button", name="Check connection").click()
        checked = page.locator(f"#account-{account.pk}")
        expect(checked.locator("[role=status]")).to_have_text(said[platform])
        expect(checked.locator("[data-status]")).to_have_attribute("data-status", "connected")

    # The worker's first poll reads the Page and the Instagram account (WhatsApp only pushes).
    polled = (accounts["facebook_page"].pk, accounts["instagram"].pk)
    poll_due.delay()
    assert wait_for(
        lambda: ChannelAccount.objects.filter(pk__in=polled, last_synced_at__isnull=False).count() == 2,
        seconds=20,
    ), "the worker did not poll the new accounts"
    page.reload()
    for platform in ("facebook_page", "instagram"):
        expect(rows[platform].locator("time")).to_have_count(1)
        expect(rows[platform].locator("[data-status]")).to_have_attribute("data-status", "connected")
    expect(rows["whatsapp"].locator("time")).to_have_count(0)
    assert meta.page.writes("GET", f"{LISTED_PAGE['id']}/feed")
    assert any(r.path.endswith(f"{LISTED_IG['id']}/media") for r in meta.instagram.requests)
    assert set(ChannelAccount.objects.filter(workspace=workspace).values_list("status", flat=True)) == {
        AccountStatus.CONNECTED
    }
