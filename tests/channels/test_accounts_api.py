"""Connecting, listing, filtering, checking, pausing and importing accounts over the API."""

import pytest
from django.db import connection

from cxm.audit.models import AuditEntry
from cxm.channels.models import ChannelAccount
from cxm.tenancy.models import Role
from tests.factories import BrandFactory, BusinessUnitFactory

MASTODON = {
    "platform": "mastodon",
    "handle": "@brand@example.social",
    "base_url": "https://example.social",
    "credentials": {"access_token": "tok-very-secret-123"},
}


@pytest.fixture(autouse=True)
def _example_names_are_accepted(settings):
    """`.example` and `example.social` names never resolve here, and a server address that does
    not resolve is refused when saved unless private targets are allowed."""
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True


@pytest.mark.django_db
def test_connect_an_account_with_the_documented_payload(api, workspace_a, member):
    brand = BrandFactory(workspace=workspace_a)
    client = api(member(workspace_a, Role.ADMIN))
    response = client.post("/api/v1/accounts/", MASTODON, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert isinstance(body["id"], int)
    # one business unit and one brand in the workspace: they are taken as the defaults
    assert body["brand"] == brand.pk
    assert body["business_unit"] == brand.business_unit_id
    assert "credentials" not in body
    assert body["has_credentials"] is True
    assert "tok-very-secret-123" not in response.content.decode()
    assert "tok-very-secret-123" not in client.get(f"/api/v1/accounts/{body['id']}/").content.decode()


@pytest.mark.django_db
def test_credentials_are_encrypted_in_the_database(api, workspace_a, member):
    client = api(member(workspace_a, Role.ADMIN))
    account_id = client.post("/api/v1/accounts/", MASTODON, format="json").json()["id"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM channels_channelaccount WHERE id = %s", [account_id])
        (raw,) = cursor.fetchone()
    assert "tok-very-secret-123" not in raw
    assert ChannelAccount.objects.get(pk=account_id).credentials == {"access_token": "tok-very-secret-123"}


@pytest.mark.django_db
def test_connecting_is_audited_without_the_secret(api, workspace_a, member):
    client = api(member(workspace_a, Role.ADMIN))
    client.post("/api/v1/accounts/", MASTODON, format="json")
    entry = AuditEntry.objects.get(action="account.connect")
    assert "tok-very-secret-123" not in str(entry.after)
    assert entry.after["handle"] == "@brand@example.social"


@pytest.mark.django_db
def test_missing_credentials_and_bad_fields_get_field_errors(api, workspace_a, member):
    client = api(member(workspace_a, Role.ADMIN))
    response = client.post("/api/v1/accounts/", {"platform": "mastodon", "handle": "@x@y.z"}, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert "base_url" in fields and "credentials" in fields
    response = client.post("/api/v1/accounts/", {"platform": "myspace", "handle": "x"}, format="json")
    assert "platform" in response.json()["fields"]


@pytest.mark.django_db
def test_only_admins_connect_accounts(api, workspace_a, member):
    for role in (Role.ANALYST, Role.AGENT, Role.MARKETER, Role.APPROVER, Role.LEADER):
        assert (
            api(member(workspace_a, role)).post("/api/v1/accounts/", MASTODON, format="json").status_code
            == 403
        )
    assert not ChannelAccount.objects.exists()


@pytest.mark.django_db
def test_list_filters_by_platform_business_unit_country_and_status(api, workspace_a, member):
    unit_a = BusinessUnitFactory(workspace=workspace_a, name="Retail")
    unit_b = BusinessUnitFactory(workspace=workspace_a, name="Food")
    client = api(member(workspace_a, Role.ADMIN))
    made = {}
    for handle, platform, unit, country in [
        ("@one@m.example", "mastodon", unit_a, "ID"),
        ("two.bsky.social", "bluesky", unit_b, "GB"),
        ("news", "rss", unit_a, "ID"),
    ]:
        payload = {"platform": platform, "handle": handle, "business_unit": unit.pk, "country": country}
        if platform == "mastodon":
            payload |= {"base_url": "https://m.example", "credentials": {"access_token": "t"}}
        if platform == "bluesky":
            payload |= {"base_url": "https://bsky.example", "credentials": {"app_password": "p"}}
        if platform == "rss":
            payload |= {"options": {"feed_url": "https://news.example/feed.xml"}}
        response = client.post("/api/v1/accounts/", payload, format="json")
        assert response.status_code == 201, response.json()
        made[handle] = response.json()["id"]
    client.post(f"/api/v1/accounts/{made['news']}/pause/")

    def handles(**params):
        return sorted(a["handle"] for a in client.get("/api/v1/accounts/", params).json()["results"])

    assert handles(platform="bluesky") == ["two.bsky.social"]
    assert handles(business_unit=unit_a.pk) == ["@one@m.example", "news"]
    assert handles(country="id") == ["@one@m.example", "news"]
    assert handles(status="paused") == ["news"]


@pytest.mark.django_db
def test_pause_and_resume_are_audited_and_change_the_status(api, workspace_a, member):
    client = api(member(workspace_a, Role.ADMIN))
    account_id = client.post(
        "/api/v1/accounts/", {"platform": "demo", "handle": "demo-stream"}, format="json"
    ).json()["id"]
    assert client.post(f"/api/v1/accounts/{account_id}/pause/").json()["status"] == "paused"
    assert client.post(f"/api/v1/accounts/{account_id}/resume/").json()["status"] == "connected"
    actions = list(AuditEntry.objects.filter(object_id=str(account_id)).values_list("action", flat=True))
    assert "account.pause" in actions and "account.resume" in actions


@pytest.mark.django_db
def test_check_connection_answers_what_the_platform_said(api, workspace_a, member):
    client = api(member(workspace_a, Role.ADMIN))
    account_id = client.post(
        "/api/v1/accounts/", {"platform": "demo", "handle": "demo-stream"}, format="json"
    ).json()["id"]
    body = client.post(f"/api/v1/accounts/{account_id}/check/").json()
    assert body == {"ok": True, "message": "Connected as demo network", "status": "connected"}


@pytest.mark.django_db
def test_csv_import_keeps_good_rows_and_reports_bad_ones(api, workspace_a, member):
    BusinessUnitFactory(workspace=workspace_a, name="Retail")
    client = api(member(workspace_a, Role.ADMIN))
    csv_text = (
        "platform,handle,base_url,business_unit,country,credential:access_token,option:search_terms\n"
        "mastodon,@a@m.example,https://m.example,Retail,ID,tok1,kopi|teh segar\n"
        "mastodon,@b@m.example,https://m.example,Nowhere,ID,tok2,\n"
        "fax,+6221555,,Retail,ID,,\n"
        "mastodon,@c@m.example,https://m.example,Retail,GB,,\n"
        "demo,demo-1,,Retail,ID,,\n"
    )
    response = client.post("/api/v1/accounts/import/", {"csv": csv_text}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert len(body["created"]) == 2
    assert {(e["row"], e["field"]) for e in body["errors"]} == {
        (3, "business_unit"),
        (4, "platform"),
        (5, "credentials"),
    }
    imported = ChannelAccount.objects.get(handle="@a@m.example")
    assert imported.options == {"search_terms": ["kopi", "teh segar"]}
    assert imported.credentials == {"access_token": "tok1"}


@pytest.mark.django_db
def test_csv_import_without_a_header_is_refused_clearly(api, workspace_a, member):
    client = api(member(workspace_a, Role.ADMIN))
    response = client.post("/api/v1/accounts/import/", {"csv": "just,some,values\n1,2,3\n"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "header"


@pytest.mark.django_db
def test_a_facebook_page_is_connected_by_its_page_id_and_page_token(api, workspace_a, member):
    client = api(member(workspace_a, Role.ADMIN))
    page = {"platform": "facebook_page", "handle": "5550001", "credentials": {"access_token": "page-tok"}}
    response = client.post("/api/v1/accounts/", page, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["handle"] == "5550001" and response.json()["platform"] == "facebook_page"

    refused = client.post(
        "/api/v1/accounts/", {"platform": "facebook_page", "handle": "Kopi Kita"}, format="json"
    ).json()["fields"]
    assert "handle" in refused and "credentials" in refused
