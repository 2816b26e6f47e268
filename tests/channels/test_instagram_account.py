"""An Instagram professional account is connected by its Instagram user id and a token, over the
API and in the Connect form, and its check asks Instagram who it is."""

from __future__ import annotations

import re

import pytest

from cxm.tenancy.models import Role
from tests.channels.stubs.instagram_server import TOKEN, USER_ID, USERNAME, InstagramStub


@pytest.fixture
def graph(settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stand-in listens on 127.0.0.1
    with InstagramStub() as stub:
        yield stub


@pytest.mark.django_db
def test_an_instagram_account_is_connected_by_its_user_id_and_checked(api, workspace_a, member, graph):
    client = api(member(workspace_a, Role.ADMIN))

    response = client.post(
        "/api/v1/accounts/",
        {
            "platform": "instagram",
            "handle": USER_ID,
            "base_url": graph.base_url,
            "credentials": {"access_token": TOKEN},
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["platform"] == "instagram" and body["handle"] == USER_ID
    assert TOKEN not in response.content.decode()
    check = client.post(f"/api/v1/accounts/{body['id']}/check/").json()
    assert check["ok"] is True and USERNAME in check["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"handle": USER_ID}, "credentials"),
        ({"handle": "@brand.id", "credentials": {"access_token": TOKEN}}, "handle"),
    ],
)
def test_an_instagram_account_needs_a_token_and_the_user_id(api, workspace_a, member, payload, field):
    client = api(member(workspace_a, Role.ADMIN))
    response = client.post("/api/v1/accounts/", {"platform": "instagram", **payload}, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]


@pytest.mark.django_db
def test_the_connect_form_offers_instagram(client, workspace_a, member):
    client.force_login(member(workspace_a, Role.ADMIN).user)
    html = client.get("/admin/accounts/new/").content.decode()
    select = re.search(r'<select name="platform"[^>]*>(.*?)</select>', html, re.S)
    assert select and '<option value="instagram">Instagram</option>' in select.group(1)
