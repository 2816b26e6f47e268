"""An API call that names no workspace acts in the person's chosen default, never in one picked
by the order of names."""

from __future__ import annotations

import pytest

from cxm.audit.models import AuditEntry
from cxm.tenancy.models import Role
from tests.factories import BrandFactory, WorkspaceFactory


def _brands(client) -> list[str]:
    return [b["name"] for b in client.get("/api/v1/brands/").json()["results"]]


@pytest.fixture
def zeta_and_acme(db, member):
    """A user in two workspaces, "Acme" sorting first but "Zeta" being the one they joined first."""
    zeta = WorkspaceFactory(name="Zeta")
    acme = WorkspaceFactory(name="Acme")
    membership = member(zeta, Role.ADMIN)
    member(acme, Role.ADMIN, user=membership.user)
    BrandFactory(workspace=zeta, name="Only in Zeta")
    BrandFactory(workspace=acme, name="Only in Acme")
    return membership, zeta, acme


@pytest.mark.django_db
def test_without_header_a_call_acts_in_the_default_workspace(api, zeta_and_acme):
    membership, zeta, acme = zeta_and_acme
    client = api(membership, workspace_header=False)

    assert client.patch("/api/v1/me/", {"default_workspace": zeta.pk}, format="json").status_code == 200
    assert _brands(client) == ["Only in Zeta"]
    assert client.get("/api/v1/me/").json()["current_workspace"] == zeta.pk

    client.patch("/api/v1/me/", {"default_workspace": acme.pk}, format="json")
    assert _brands(client) == ["Only in Acme"]
    # The header still chooses for one call.
    assert [
        b["name"] for b in client.get("/api/v1/brands/", HTTP_X_WORKSPACE=str(zeta.pk)).json()["results"]
    ] == ["Only in Zeta"]


@pytest.mark.django_db
def test_without_header_or_default_several_workspaces_answer_400_asking_for_the_header(api, zeta_and_acme):
    membership, _zeta, _acme = zeta_and_acme
    client = api(membership, workspace_header=False)

    response = client.get("/api/v1/brands/")

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["code"] == "workspace_required"
    assert "X-Workspace" in body["detail"]
    # /me/ still answers, so the caller can learn their workspaces and choose.
    me = client.get("/api/v1/me/").json()
    assert me["current_workspace"] is None and me["default_workspace"] is None
    assert len(me["memberships"]) == 2


@pytest.mark.django_db
def test_a_single_workspace_user_needs_no_header(api, workspace_a, member):
    BrandFactory(workspace=workspace_a, name="Mine")
    client = api(member(workspace_a, Role.ANALYST), workspace_header=False)
    assert _brands(client) == ["Mine"]


@pytest.mark.django_db
def test_the_default_must_be_one_of_ones_own_workspaces(api, workspace_a, workspace_b, member):
    membership = member(workspace_a, Role.ADMIN)
    client = api(membership, workspace_header=False)

    response = client.patch("/api/v1/me/", {"default_workspace": workspace_b.pk}, format="json")
    wrong_type = client.patch("/api/v1/me/", {"default_workspace": "first"}, format="json")

    assert response.status_code == 400 and list(response.json()["fields"]) == ["default_workspace"]
    assert wrong_type.status_code == 400 and list(wrong_type.json()["fields"]) == ["default_workspace"]
    membership.user.refresh_from_db()
    assert membership.user.default_workspace_id is None


@pytest.mark.django_db
def test_choosing_a_default_is_audited_and_can_be_cleared(api, zeta_and_acme):
    membership, zeta, _acme = zeta_and_acme
    client = api(membership, workspace_header=False)
    client.patch("/api/v1/me/", {"default_workspace": zeta.pk}, format="json")

    cleared = client.patch("/api/v1/me/", {"default_workspace": None}, format="json")

    assert cleared.status_code == 200 and cleared.json()["default_workspace"] is None
    entries = AuditEntry.objects.filter(action="user.default_workspace", actor=membership.user).order_by("id")
    assert [e.after for e in entries] == [{"default_workspace": zeta.pk}, {"default_workspace": None}]


@pytest.mark.django_db
def test_removal_from_the_default_workspace_clears_the_default(api, zeta_and_acme, member):
    membership, zeta, _acme = zeta_and_acme
    user = membership.user
    api(membership, workspace_header=False).patch(
        "/api/v1/me/", {"default_workspace": zeta.pk}, format="json"
    )
    admin = member(zeta, Role.ADMIN)

    assert api(admin).delete(f"/api/v1/members/{membership.pk}/").status_code == 204

    user.refresh_from_db()
    assert user.default_workspace_id is None


@pytest.mark.django_db
def test_the_settings_page_sets_the_default_workspace(client, zeta_and_acme):
    membership, zeta, _acme = zeta_and_acme
    client.force_login(membership.user)

    page = client.get("/accounts/settings/").content.decode()
    assert "Zeta" in page and "Acme" in page
    assert client.post("/accounts/settings/", {"default_workspace": zeta.pk}).status_code == 302
    membership.user.refresh_from_db()
    assert membership.user.default_workspace_id == zeta.pk
    # and the pages start there too
    assert client.get("/").context["request"].workspace == zeta

    foreign = WorkspaceFactory(name="Foreign")
    refused = client.post("/accounts/settings/", {"default_workspace": foreign.pk})
    assert refused.status_code == 200
    membership.user.refresh_from_db()
    assert membership.user.default_workspace_id == zeta.pk


@pytest.mark.django_db
def test_pages_without_a_default_start_in_the_workspace_joined_first_not_the_first_by_name(
    client, zeta_and_acme
):
    membership, zeta, _acme = zeta_and_acme
    client.force_login(membership.user)
    assert client.get("/").context["request"].workspace == zeta
