"""The platform owner (a superuser) creates workspaces from the API and the UI; nobody else can."""

from __future__ import annotations

import pytest
from django.core import mail

from cxm.api.services import api_token_issue
from cxm.audit.models import AuditEntry
from cxm.tenancy.models import Invitation, Membership, Role, Workspace
from tests.factories import UserFactory


@pytest.fixture
def owner(db, workspace_a, member):
    membership = member(workspace_a, Role.ADMIN)
    membership.user.is_superuser = True
    membership.user.save()
    return membership


@pytest.mark.django_db
def test_the_platform_owner_creates_a_workspace_and_invites_its_first_admin(api, owner, settings):
    settings.CXM_BASE_URL = "http://testserver"
    response = api(owner).post(
        "/api/v1/workspaces/",
        {"name": "Initech", "admin_email": "lead@initech.example", "admin_name": "Bill Lumbergh"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Initech" and body["slug"] == "initech"
    workspace = Workspace.objects.get(pk=body["id"])
    invitation = Invitation.objects.get(workspace=workspace)
    assert (invitation.email, invitation.role) == ("lead@initech.example", Role.ADMIN)
    assert not Membership.objects.filter(workspace=workspace).exists()
    assert mail.outbox[0].to == ["lead@initech.example"]
    assert AuditEntry.objects.filter(
        workspace=workspace, action="workspace.create", actor=owner.user
    ).exists()


@pytest.mark.django_db
def test_without_an_address_the_owner_becomes_the_admin(api, owner):
    response = api(owner).post("/api/v1/workspaces/", {"name": "Initech"}, format="json")
    assert response.status_code == 201
    assert Membership.objects.get(workspace_id=response.json()["id"]).user == owner.user


@pytest.mark.django_db
def test_an_admin_who_is_not_the_platform_owner_gets_403_in_the_error_shape(api, workspace_a, member):
    response = api(member(workspace_a, Role.ADMIN)).post(
        "/api/v1/workspaces/", {"name": "Mine"}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {
        "status": 403,
        "code": "permission_denied",
        "detail": "Only a platform owner (superuser) can create workspaces.",
    }
    assert not Workspace.objects.filter(name="Mine").exists()


@pytest.mark.django_db
def test_a_superuser_in_no_workspace_can_still_create_one(api):
    owner = UserFactory(is_superuser=True)
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=owner)}")
    assert client.post("/api/v1/workspaces/", {"name": "First"}, format="json").status_code == 201


@pytest.mark.django_db
def test_a_missing_name_is_named(api, owner):
    response = api(owner).post("/api/v1/workspaces/", {}, format="json")
    assert response.status_code == 400 and "name" in response.json()["fields"]


@pytest.mark.django_db
def test_the_workspaces_page_is_the_platform_owners(client, owner, workspace_a, member):
    client.force_login(owner.user)
    assert client.post("/platform/workspaces/", {"name": "Initech", "admin_email": ""}).status_code == 302
    page = client.get("/platform/workspaces/").content.decode()
    assert "Initech" in page and "Acme" in page

    client.force_login(member(workspace_a, Role.ADMIN).user)
    assert client.get("/platform/workspaces/").status_code == 403
    assert client.post("/platform/workspaces/", {"name": "Sneaky"}).status_code == 403
    assert not Workspace.objects.filter(name="Sneaky").exists()
