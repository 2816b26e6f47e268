"""Connect Facebook & Instagram: Facebook Login's code flow against a Graph stand-in, the picker,
and the picked Pages, Instagram accounts, ad accounts and WhatsApp numbers becoming channel
accounts of the chosen business unit, with their tokens stored encrypted and never shown."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core import signing
from django.db import connection
from django.utils import timezone

from cxm.audit.models import AuditEntry
from cxm.channels.connectors import REGISTRY
from cxm.channels.meta_views import DISCOVERY_KEY, STATE_SALT
from cxm.channels.models import ChannelAccount
from cxm.tenancy.models import Role
from tests.channels.meta_fakes import FAKES
from tests.channels.stubs.meta_oauth_server import MetaOAuthServer, documented
from tests.factories import BrandFactory, BusinessUnitFactory
from tests.stub_server import serve_stub

pytestmark = pytest.mark.django_db

APP_ID = "1234567890"
APP_SECRET = "app-secret-never-shown"
BASE_URL = "https://cxm.example"
REDIRECT_URI = f"{BASE_URL}/admin/accounts/connect/meta/callback/"
TOKENS = (
    "EAAshort-lived-user-token",
    "EAAlong-lived-user-token",
    "EAApage-token-kopi-nusantara",
    "EAApage-token-kopi-care",
    APP_SECRET,
)


@pytest.fixture
def graph():
    yield from serve_stub(MetaOAuthServer(app_id=APP_ID, app_secret=APP_SECRET, redirect_uri=REDIRECT_URI))


@pytest.fixture(autouse=True)
def meta_app(settings, monkeypatch, graph):
    settings.CXM_META_APP_ID = APP_ID
    settings.CXM_META_APP_SECRET = APP_SECRET
    settings.CXM_META_GRAPH_URL = graph.base_url
    settings.CXM_BASE_URL = BASE_URL
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stand-in listens on 127.0.0.1
    # The real Page, Instagram and WhatsApp connectors arrive on their own; these stand in.
    for platform, dotted in FAKES.items():
        monkeypatch.setitem(REGISTRY, platform, dotted)


@pytest.fixture
def admin(client, workspace_a, member):
    client.force_login(member(workspace_a, Role.ADMIN).user)
    return client


def _start(client) -> str:
    answer = client.get("/admin/accounts/connect/meta/")
    assert answer.status_code == 302
    return answer["Location"]


def _state_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["state"][0]


def _messages(answer) -> list[str]:
    return [str(m) for m in get_messages(answer.wsgi_request)]


def _signed_in(client) -> None:
    state = _state_of(_start(client))
    answer = client.get("/admin/accounts/connect/meta/callback/", {"code": "the-code", "state": state})
    assert answer.status_code == 302 and answer["Location"] == "/admin/accounts/connect/meta/pick/"


def test_the_start_sends_the_browser_to_facebooks_dialog_with_a_state_and_the_scopes(admin, settings):
    location = _start(admin)
    parts = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == settings.CXM_META_DIALOG_URL
    assert (query["client_id"], query["redirect_uri"], query["response_type"]) == (
        APP_ID,
        REDIRECT_URI,
        "code",
    )
    scopes = set(query["scope"].split(","))
    assert {"pages_show_list", "pages_messaging", "instagram_basic", "instagram_manage_comments"} <= scopes
    assert {"whatsapp_business_messaging", "whatsapp_business_management", "ads_management"} <= scopes
    assert len(query["state"]) > 40


def test_a_state_that_does_not_match_the_session_stores_nothing_and_calls_nobody(admin, graph, client):
    _start(admin)
    forged = signing.dumps("a-nonce-of-another-session", salt=STATE_SALT)
    answer = admin.get(
        "/admin/accounts/connect/meta/callback/", {"code": "the-code", "state": forged}, follow=False
    )
    assert answer.status_code == 302 and answer["Location"] == "/admin/accounts/"
    assert any("could not be verified" in m for m in _messages(answer))
    assert graph.requests == []
    assert DISCOVERY_KEY not in admin.session
    assert not ChannelAccount.objects.exists()


def test_a_state_is_good_once(admin, graph):
    state = _state_of(_start(admin))
    admin.get("/admin/accounts/connect/meta/callback/", {"code": "the-code", "state": state})
    graph.requests.clear()
    again = admin.get("/admin/accounts/connect/meta/callback/", {"code": "the-code", "state": state})
    assert any("could not be verified" in m for m in _messages(again))
    assert graph.requests == []


def test_a_callback_without_a_start_is_refused(admin, graph):
    answer = admin.get("/admin/accounts/connect/meta/callback/", {"code": "the-code", "state": "x"})
    assert answer["Location"] == "/admin/accounts/"
    assert graph.requests == []


def test_the_code_is_exchanged_then_made_long_lived_then_the_accounts_are_listed(admin, graph):
    _signed_in(admin)
    exchange, long_lived, *listings = graph.requests
    first = {k: v[0] for k, v in exchange.query.items()}
    assert exchange.path == "/v21.0/oauth/access_token"
    assert first == {
        "client_id": APP_ID,
        "client_secret": APP_SECRET,
        "redirect_uri": REDIRECT_URI,
        "code": "the-code",
    }
    second = {k: v[0] for k, v in long_lived.query.items()}
    assert (second["grant_type"], second["fb_exchange_token"]) == (
        "fb_exchange_token",
        "EAAshort-lived-user-token",
    )
    paths = [r.path for r in listings]
    assert paths == [
        "/v21.0/me/accounts",
        "/v21.0/me/adaccounts",
        "/v21.0/me/businesses",
        "/v21.0/506914307656634/owned_whatsapp_business_accounts",
        "/v21.0/102290129340398/phone_numbers",
    ]
    assert listings[0].query["fields"] == ["id,name,access_token,instagram_business_account{id,username}"]
    assert all(r.header("Authorization") == "Bearer EAAlong-lived-user-token" for r in listings)


def test_a_code_meta_refuses_is_said_and_nothing_is_stored(admin, graph):
    state = _state_of(_start(admin))
    answer = admin.get("/admin/accounts/connect/meta/callback/", {"code": "stale-code", "state": state})
    assert answer["Location"] == "/admin/accounts/"
    assert any("Error validating verification code" in m for m in _messages(answer))
    assert DISCOVERY_KEY not in admin.session


def test_a_denied_dialog_connects_nothing(admin, graph):
    state = _state_of(_start(admin))
    answer = admin.get(
        "/admin/accounts/connect/meta/callback/",
        {"error": "access_denied", "error_reason": "user_denied", "state": state},
    )
    assert any("did not grant access" in m for m in _messages(answer))
    assert graph.requests == []


def test_the_picker_lists_pages_instagram_ad_accounts_and_whatsapp_numbers_without_any_token(admin):
    _signed_in(admin)
    html = admin.get("/admin/accounts/connect/meta/pick/").content.decode()
    for shown in ("Kopi Nusantara", "@kopinusantara", "Kopi Nusantara Ads", "+62 21-5555-0100", "act_1001"):
        assert shown in html
    for key in ("facebook_page:682498302938465", "instagram:17841405822304914", "whatsapp:106540352242922"):
        assert f'value="{key}"' in html
    session = str(dict(admin.session))
    for token in TOKENS:
        assert token not in html and token not in session


def test_the_picked_accounts_are_created_in_the_chosen_unit_and_brand_with_their_own_tokens(
    admin, workspace_a, workspace_b
):
    unit = BusinessUnitFactory(workspace=workspace_a, name="Indonesia")
    BusinessUnitFactory(workspace=workspace_a, name="Malaysia")
    brand = BrandFactory(workspace=workspace_a, business_unit=unit)
    _signed_in(admin)
    picked = [
        "facebook_page:682498302938465",
        "instagram:17841405822304914",
        "whatsapp:106540352242922",
        "meta_ads:act_1001",
    ]
    answer = admin.post(
        "/admin/accounts/connect/meta/pick/",
        {"accounts": picked, "business_unit": unit.pk, "brand": brand.pk},
    )
    assert answer.status_code == 302 and answer["Location"] == "/admin/accounts/"

    accounts = {a.platform: a for a in ChannelAccount.objects.filter(workspace=workspace_a)}
    assert set(accounts) == {"facebook_page", "instagram", "whatsapp", "meta_ads"}
    assert all((a.business_unit_id, a.brand_id) == (unit.pk, brand.pk) for a in accounts.values())
    page, ig, wa, ads = (accounts[p] for p in ("facebook_page", "instagram", "whatsapp", "meta_ads"))
    assert (page.handle, page.display_name) == ("682498302938465", "Kopi Nusantara")
    assert page.credentials == {"access_token": "EAApage-token-kopi-nusantara"}
    assert (ig.handle, ig.options["page_id"]) == ("17841405822304914", "682498302938465")
    assert ig.credentials == {"access_token": "EAApage-token-kopi-nusantara"}
    assert (wa.handle, wa.options["waba_id"]) == ("106540352242922", "102290129340398")
    assert wa.credentials == {"access_token": "EAAlong-lived-user-token"}
    assert ads.handle == "act_1001" and ads.credentials == {"access_token": "EAAlong-lived-user-token"}
    assert wa.options["token_expires_in"] == documented("oauth_long_lived_token.json")["expires_in"]
    assert wa.token_days_left == 59
    # Encrypted at rest, audited like any connect; the other workspace has nothing.
    assert "EAApage" not in _raw_credentials(page.pk)
    assert AuditEntry.objects.filter(workspace=workspace_a, action="account.connect").count() == 4
    assert not ChannelAccount.objects.filter(workspace=workspace_b).exists()
    assert DISCOVERY_KEY not in admin.session


def _raw_credentials(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials::text FROM channels_channelaccount WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_picking_nothing_says_so_and_creates_nothing(admin, workspace_a):
    _signed_in(admin)
    answer = admin.post("/admin/accounts/connect/meta/pick/", {})
    assert answer.status_code == 200
    assert not ChannelAccount.objects.exists()


def test_an_account_already_connected_is_refused_with_the_reason_and_nothing_else_is_added(
    admin, workspace_a
):
    ChannelAccount.objects.create(workspace=workspace_a, platform="facebook_page", handle="682498302938465")
    _signed_in(admin)
    answer = admin.post(
        "/admin/accounts/connect/meta/pick/",
        {"accounts": ["facebook_page:682498302938465", "whatsapp:106540352242922"]},
    )
    assert answer.status_code == 200
    assert "already connected" in answer.content.decode()
    assert ChannelAccount.objects.filter(workspace=workspace_a).count() == 1


def test_no_token_or_secret_is_logged_along_the_way(admin, caplog):
    with caplog.at_level(logging.DEBUG):
        _signed_in(admin)
        admin.post("/admin/accounts/connect/meta/pick/", {"accounts": ["whatsapp:106540352242922"]})
        state = _state_of(_start(admin))
        admin.get("/admin/accounts/connect/meta/callback/", {"code": "stale-code", "state": state})
    assert ChannelAccount.objects.filter(platform="whatsapp").exists()
    for token in TOKENS:
        assert token not in caplog.text


def test_only_who_manages_channels_may_connect(client, workspace_a, member):
    client.force_login(member(workspace_a, Role.MARKETER).user)
    assert client.get("/admin/accounts/connect/meta/").status_code == 403
    assert client.get("/admin/accounts/connect/meta/pick/").status_code == 403


def test_the_tile_shows_the_token_expiry_and_offers_a_reconnect_within_a_week(admin, workspace_a):
    soon = (timezone.now() + timedelta(days=3, hours=1)).isoformat()
    later = (timezone.now() + timedelta(days=40, hours=1)).isoformat()
    ChannelAccount.objects.create(
        workspace=workspace_a, platform="whatsapp", handle="1", options={"token_expires_at": soon}
    )
    html = admin.get("/admin/accounts/").content.decode()
    assert "Token expires in 3 days" in html and "Re-connect" in html
    ChannelAccount.objects.filter(workspace=workspace_a).update(options={"token_expires_at": later})
    html = admin.get("/admin/accounts/").content.decode()
    assert "Token expires in 40 days" in html and "Re-connect" not in html
    assert '<a role="button" href="/admin/accounts/connect/meta/">Connect Facebook & Instagram</a>' in html


def test_the_tile_speaks_indonesian(admin, workspace_a):
    soon = (timezone.now() + timedelta(days=2, hours=1)).isoformat()
    ChannelAccount.objects.create(
        workspace=workspace_a, platform="whatsapp", handle="1", options={"token_expires_at": soon}
    )
    admin.cookies["django_language"] = "id"
    html = admin.get("/admin/accounts/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Token kedaluwarsa dalam 2 hari" in html and "Hubungkan ulang" in html
    assert "Hubungkan Facebook & Instagram" in html
