"""People list and revoke their own API tokens, and every token ends when the access behind it
ends: a new password, a removed membership, a deactivated account, or the configured lifetime."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cxm.api.models import ApiToken
from cxm.api.services import api_token_issue
from cxm.audit.models import AuditEntry
from cxm.tenancy.models import Role
from tests.factories import PASSWORD


def _token_client(api, membership):
    client = api()
    key = api_token_issue(user=membership.user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client, key


@pytest.mark.django_db
def test_a_user_lists_their_own_tokens_without_the_secret(api, workspace_a, member):
    mine = member(workspace_a, Role.AGENT)
    client, key = _token_client(api, mine)
    api_token_issue(user=member(workspace_a, Role.AGENT).user)  # someone else's

    client.get("/api/v1/me/")
    listed = client.get("/api/v1/auth/tokens/").json()

    assert len(listed) == 1
    token = listed[0]
    assert set(token) == {"id", "prefix", "created_at", "last_used_at", "expires_at"}
    assert token["last_used_at"] is not None and token["expires_at"] is None
    assert key not in str(listed) and token["prefix"] == key[:8]


@pytest.mark.django_db
def test_a_revoked_token_answers_401_and_others_tokens_answer_404(api, workspace_a, member):
    mine = member(workspace_a, Role.AGENT)
    client, _key = _token_client(api, mine)
    spare, _ = _token_client(api, mine)
    other = member(workspace_a, Role.ADMIN)
    api_token_issue(user=other.user)
    others_token = ApiToken.objects.get(user=other.user)
    spare_id = ApiToken.objects.filter(user=mine.user).order_by("-id").first().pk

    assert client.delete(f"/api/v1/auth/tokens/{others_token.pk}/").status_code == 404
    assert ApiToken.objects.filter(pk=others_token.pk).exists()
    assert client.delete(f"/api/v1/auth/tokens/{spare_id}/").status_code == 204

    refused = spare.get("/api/v1/me/")
    assert refused.status_code == 401 and refused.json()["code"] == "authentication_failed"
    assert client.get("/api/v1/me/").status_code == 200
    assert AuditEntry.objects.filter(action="api_token.revoke", actor=mine.user).count() == 1


@pytest.mark.django_db
def test_the_tokens_page_lists_and_revokes(client, api, workspace_a, member):
    mine = member(workspace_a, Role.AGENT)
    token_client, key = _token_client(api, mine)
    client.force_login(mine.user)

    page = client.get("/accounts/tokens/").content.decode()
    assert key[:8] in page and key not in page
    token = ApiToken.objects.get(user=mine.user)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302

    assert token_client.get("/api/v1/me/").status_code == 401
    assert "You have no API tokens." in client.get("/accounts/tokens/").content.decode()


@pytest.mark.django_db
def test_changing_the_password_in_the_form_revokes_every_token(client, api, workspace_a, member):
    mine = member(workspace_a, Role.AGENT)
    first, _ = _token_client(api, mine)
    second, _ = _token_client(api, mine)
    client.force_login(mine.user)

    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "another long passphrase",
            "new_password2": "another long passphrase",
        },
    )

    assert response.status_code == 302
    assert first.get("/api/v1/me/").status_code == 401
    assert second.get("/api/v1/me/").status_code == 401
    entry = AuditEntry.objects.get(action="api_token.revoke_all")
    assert entry.after == {"reason": "password_changed", "tokens": 2}


@pytest.mark.django_db
def test_a_password_set_by_anyone_else_also_revokes_them(api, workspace_a, member):
    """The admin site, `manage.py changepassword` and an invitation all end in set_password."""
    mine = member(workspace_a, Role.AGENT)
    token_client, _ = _token_client(api, mine)

    mine.user.set_password("set by the platform owner")
    mine.user.save()

    assert token_client.get("/api/v1/me/").status_code == 401


@pytest.mark.django_db
def test_signing_in_keeps_tokens(api, workspace_a, member, password):
    mine = member(workspace_a, Role.AGENT)
    token_client, _ = _token_client(api, mine)
    issued = api().post("/api/v1/auth/token/", {"username": mine.user.username, "password": password})
    assert issued.status_code == 200
    mine.user.first_name = "Renamed"
    mine.user.save()
    assert token_client.get("/api/v1/me/").status_code == 200


@pytest.mark.django_db
def test_removing_a_membership_revokes_every_token_of_that_user(api, workspace_a, workspace_b, member):
    removed = member(workspace_a, Role.AGENT)
    member(workspace_b, Role.AGENT, user=removed.user)
    token_client, _ = _token_client(api, removed)
    admin = api(member(workspace_a, Role.ADMIN))

    assert admin.delete(f"/api/v1/members/{removed.pk}/").status_code == 204

    response = token_client.get("/api/v1/me/", HTTP_X_WORKSPACE=str(workspace_b.pk))
    assert response.status_code == 401
    entry = AuditEntry.objects.get(action="api_token.revoke_all")
    assert entry.workspace == workspace_a and entry.after["reason"] == "membership_removed"


@pytest.mark.django_db
def test_removing_a_member_in_the_page_revokes_their_tokens(client, api, workspace_a, member):
    removed = member(workspace_a, Role.AGENT)
    token_client, _ = _token_client(api, removed)
    client.force_login(member(workspace_a, Role.ADMIN).user)

    client.post(f"/admin/members/{removed.pk}/remove/")

    assert token_client.get("/api/v1/me/").status_code == 401


@pytest.mark.django_db
def test_deactivating_a_user_revokes_their_tokens_for_good(api, workspace_a, member):
    mine = member(workspace_a, Role.AGENT)
    token_client, _ = _token_client(api, mine)

    mine.user.is_active = False
    mine.user.save()
    assert not ApiToken.objects.filter(user=mine.user).exists()
    mine.user.is_active = True
    mine.user.save()

    assert token_client.get("/api/v1/me/").status_code == 401


@pytest.mark.django_db
def test_tokens_older_than_the_configured_lifetime_answer_401(api, workspace_a, member, settings):
    settings.CXM_API_TOKEN_TTL_DAYS = 30
    mine = member(workspace_a, Role.AGENT)
    old_client, _ = _token_client(api, mine)
    fresh_client, _ = _token_client(api, mine)
    old = ApiToken.objects.filter(user=mine.user).order_by("id").first()
    ApiToken.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30, seconds=1))

    expired = old_client.get("/api/v1/me/")

    assert expired.status_code == 401
    assert expired.json()["detail"] == "This token has expired; request a new one."
    assert fresh_client.get("/api/v1/me/").status_code == 200
    listed = fresh_client.get("/api/v1/auth/tokens/").json()
    assert all(t["expires_at"] for t in listed)


@pytest.mark.django_db
def test_without_a_lifetime_old_tokens_keep_working(api, workspace_a, member, settings):
    settings.CXM_API_TOKEN_TTL_DAYS = 0
    mine = member(workspace_a, Role.AGENT)
    client, _ = _token_client(api, mine)
    ApiToken.objects.filter(user=mine.user).update(created_at=timezone.now() - timedelta(days=3650))
    assert client.get("/api/v1/me/").status_code == 200


@pytest.mark.django_db
def test_the_tokens_page_creates_a_token_shown_once(client, workspace_a, member):
    mine = member(workspace_a, Role.AGENT)
    client.force_login(mine.user)

    created = client.post("/accounts/tokens/")

    key = created.context["new_key"]
    assert key in created.content.decode()
    assert key not in client.get("/accounts/tokens/").content.decode()
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert token_client.get("/api/v1/me/").json()["username"] == mine.user.username
    assert AuditEntry.objects.filter(action="api_token.issue", actor=mine.user).count() == 1
