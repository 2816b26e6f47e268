"""Sign-in throttling: 5 failures per account in 15 minutes, 20 per address in an hour."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cxm.audit.models import AuditEntry
from cxm.tenancy.models import LoginFailure
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _login(client, username, password="wrong password", ip="203.0.113.7"):  # noqa: S107
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_account_with_a_clear_message(client):
    user = UserFactory(username="dana")
    for _ in range(4):
        response = _login(client, "dana")
        assert "do not match an account" in response.content.decode()
    response = _login(client, "dana")
    assert "Too many failed sign-ins; try again in 15 minutes." in response.content.decode()

    # Even the right password is refused while the lock holds.
    response = _login(client, "dana", PASSWORD)
    assert response.status_code == 200
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="auth.login_locked", object_repr="account dana").count() == 1
    assert AuditEntry.objects.filter(action="auth.login_throttled", object_repr=user.username).exists()


def test_the_account_lock_lifts_after_fifteen_minutes(client):
    UserFactory(username="erin")
    for _ in range(5):
        _login(client, "erin")
    LoginFailure.objects.filter(username="erin").update(at=timezone.now() - timedelta(minutes=15, seconds=1))
    response = _login(client, "erin", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_the_message_counts_down_from_the_oldest_failure_that_still_counts(client):
    UserFactory(username="fay")
    for _ in range(5):
        _login(client, "fay")
    LoginFailure.objects.filter(username="fay").update(at=timezone.now() - timedelta(minutes=12))
    response = _login(client, "fay", PASSWORD)
    assert "try again in 3 minutes" in response.content.decode()


def test_a_success_clears_the_account_failures(client):
    UserFactory(username="gus")
    for _ in range(4):
        _login(client, "gus")
    assert _login(client, "gus", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        _login(client, "gus")
    assert _login(client, "gus", PASSWORD).status_code == 302


def test_twenty_failures_from_one_address_lock_that_address_for_every_account(client):
    UserFactory(username="hal")
    for n in range(20):
        _login(client, f"nobody{n}", ip="198.51.100.9")
    response = _login(client, "hal", PASSWORD, ip="198.51.100.9")
    assert "Too many failed sign-ins; try again in 60 minutes." in response.content.decode()
    assert AuditEntry.objects.filter(action="auth.login_locked", object_repr="address 198.51.100.9").exists()
    # Another address still gets in.
    assert _login(client, "hal", PASSWORD, ip="198.51.100.10").status_code == 302


def test_the_api_token_endpoint_is_throttled_the_same_way(client):
    UserFactory(username="ivy")
    url = reverse("api-token")
    for _ in range(4):
        response = client.post(url, {"username": "ivy", "password": "nope"}, REMOTE_ADDR="203.0.113.8")
        assert response.status_code == 400
    response = client.post(url, {"username": "ivy", "password": "nope"}, REMOTE_ADDR="203.0.113.8")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 14 * 60
    body = response.json()
    assert body["code"] == "throttled"
    assert body["detail"] == "Too many failed sign-ins; try again in 15 minutes."
    response = client.post(url, {"username": "ivy", "password": PASSWORD}, REMOTE_ADDR="203.0.113.8")
    assert response.status_code == 429


def test_failures_share_one_count_between_the_web_and_the_api(client):
    UserFactory(username="jon")
    for _ in range(3):
        _login(client, "jon")
    for _ in range(2):
        client.post(reverse("api-token"), {"username": "jon", "password": "nope"})
    assert "Too many failed sign-ins" in _login(client, "jon", PASSWORD).content.decode()


def test_the_django_admin_signs_in_through_the_throttled_form(client):
    response = client.get("/django-admin/login/?next=/django-admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
