"""A YouTube channel is connected by its channel id and the Google project's OAuth client with the
owner's refresh token, pasted over the API or in the Connect form; its check asks YouTube which
channel the credentials belong to."""

from __future__ import annotations

import pytest

from cxm.channels.models import ChannelAccount
from cxm.tenancy.models import Role
from tests.channels.stubs.youtube_server import CHANNEL_ID, CLIENT_SECRET, REFRESH_TOKEN

pytestmark = pytest.mark.django_db


def credentials(stub) -> dict[str, str]:
    return {"client_id": stub.client_id, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN}


def test_a_channel_is_connected_over_the_api_and_checked(api, workspace_a, member, youtube):
    client = api(member(workspace_a, Role.ADMIN))

    response = client.post(
        "/api/v1/accounts/",
        {"platform": "youtube", "handle": CHANNEL_ID, "credentials": credentials(youtube)},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["platform"] == "youtube" and body["has_credentials"] is True
    assert REFRESH_TOKEN not in response.content.decode() and CLIENT_SECRET not in response.content.decode()
    check = client.post(f"/api/v1/accounts/{body['id']}/check/").json()
    assert check["ok"] is True and check["message"] == f"Connected as Kopi Nusantara ({CHANNEL_ID})"


@pytest.mark.parametrize(
    ("payload", "field", "says"),
    [
        (
            {"handle": CHANNEL_ID, "credentials": {"client_id": "x", "client_secret": "y"}},
            "credentials",
            "refresh_token",
        ),
        (
            {
                "handle": "@kopinusantara",
                "credentials": {"client_id": "x", "client_secret": "y", "refresh_token": "z"},
            },
            "handle",
            "channel id",
        ),
    ],
)
def test_a_channel_needs_its_id_and_all_three_credentials(api, workspace_a, member, payload, field, says):
    client = api(member(workspace_a, Role.ADMIN))
    response = client.post("/api/v1/accounts/", {"platform": "youtube", **payload}, format="json")
    assert response.status_code == 400
    assert says in " ".join(response.json()["fields"][field])


def test_a_refresh_token_google_refused_is_said_on_check(api, workspace_a, member, youtube):
    youtube.revoked = True
    client = api(member(workspace_a, Role.ADMIN))
    account = client.post(
        "/api/v1/accounts/",
        {"platform": "youtube", "handle": CHANNEL_ID, "credentials": credentials(youtube)},
        format="json",
    ).json()

    check = client.post(f"/api/v1/accounts/{account['id']}/check/").json()

    assert check["ok"] is False and "invalid_grant" in check["message"]
    assert client.get(f"/api/v1/accounts/{account['id']}/").json()["status"] == "needs_reauth"


def test_the_connect_form_takes_the_three_credentials(client, workspace_a, member, youtube):
    client.force_login(member(workspace_a, Role.ADMIN).user)
    form = client.get("/admin/accounts/new/").content.decode()
    assert '<option value="youtube">YouTube</option>' in form

    response = client.post(
        "/admin/accounts/new/",
        {
            "platform": "youtube",
            "handle": CHANNEL_ID,
            "display_name": "Kopi Nusantara",
            **credentials(youtube),
        },
    )

    assert response.status_code == 302
    account = ChannelAccount.objects.get(workspace=workspace_a, platform="youtube")
    assert account.credentials == credentials(youtube)
