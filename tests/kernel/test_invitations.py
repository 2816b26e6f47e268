"""Admins invite people by e-mail; nobody joins a workspace without accepting the link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from cxm.audit.models import AuditEntry
from cxm.tenancy.models import Invitation, Membership, Role, User
from tests.factories import PASSWORD, UserFactory

LINK = re.compile(r"https?://\S+/invitations/(?P<key>[^/\s]+)/")


def _link_path(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return f"/invitations/{match['key']}/"


def _invite(client, email, role="agent", name=""):
    return client.post("/api/v1/members/", {"email": email, "name": name, "role": role}, format="json")


@pytest.fixture(autouse=True)
def _links_on_the_test_site(settings):
    settings.CXM_BASE_URL = "http://testserver"


@pytest.mark.django_db
def test_an_admin_invites_by_email_and_gets_the_pending_membership(api, workspace_a, member):
    admin = member(workspace_a, Role.ADMIN)
    response = _invite(api(admin), "sari@example.com", name="Sari Dewi")

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("email", "name", "role", "status", "invited_by")} == {
        "email": "sari@example.com",
        "name": "Sari Dewi",
        "role": "agent",
        "status": "pending",
        "invited_by": admin.user.username,
    }
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["sari@example.com"]
    assert "Acme" in mail.outbox[0].subject
    listed = api(admin).get("/api/v1/invitations/").json()["results"]
    assert [i["email"] for i in listed] == ["sari@example.com"]


@pytest.mark.django_db
def test_the_username_path_of_adding_a_member_is_gone(api, client, workspace_a, workspace_b, member):
    """An admin of A cannot pull B's user in by naming them, neither in the API nor in the page."""
    admin = member(workspace_a, Role.ADMIN)
    outsider = member(workspace_b, Role.ADMIN).user

    response = api(admin).post(
        "/api/v1/members/", {"user": outsider.username, "role": "agent"}, format="json"
    )
    assert response.status_code == 400
    client.force_login(admin.user)
    client.post("/admin/", {"username": outsider.username, "role": "agent"})

    assert not Membership.objects.filter(workspace=workspace_a, user=outsider).exists()


@pytest.mark.django_db
def test_another_tenants_user_is_no_member_until_they_accept_while_signed_in(
    api, client, workspace_a, workspace_b, member
):
    admin = member(workspace_a, Role.ADMIN)
    outsider = member(workspace_b, Role.ANALYST).user
    assert _invite(api(admin), outsider.email, role="marketer").status_code == 201

    # Invited, not joined: the outsider's world is unchanged.
    assert list(Membership.objects.filter(user=outsider).values_list("workspace_id", flat=True)) == [
        workspace_b.pk
    ]
    me = api(Membership.objects.get(user=outsider), workspace_header=False).get("/api/v1/me/").json()
    assert [m["workspace"]["id"] for m in me["memberships"]] == [workspace_b.pk]

    # Opening the link signed out asks them to sign in, and changes nothing either.
    path = _link_path(mail.outbox[0])
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Membership.objects.filter(workspace=workspace_a, user=outsider).exists()

    client.force_login(outsider)
    assert "Accept the invitation" in client.get(path).content.decode()
    response = client.post(path)
    assert response.status_code == 302

    joined = Membership.objects.get(workspace=workspace_a, user=outsider)
    assert joined.role == Role.MARKETER
    # Their API calls without a header still land where they did before: in B.
    outsider.refresh_from_db()
    assert outsider.default_workspace_id == workspace_b.pk
    # The link worked once.
    client.logout()
    assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_someone_else_signed_in_cannot_accept_an_invitation_meant_for_another_address(
    client, api, workspace_a, workspace_b, member
):
    admin = member(workspace_a, Role.ADMIN)
    _invite(api(admin), "sari@example.com")
    stranger = member(workspace_b, Role.ADMIN).user
    client.force_login(stranger)

    response = client.post(_link_path(mail.outbox[0]))

    assert "sent to sari@example.com" in response.content.decode()
    assert not Membership.objects.filter(workspace=workspace_a, user=stranger).exists()


@pytest.mark.django_db
def test_the_answer_is_the_same_for_an_address_with_an_account_and_one_without(
    api, workspace_a, workspace_b, member
):
    admin = api(member(workspace_a, Role.ADMIN))
    existing = member(workspace_b, Role.ADMIN).user
    existing.email, existing.username = "taken@example.com", "taken"
    existing.save()

    answers = [_invite(admin, "taken@example.com"), _invite(admin, "nobody@example.com")]

    varying = {"id", "email", "created_at", "sent_at", "expires_at"}
    shapes = [
        (a.status_code, sorted(a.json()), {k: v for k, v in a.json().items() if k not in varying})
        for a in answers
    ]
    assert shapes[0] == shapes[1]
    # The same e-mail, but for the address.
    first, second = mail.outbox
    assert first.subject == second.subject
    assert LINK.sub("LINK", first.body).replace("taken@", "X@") == LINK.sub("LINK", second.body).replace(
        "nobody@", "X@"
    )


@pytest.mark.django_db
def test_a_newcomer_sets_a_password_and_lands_signed_in_with_the_role(client, api, workspace_a, member):
    admin = member(workspace_a, Role.ADMIN)
    _invite(api(admin), "Budi@Example.com", role="analyst", name="Budi Santoso")
    path = _link_path(mail.outbox[0])

    page = client.get(path)
    assert page.status_code == 200 and "Budi@Example.com" in page.content.decode()
    response = client.post(path, {"username": "budi", "password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/"
    budi = User.objects.get(username="budi")
    assert (budi.email, budi.first_name, budi.last_name) == ("Budi@Example.com", "Budi", "Santoso")
    assert Membership.objects.get(user=budi).workspace == workspace_a
    assert Membership.objects.get(user=budi).role == Role.ANALYST
    home = client.get("/")
    assert home.status_code == 200 and home.context["request"].user == budi
    assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_a_weak_or_mismatched_password_is_refused_and_the_link_still_works(client, api, workspace_a, member):
    _invite(api(member(workspace_a, Role.ADMIN)), "budi@example.com")
    path = _link_path(mail.outbox[0])

    weak = client.post(path, {"username": "budi", "password1": "12345678", "password2": "12345678"})
    mismatched = client.post(path, {"username": "budi", "password1": PASSWORD, "password2": PASSWORD + "x"})

    assert weak.status_code == 200 and "too common" in weak.content.decode()
    assert (
        mismatched.status_code == 200 and "password fields didn\u2019t match" in mismatched.content.decode()
    )
    assert not User.objects.filter(username="budi").exists()
    assert client.get(path).status_code == 200


@pytest.mark.django_db
def test_an_admin_invitee_enrols_two_factor_when_the_workspace_requires_it(client, api, workspace_a, member):
    admin = member(workspace_a, Role.ADMIN)
    _invite(api(admin), "boss@example.com", role="admin")
    workspace_a.require_two_factor_for_admins = True
    workspace_a.save()

    response = client.post(
        _link_path(mail.outbox[0]), {"username": "boss", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/setup/")
    assert client.get("/").status_code == 302  # no workspace page before enrolling


@pytest.mark.django_db
def test_a_link_expires_after_seven_days(client, api, workspace_a, member):
    _invite(api(member(workspace_a, Role.ADMIN)), "late@example.com")
    invitation = Invitation.objects.get(email="late@example.com")
    assert invitation.expires_at - invitation.sent_at == timedelta(days=7)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get(_link_path(mail.outbox[0]))
    posted = client.post(
        _link_path(mail.outbox[0]), {"username": "late", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 404 and "no longer valid" in response.content.decode()
    assert posted.status_code == 404 and not User.objects.filter(username="late").exists()


@pytest.mark.django_db
def test_resending_mails_a_new_link_and_the_old_one_stops_working(client, api, workspace_a, member):
    admin = api(member(workspace_a, Role.ADMIN))
    invitation_id = _invite(admin, "sari@example.com").json()["id"]
    old = _link_path(mail.outbox[0])

    response = admin.post(f"/api/v1/invitations/{invitation_id}/resend/")

    assert response.status_code == 200 and response.json()["status"] == "pending"
    new = _link_path(mail.outbox[1])
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


@pytest.mark.django_db
def test_a_revoked_invitation_is_no_longer_listed_and_its_link_is_dead(client, api, workspace_a, member):
    admin = api(member(workspace_a, Role.ADMIN))
    invitation_id = _invite(admin, "sari@example.com").json()["id"]

    assert admin.delete(f"/api/v1/invitations/{invitation_id}/").status_code == 204

    assert admin.get("/api/v1/invitations/").json()["results"] == []
    assert client.get(_link_path(mail.outbox[0])).status_code == 404
    assert admin.delete(f"/api/v1/invitations/{invitation_id}/").status_code == 404


@pytest.mark.django_db
def test_another_workspaces_invitation_answers_404(api, workspace_a, workspace_b, member):
    theirs = api(member(workspace_b, Role.ADMIN))
    invitation_id = _invite(theirs, "sari@example.com").json()["id"]
    mine = api(member(workspace_a, Role.ADMIN))

    assert mine.post(f"/api/v1/invitations/{invitation_id}/resend/").status_code == 404
    assert mine.delete(f"/api/v1/invitations/{invitation_id}/").status_code == 404
    assert Invitation.objects.get(pk=invitation_id).status == Invitation.Status.PENDING


@pytest.mark.django_db
def test_only_admins_invite(api, workspace_a, member):
    response = _invite(api(member(workspace_a, Role.AGENT)), "sari@example.com")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert mail.outbox == []


@pytest.mark.django_db
def test_inviting_an_address_twice_or_a_member_is_refused_naming_the_email(api, workspace_a, member):
    admin = member(workspace_a, Role.ADMIN)
    client = api(admin)
    _invite(client, "sari@example.com")

    again = _invite(client, "SARI@example.com")
    a_member = _invite(client, admin.user.email)

    assert again.status_code == 400 and "email" in again.json()["fields"]
    assert a_member.status_code == 400 and "email" in a_member.json()["fields"]


@pytest.mark.django_db
def test_every_step_of_an_invitation_is_audited(client, api, workspace_a, member):
    admin = member(workspace_a, Role.ADMIN)
    admin_api = api(admin)
    first = _invite(admin_api, "sari@example.com").json()["id"]
    admin_api.post(f"/api/v1/invitations/{first}/resend/")
    admin_api.delete(f"/api/v1/invitations/{first}/")
    _invite(admin_api, "sari@example.com")
    client.post(
        _link_path(mail.outbox[-1]), {"username": "sari", "password1": PASSWORD, "password2": PASSWORD}
    )

    entries = AuditEntry.objects.filter(workspace=workspace_a).order_by("id")
    actions = [(e.action, e.actor_label, e.object_repr) for e in entries if e.action.startswith("member.")]
    assert actions == [
        ("member.invite", admin.user.username, "sari@example.com"),
        ("member.invite_resend", admin.user.username, "sari@example.com"),
        ("member.invite_revoke", admin.user.username, "sari@example.com"),
        ("member.invite", admin.user.username, "sari@example.com"),
        ("member.add", "sari", "sari"),
        ("member.invite_accept", "sari", "sari@example.com"),
    ]


@pytest.mark.django_db
def test_the_members_page_invites_lists_resends_and_revokes(client, workspace_a, member):
    admin = member(workspace_a, Role.ADMIN)
    client.force_login(admin.user)

    response = client.post("/admin/", {"email": "sari@example.com", "name": "Sari", "role": "agent"})
    assert response.status_code == 302
    page = client.get("/admin/").content.decode()
    assert "sari@example.com" in page and "Pending invitations" in page
    invitation = Invitation.objects.get(email="sari@example.com")

    client.post(f"/admin/invitations/{invitation.pk}/resend/")
    assert len(mail.outbox) == 2
    client.post(f"/admin/invitations/{invitation.pk}/revoke/")
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    assert "sari@example.com" not in client.get("/admin/").content.decode().split('id="invitations"')[1]


@pytest.mark.django_db
def test_an_unknown_existing_account_is_never_joined_by_username(api, workspace_a, member):
    """Inviting the username of an existing person (not an address) is refused as not an e-mail."""
    UserFactory(username="victim")
    response = _invite(api(member(workspace_a, Role.ADMIN)), "victim")
    assert response.status_code == 400 and "email" in response.json()["fields"]
    assert not Membership.objects.filter(workspace=workspace_a, user__username="victim").exists()


@pytest.mark.django_db
def test_the_invitation_pages_speak_bahasa_indonesia(client, api, workspace_a, member):
    admin = member(workspace_a, Role.ADMIN)
    _invite(api(admin), "sari@example.com")
    client.force_login(admin.user)
    client.post("/i18n/setlang/", {"language": "id", "next": "/"})

    members = client.get("/admin/").content.decode()
    client.logout()
    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    link = client.get(_link_path(mail.outbox[0])).content.decode()

    assert "Undang seseorang" in members and "Undangan tertunda" in members and "Kirim ulang" in members
    assert "Bergabung dengan Acme" in link and "Atur kata sandi dan bergabung" in link
