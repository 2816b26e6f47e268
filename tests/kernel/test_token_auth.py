import pytest

from cxm.api.models import ApiToken
from cxm.audit.models import AuditEntry


@pytest.mark.django_db
def test_token_is_issued_for_valid_credentials_and_authenticates(api, workspace_a, member, password):
    membership = member(workspace_a)
    client = api()
    response = client.post(
        "/api/v1/auth/token/", {"username": membership.user.username, "password": password}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]

    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == membership.user.username
    assert me.json()["memberships"][0]["workspace"]["id"] == workspace_a.pk
    assert me.json()["memberships"][0]["role"] == "admin"


@pytest.mark.django_db
def test_token_is_stored_only_as_a_hash(api, workspace_a, member, password):
    membership = member(workspace_a)
    token = (
        api()
        .post(
            "/api/v1/auth/token/", {"username": membership.user.username, "password": password}, format="json"
        )
        .json()["token"]
    )
    stored = ApiToken.objects.get(user=membership.user)
    assert token not in (stored.key_hash, stored.prefix)
    assert stored.key_hash != token


@pytest.mark.django_db
def test_wrong_password_gets_a_clear_error_in_the_api_error_format(api, workspace_a, member):
    membership = member(workspace_a)
    response = api().post(
        "/api/v1/auth/token/", {"username": membership.user.username, "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"]["non_field_errors"] == ["Unable to log in with those credentials."]


@pytest.mark.django_db
def test_missing_fields_are_named(api):
    response = api().post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"username", "password"}


@pytest.mark.django_db
def test_bad_or_missing_token_is_refused(api):
    client = api()
    assert client.get("/api/v1/me/").status_code in (401, 403)
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid or revoked token."


@pytest.mark.django_db
def test_issuing_a_token_is_audited(api, workspace_a, member, password):
    membership = member(workspace_a)
    api().post(
        "/api/v1/auth/token/", {"username": membership.user.username, "password": password}, format="json"
    )
    assert AuditEntry.objects.filter(action="api_token.issue", actor=membership.user).count() == 1


@pytest.mark.django_db
def test_me_lists_every_workspace_and_role(api, workspace_a, workspace_b, member):
    membership = member(workspace_a, "analyst")
    member(workspace_b, "marketer", user=membership.user)
    body = api(membership).get("/api/v1/me/").json()
    roles = {m["workspace"]["name"]: m["role"] for m in body["memberships"]}
    assert roles == {"Acme": "analyst", "Globex": "marketer"}
    assert body["current_workspace"] == workspace_a.pk
    analyst_permissions = next(m for m in body["memberships"] if m["role"] == "analyst")["permissions"]
    assert "listening.view" in analyst_permissions
    assert "workspace.manage" not in analyst_permissions
