"""A newcomer sets their own time zone in Your settings, so a post's schedule means their time."""

from __future__ import annotations

import pytest

from cxm.audit.models import AuditEntry
from cxm.tenancy.models import Role


@pytest.fixture
def newcomer(client, workspace_a, member):
    user = member(workspace_a, Role.MARKETER).user
    client.force_login(user)
    return user


@pytest.mark.django_db
def test_a_person_sets_their_time_zone_and_compose_uses_it(client, newcomer):
    assert 'name="time_zone"' in client.get("/accounts/settings/").content.decode()

    page = client.post("/accounts/settings/time-zone/", {"time_zone": "Asia/Jakarta"}, follow=True)

    assert "Time zone saved." in page.content.decode()
    newcomer.refresh_from_db()
    assert newcomer.time_zone == "Asia/Jakarta"
    assert "(Asia/Jakarta)" in client.get("/publishing/posts/new/").content.decode()
    entry = AuditEntry.objects.get(action="user.time_zone")
    assert (entry.before, entry.after) == ({"time_zone": "UTC"}, {"time_zone": "Asia/Jakarta"})


@pytest.mark.django_db
def test_an_unknown_zone_is_refused_and_changes_nothing(client, newcomer):
    page = client.post("/accounts/settings/time-zone/", {"time_zone": "Mars/Olympus"}, follow=True)

    assert "Select a valid choice" in page.content.decode()
    newcomer.refresh_from_db()
    assert newcomer.time_zone == "UTC"


@pytest.mark.django_db
def test_the_setting_reads_in_indonesian(client, newcomer):
    client.cookies["django_language"] = "id"
    page = client.post(
        "/accounts/settings/time-zone/",
        {"time_zone": "Asia/Makassar"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="id",
    ).content.decode()

    assert "Zona waktu disimpan." in page
    assert "Kalender penerbitan menampilkan waktu dalam zona ini" in page
