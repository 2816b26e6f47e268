"""Connecting a Meta ad account from Admin → Accounts and from the API: the token typed in is the
one the connector then reads the account with."""

from __future__ import annotations

import json

import pytest

from ads.services import ad_account_sync
from cxm.channels.models import ChannelAccount
from tests.ads.stubs.graph_server import TOKEN

pytestmark = pytest.mark.django_db


def test_a_meta_ad_account_connected_from_the_form_is_read_with_its_token(admin_client, graph, workspace_a):
    response = admin_client.post(
        "/admin/accounts/new/",
        {
            "platform": "meta_ads",
            "handle": graph.account_path,
            "base_url": graph.base_url,
            "secret": TOKEN,
            "app_secret": "meta-app-secret",
            "webhook_verify_token": "verify-me",
            "options_json": json.dumps({"page_id": graph.page_id}),
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    account = ChannelAccount.objects.get(workspace=workspace_a, platform="meta_ads")
    assert account.credentials == {
        "access_token": TOKEN,
        "app_secret": "meta-app-secret",
        "webhook_verify_token": "verify-me",
    }
    assert ad_account_sync(account_id=account.pk, workspace_id=workspace_a.pk).outcome == "ok"


def test_check_connection_of_a_form_connected_meta_account_succeeds(admin_client, graph, workspace_a):
    admin_client.post(
        "/admin/accounts/new/",
        {
            "platform": "meta_ads",
            "handle": graph.account_path,
            "base_url": graph.base_url,
            "secret": TOKEN,
            "options_json": json.dumps({"page_id": graph.page_id}),
        },
    )
    account = ChannelAccount.objects.get(workspace=workspace_a, platform="meta_ads")

    page = admin_client.post(f"/admin/accounts/{account.pk}/check/", follow=True)

    assert "Connected as" in page.content.decode()
    account.refresh_from_db()
    assert (account.status, account.error_text) == ("connected", "")


def test_a_meta_ad_account_without_a_token_is_refused_on_the_form(admin_client, graph, workspace_a):
    response = admin_client.post(
        "/admin/accounts/new/",
        {"platform": "meta_ads", "handle": graph.account_path, "base_url": graph.base_url},
    )

    assert response.status_code == 200
    assert "access_token" in response.content.decode()
    assert not ChannelAccount.objects.filter(workspace=workspace_a, platform="meta_ads").exists()


def test_a_meta_ad_account_connected_through_the_api_is_read_with_its_token(
    api, admin, graph, workspace_a, settings
):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True
    response = api(admin).post(
        "/api/v1/accounts/",
        {
            "platform": "meta_ads",
            "handle": graph.account_path,
            "base_url": graph.base_url,
            "credentials": {"access_token": TOKEN},
            "options": {"page_id": graph.page_id},
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    account_id = response.json()["id"]
    assert ad_account_sync(account_id=account_id, workspace_id=workspace_a.pk).outcome == "ok"
