"""Each role can do what the permission table says, in the API and in the web pages."""

import pytest

from cxm.tenancy.models import Brand, Role

ROLES = list(Role)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_admins_create_brands_over_the_api(api, workspace_a, member, role):
    response = api(member(workspace_a, role)).post("/api/v1/brands/", {"name": "Fresh"}, format="json")
    if role == Role.ADMIN:
        assert response.status_code == 201
        assert Brand.objects.filter(workspace=workspace_a, name="Fresh").exists()
    else:
        assert response.status_code == 403
        assert response.json()["detail"] == "Your role does not allow this."
        assert not Brand.objects.filter(name="Fresh").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_brands(api, workspace_a, member, role):
    assert api(member(workspace_a, role)).get("/api/v1/brands/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_admins_read_the_audit_log(api, workspace_a, member, role):
    expected = 200 if role == Role.ADMIN else 403
    assert api(member(workspace_a, role)).get("/api/v1/audit/").status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_admins_open_the_admin_pages(client, workspace_a, member, role):
    client.force_login(member(workspace_a, role).user)
    for url in ["/admin/", "/admin/structure/", "/admin/audit/"]:
        assert client.get(url).status_code == (200 if role == Role.ADMIN else 403), url


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "visible"),
    [
        (Role.ADMIN, {"Listening", "Publishing", "Care", "Ads", "Transformation", "Admin"}),
        (Role.ANALYST, {"Listening", "Publishing", "Care", "Ads", "Transformation"}),
        (Role.AGENT, {"Listening", "Publishing", "Care", "Transformation"}),
        (Role.MARKETER, {"Listening", "Publishing", "Ads", "Transformation"}),
        (Role.APPROVER, {"Listening", "Publishing", "Ads", "Transformation"}),
        (Role.LEADER, {"Listening", "Publishing", "Care", "Ads", "Transformation"}),
    ],
)
def test_navigation_shows_what_the_role_may_open(client, workspace_a, member, role, visible):
    client.force_login(member(workspace_a, role).user)
    html = client.get("/").content.decode()
    for label in {"Listening", "Publishing", "Care", "Ads", "Transformation", "Admin"}:
        assert (f'data-nav="{label.lower()}"' in html) == (label in visible), label


@pytest.mark.django_db
def test_agent_cannot_open_ads_page(client, workspace_a, member):
    client.force_login(member(workspace_a, Role.AGENT).user)
    assert client.get("/ads/").status_code == 403
    assert client.get("/care/").status_code == 200


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in ["/", "/listening/", "/admin/", "/admin/audit/", "/transformation/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_user_without_a_workspace_is_told_so(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get("/")
    assert response.status_code == 403
    assert "not in a workspace yet" in response.content.decode()


@pytest.mark.django_db
def test_the_last_admin_cannot_be_demoted(api, workspace_a, member):
    admin = member(workspace_a, Role.ADMIN)
    response = api(admin).patch(f"/api/v1/members/{admin.pk}/", {"role": "analyst"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["role"] == ["A workspace keeps at least one admin."]
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN
