"""Admin → Privacy: search by identity, see what is held, export or erase (typing the identity to
confirm), follow the requests against their due dates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from cxm.privacy.models import PrivacyRequest
from cxm.tenancy.models import Role
from tests.privacy.conftest import EMAIL, HANDLE, make_person


def _login(client, membership):
    client.force_login(membership.user)
    session = client.session
    session["workspace_id"] = membership.workspace_id
    session.save()
    return client


@pytest.mark.django_db
def test_search_shows_counts_per_kind(client, member, workspace_a):
    make_person(workspace_a)
    _login(client, member(workspace_a, Role.ADMIN))

    page = client.post("/admin/privacy/", {"identity": HANDLE}).content.decode()

    assert 'data-kind="mentions"><td>Mentions</td><td>3</td>' in page
    assert 'data-kind="identities"><td>Identities</td><td>4</td>' in page
    assert "Erase" in page and "Export" in page


@pytest.mark.django_db
def test_erase_needs_the_identity_typed_again(client, member, workspace_a):
    _login(client, member(workspace_a, Role.ADMIN))

    refused = client.post(
        "/admin/privacy/requests/new/", {"kind": "erase", "identity": EMAIL, "confirm": "zelda"}
    )
    assert refused.status_code == 400
    assert "Type the identity exactly" in refused.content.decode()
    assert not PrivacyRequest.objects.exists()

    client.post("/admin/privacy/requests/new/", {"kind": "erase", "identity": EMAIL, "confirm": EMAIL})
    assert PrivacyRequest.objects.get().kind == "erase"


@pytest.mark.django_db
def test_request_list_highlights_overdue_and_polls_while_running(client, member, workspace_a, settings):
    settings.CXM_STATUS_POLL_SECONDS = 2  # production's interval (the suite runs a shorter one)
    _login(client, member(workspace_a, Role.ADMIN))
    client.post("/admin/privacy/requests/new/", {"kind": "export", "identity": EMAIL})
    PrivacyRequest.objects.update(due_at=timezone.now() - timedelta(days=1))

    listing = client.get("/admin/privacy/requests/").content.decode()

    assert "overdue" in listing
    assert 'hx-trigger="every 2s"' in listing
    assert EMAIL not in listing


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.AGENT, Role.ANALYST])
def test_non_admins_cannot_open_the_page(client, member, workspace_a, role):
    _login(client, member(workspace_a, role))

    assert client.get("/admin/privacy/").status_code == 403
    assert (
        client.post("/admin/privacy/requests/new/", {"kind": "export", "identity": EMAIL}).status_code == 403
    )


@pytest.mark.django_db
def test_settings_set_due_days_and_retention(client, member, workspace_a):
    _login(client, member(workspace_a, Role.ADMIN))

    client.post("/admin/privacy/settings/", {"due_days": "14", "mention_retention_days": "365"})
    client.post("/admin/privacy/requests/new/", {"kind": "export", "identity": EMAIL})

    privacy_request = PrivacyRequest.objects.get()
    assert privacy_request.due_at - privacy_request.created_at == timedelta(days=14)


@pytest.mark.django_db
def test_command_erases_and_prints_the_counts(workspace_a, capsys):
    make_person(workspace_a)

    call_command("cxm_privacy", "erase", "--workspace", workspace_a.slug, "--identity", EMAIL)

    out = capsys.readouterr().out
    assert "done" in out and "identities: 4" in out
    assert PrivacyRequest.objects.get().status == PrivacyRequest.Status.DONE
