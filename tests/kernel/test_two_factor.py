"""Two-factor authentication: enrolment, the second sign-in step, recovery codes, admin enforcement."""

import time

import pyotp
import pytest
from django.db import connection
from django.urls import reverse

from cxm.audit.models import AuditEntry
from cxm.tenancy import two_factor
from cxm.tenancy.models import Role, TwoFactorDevice
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _enrol(user):
    """An enrolled user; returns (device, recovery codes). The first code is from the previous step
    so that the sign-in tests below may use the current one."""
    device = two_factor.two_factor_enrol_start(user=user)
    previous = pyotp.TOTP(device.secret).at(time.time() - 30)
    codes = two_factor.two_factor_enrol_confirm(device=device, code=previous)
    device.refresh_from_db()
    return device, codes


def _password_step(client, user, next_url=""):
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def test_enrolment_page_shows_a_qr_code_and_the_otpauth_uri(client):
    user = UserFactory(username="kim")
    client.force_login(user)
    response = client.get(reverse("two-factor-setup"))
    page = response.content.decode()
    device = TwoFactorDevice.objects.get(user=user)
    assert "<svg" in page
    assert f"otpauth://totp/CXM:kim?secret={device.secret}" in page
    assert device.confirmed_at is None


def test_a_valid_code_confirms_enrolment_and_shows_ten_recovery_codes_once(client):
    user = UserFactory()
    client.force_login(user)
    client.get(reverse("two-factor-setup"))
    device = TwoFactorDevice.objects.get(user=user)
    response = client.post(reverse("two-factor-setup"), {"code": pyotp.TOTP(device.secret).now()})
    device.refresh_from_db()
    assert device.is_confirmed
    page = response.content.decode()
    assert page.count("<li><code>") == 10
    # Only digests are stored.
    for digest in device.recovery_code_hashes:
        assert len(digest) == 64
    assert AuditEntry.objects.filter(action="auth.two_factor_enabled", actor=user).exists()


def test_a_wrong_code_does_not_confirm_enrolment(client):
    user = UserFactory()
    client.force_login(user)
    client.get(reverse("two-factor-setup"))
    response = client.post(reverse("two-factor-setup"), {"code": "000000"})
    assert "That code is not valid" in response.content.decode()
    assert not TwoFactorDevice.objects.get(user=user).is_confirmed


def test_the_totp_secret_is_encrypted_at_rest():
    device = two_factor.two_factor_enrol_start(user=UserFactory())
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM tenancy_twofactordevice WHERE id = %s", [device.pk])
        raw = cursor.fetchone()[0]
    assert device.secret not in raw


def test_sign_in_asks_for_a_code_after_the_password(client):
    user = UserFactory()
    device, _ = _enrol(user)
    response = _password_step(client, user, next_url="/listening/")
    assert response["Location"] == reverse("two-factor-verify")
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("two-factor-verify"), {"code": pyotp.TOTP(device.secret).now()})
    assert response["Location"] == "/listening/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert AuditEntry.objects.filter(action="auth.login", actor=user, after={"two_factor": True}).exists()


def test_a_wrong_code_keeps_the_user_signed_out(client):
    user = UserFactory()
    _enrol(user)
    _password_step(client, user)
    response = client.post(reverse("two-factor-verify"), {"code": "123456"})
    assert "That code is not valid" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="auth.two_factor_failed", object_repr=user.username).exists()


def test_a_code_works_only_once():
    user = UserFactory()
    device, _ = _enrol(user)
    code = pyotp.TOTP(device.secret).now()
    assert two_factor.two_factor_verify(user=user, code=code)
    assert not two_factor.two_factor_verify(user=user, code=code)


def test_guessing_codes_is_throttled_like_passwords(client):
    user = UserFactory()
    _enrol(user)
    _password_step(client, user)
    for _ in range(5):
        response = client.post(reverse("two-factor-verify"), {"code": "000000"})
    assert "Too many failed sign-ins" in response.content.decode()


def test_a_recovery_code_signs_in_once(client):
    user = UserFactory()
    _, codes = _enrol(user)
    _password_step(client, user)
    response = client.post(reverse("two-factor-verify"), {"code": codes[0].upper()})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert len(TwoFactorDevice.objects.get(user=user).recovery_code_hashes) == 9
    client.logout()
    _password_step(client, user)
    response = client.post(reverse("two-factor-verify"), {"code": codes[0]})
    assert "_auth_user_id" not in client.session


def test_turning_two_factor_off_needs_a_current_code(client):
    user = UserFactory()
    device, _ = _enrol(user)
    client.force_login(user)
    client.post(reverse("two-factor-disable"), {"code": "000000"})
    assert TwoFactorDevice.objects.filter(user=user).exists()
    client.post(reverse("two-factor-disable"), {"code": pyotp.TOTP(device.secret).now()})
    assert not TwoFactorDevice.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(action="auth.two_factor_disabled", actor=user).exists()


def test_the_api_token_endpoint_asks_for_the_code(client):
    user = UserFactory()
    device, _ = _enrol(user)
    url = reverse("api-token")
    response = client.post(url, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "code" in response.json()["fields"]
    response = client.post(
        url, {"username": user.username, "password": PASSWORD, "code": pyotp.TOTP(device.secret).now()}
    )
    assert response.status_code == 200
    assert response.json()["token"]


def test_a_workspace_that_requires_it_sends_admins_to_enrol_first(client, workspace_a, member):
    admin = member(workspace_a, Role.ADMIN)
    analyst = member(workspace_a, Role.ANALYST)
    client.force_login(admin.user)
    assert client.get(reverse("home")).status_code == 200

    client.post(reverse("admin-security"), {"require_two_factor_for_admins": "on"})
    workspace_a.refresh_from_db()
    assert workspace_a.require_two_factor_for_admins
    entry = AuditEntry.objects.get(action="workspace.security", workspace=workspace_a)
    assert entry.after["require_two_factor_for_admins"] is True

    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two-factor-setup"))

    # Other roles are not asked.
    client.force_login(analyst.user)
    assert client.get(reverse("home")).status_code == 200

    # Once enrolled, the admin is back in.
    _enrol(admin.user)
    client.force_login(admin.user)
    assert client.get(reverse("home")).status_code == 200


def _require_two_factor(workspace):
    workspace.require_two_factor_for_admins = True
    workspace.save(update_fields=["require_two_factor_for_admins"])


def test_the_api_refuses_an_admin_who_must_enrol_by_token_and_by_session(api, client, workspace_a, member):
    admin = member(workspace_a, Role.ADMIN)
    analyst = member(workspace_a, Role.ANALYST)
    token_client = api(admin)
    _require_two_factor(workspace_a)

    response = token_client.get("/api/v1/brands/")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "two_factor_required"
    assert reverse("two-factor-setup") in body["detail"]

    client.force_login(admin.user)
    response = client.get("/api/v1/brands/", HTTP_X_WORKSPACE=str(workspace_a.pk))
    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_required"

    # Other roles of the same workspace are not asked.
    assert api(analyst).get("/api/v1/brands/").status_code == 200

    # Once enrolled, the token issued before works again.
    _enrol(admin.user)
    assert token_client.get("/api/v1/brands/").status_code == 200


def test_a_session_signed_in_with_the_password_alone_must_sign_in_again_with_the_code(
    client, workspace_a, member
):
    admin = member(workspace_a, Role.ADMIN)
    _require_two_factor(workspace_a)
    device, _ = _enrol(admin.user)
    # Signed in before enrolling elsewhere: this session never passed the code step.
    client.force_login(admin.user)
    response = client.get("/api/v1/brands/", HTTP_X_WORKSPACE=str(workspace_a.pk))
    assert response.status_code == 403
    assert reverse("login") in response.json()["detail"]

    client.logout()
    _password_step(client, admin.user)
    # Between the two steps the browser is told to finish signing in.
    pending = client.get("/api/v1/me/")
    assert pending.status_code == 403
    assert reverse("two-factor-verify") in pending.json()["detail"]
    client.post(reverse("two-factor-verify"), {"code": pyotp.TOTP(device.secret).now()})
    assert client.get("/api/v1/brands/", HTTP_X_WORKSPACE=str(workspace_a.pk)).status_code == 200
