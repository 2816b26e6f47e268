"""What people are told around an invitation: where the e-mail went when no mail server is set
up (printed where the platform runs), and, on joining, which workspace they are now in."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

HINT = "the e-mail with the link is printed in the terminal where the platform runs"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.CXM_BASE_URL = "http://testserver"


def _invite(client, language="en"):
    return client.post(
        "/admin/",
        {"email": "sari@example.com", "name": "Sari", "role": "agent"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    ).content.decode()


@pytest.mark.django_db
def test_with_the_console_mail_backend_the_admin_learns_where_the_link_is(admin_client, settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

    page = _invite(admin_client)

    assert "Invitation sent to sari@example.com." in page
    assert HINT in page
    assert "/invitations/" in capsys.readouterr().out  # where the hint says it is


@pytest.mark.django_db
def test_the_hint_is_in_indonesian_too(admin_client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    admin_client.cookies["django_language"] = "id"

    page = _invite(admin_client, "id")

    assert "dicetak di terminal tempat platform berjalan" in page


@pytest.mark.django_db
def test_with_a_mail_server_there_is_no_hint(admin_client):
    page = _invite(admin_client)

    assert "Invitation sent to sari@example.com." in page
    assert HINT not in page


@pytest.mark.django_db
def test_a_newcomer_is_welcomed_into_the_workspace_they_joined(admin_client, client, workspace_a):
    from django.core import mail

    _invite(admin_client)
    link = next(word for word in mail.outbox[0].body.split() if "/invitations/" in word)
    admin_client.logout()

    page = client.post(
        link.removeprefix("http://testserver"),
        {"username": "sari", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    ).content.decode()

    assert "Welcome to Acme." in page
