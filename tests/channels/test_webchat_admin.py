"""Admin → Accounts → Website chat: an admin makes a brand's chat, lists the sites that may show
it and copies the snippet; nobody else can, and no other path makes one. The demo install has
one, on a demo site served here."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from cxm.audit.models import AuditEntry
from cxm.channels.models import ChannelAccount, Platform
from cxm.channels.webchat.models import WebchatWidget
from cxm.channels.webchat.services import demo_widget_seed
from cxm.tenancy.models import Role
from tests.channels.webchat import SHOP, make_widget
from tests.factories import BrandFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


def test_an_admin_makes_a_brands_chat_and_copies_its_snippet(admin_client, workspace_a, settings):
    settings.CXM_BASE_URL = "https://cxm.example.com"
    brand = BrandFactory(workspace=workspace_a, name="Kopi Nusantara")

    created = admin_client.post(
        reverse("channels:webchat"),
        {"brand": brand.pk, "allowed_origins": "https://Shop.Kopi.example/about\nhttps://kopi.example:8443"},
        follow=True,
    )

    widget = WebchatWidget.objects.get(workspace=workspace_a)
    assert widget.allowed_origins == [SHOP, "https://kopi.example:8443"]
    assert widget.account.platform == Platform.WEBCHAT and widget.account.brand == brand
    page = html.unescape(created.content.decode())
    assert (
        f'<script src="https://cxm.example.com/static/webchat/widget.js" data-cxm-chat="{widget.key}" async></script>'
        in page
    )
    assert AuditEntry.objects.filter(workspace=workspace_a, action="account.connect").exists()
    listed = admin_client.get(reverse("channels:webchat")).content.decode()
    assert "Kopi Nusantara" in listed and SHOP in listed


def test_an_admin_changes_the_sites_and_a_wrong_one_is_named(admin_client, workspace_a):
    widget = make_widget(workspace_a)
    url = reverse("channels:webchat-detail", args=[widget.pk])

    refused = admin_client.post(url, {"allowed_origins": "https://ok.example\nftp://files.example"})
    assert "ftp://files.example is not a web address" in html.unescape(refused.content.decode())
    admin_client.post(url, {"allowed_origins": "https://ok.example, https://ok.example/page"})

    widget.refresh_from_db()
    assert widget.allowed_origins == ["https://ok.example"]


def test_only_admins_of_the_workspace_reach_its_chats(client, workspace_a, workspace_b, member):
    widget = make_widget(workspace_a)
    client.force_login(member(workspace_a, Role.AGENT).user)
    assert client.get(reverse("channels:webchat")).status_code == 403
    client.force_login(member(workspace_b, Role.ADMIN).user)
    assert client.get(reverse("channels:webchat-detail", args=[widget.pk])).status_code == 404


def test_a_competitors_brand_gets_no_chat(admin_client, workspace_a):
    rival = BrandFactory(workspace=workspace_a, name="Rival", is_competitor=True)

    answer = admin_client.post(reverse("channels:webchat"), {"brand": rival.pk, "allowed_origins": ""})

    assert answer.status_code == 200 and not WebchatWidget.objects.exists()


def test_no_other_path_makes_a_website_chat_account(admin_client, admin_api, workspace_a):
    form = admin_client.get(reverse("channels:account-add")).content.decode()
    assert 'value="webchat"' not in form
    answer = admin_api.post(
        "/api/v1/accounts/", {"platform": "webchat", "handle": "wc_guessed"}, format="json"
    )
    assert answer.status_code == 400 and "platform" in answer.json()["fields"]
    assert not ChannelAccount.objects.filter(platform="webchat").exists()


def test_the_demo_install_has_a_chat_on_a_demo_site_served_here(client, settings):
    settings.CXM_DEMO = True
    demo = WorkspaceFactory(name="Demo", slug="demo")
    BrandFactory(workspace=demo, name="Kopi Nusantara")
    widget = demo_widget_seed(workspace=demo)
    assert demo_widget_seed(workspace=demo) is None  # seeded once

    page = client.get("/demo/site/").content.decode()

    assert f'data-cxm-chat="{widget.key}"' in page and "/static/webchat/widget.js" in page
    settings.CXM_DEMO = False
    assert client.get("/demo/site/").status_code == 404
