"""A newcomer sets their own time zone in Your settings, so a post's schedule means their time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from care.models import Message
from cxm.audit.models import AuditEntry
from cxm.tenancy.models import Role
from tests.factories import case_from_mention


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


@pytest.mark.django_db
def test_a_care_thread_shows_times_in_the_readers_time_zone(client, workspace_a, member):
    agent = member(workspace_a, Role.AGENT).user
    client.force_login(agent)
    case = case_from_mention(workspace_a)
    Message.objects.filter(case=case).update(occurred_at=datetime(2026, 3, 2, 3, 15, tzinfo=UTC))
    assert "02 Mar 2026 03:15" in client.get(f"/care/cases/{case.pk}/").content.decode()

    client.post("/accounts/settings/time-zone/", {"time_zone": "Asia/Jakarta"})

    assert "02 Mar 2026 10:15" in client.get(f"/care/cases/{case.pk}/").content.decode()
    api_body = client.get(f"/api/v1/cases/{case.pk}/messages/", HTTP_X_WORKSPACE=str(workspace_a.pk))
    assert "+07:00" not in api_body.content.decode()
