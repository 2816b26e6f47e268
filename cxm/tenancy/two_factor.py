"""Two-factor authentication with TOTP authenticator apps (RFC 6238), and one-time recovery codes.

Enrolment makes an unconfirmed device; the first valid code confirms it and hands out ten
recovery codes, shown once and stored only as SHA-256 digests (they are random, 50 bits each,
so a fast hash is enough). A code is accepted once: its 30-second step is remembered.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from django.db import transaction
from django.utils import timezone

from cxm.audit.services import audit_record
from cxm.tenancy.models import Membership, Role, TwoFactorDevice, User

ISSUER = "CXM"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
STEP_SECONDS = 30
# One step either side, for a phone clock a little off.
VALID_WINDOW = 1

# The signed-in state's record of the second factor: set when the password step was followed by a
# code (or by confirming enrolment), so an API call can tell a password-only sign-in apart.
SESSION_VERIFIED_KEY = "two_factor_verified"
# The password step passed and the code step is awaited; the user is not signed in yet.
SESSION_PENDING_KEY = "two_factor_pending"
# How long the password step stays good for while the user finds their phone.
PENDING_SECONDS = 300


def confirmed_device(*, user: User) -> TwoFactorDevice | None:
    device = TwoFactorDevice.objects.filter(user=user).first()
    return device if device is not None and device.is_confirmed else None


def unconfirmed_device(*, user: User) -> TwoFactorDevice | None:
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=True).first()


def has_two_factor(user: User) -> bool:
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def two_factor_required(membership: Membership | None) -> bool:
    """True when this member must enrol before using the workspace (an admin, by its setting)."""
    if membership is None or membership.role != Role.ADMIN:
        return False
    if not membership.workspace.require_two_factor_for_admins:
        return False
    return not has_two_factor(membership.user)


def session_mark_verified(session) -> None:
    session[SESSION_VERIFIED_KEY] = True


def session_is_verified(session) -> bool:
    return bool(session is not None and session.get(SESSION_VERIFIED_KEY))


def session_sign_in_pending(session) -> bool:
    """True while the password step has passed and the code step is still awaited."""
    pending = session.get(SESSION_PENDING_KEY) if session is not None else None
    return bool(pending) and time.time() - pending.get("at", 0) <= PENDING_SECONDS


def second_factor_missing(membership: Membership | None, *, session) -> bool:
    """True when the workspace requires two-factor of this admin and `session` passed no second
    factor: signed in with the password alone (before enrolling, or before enrolling elsewhere)."""
    if membership is None or membership.role != Role.ADMIN:
        return False
    if not membership.workspace.require_two_factor_for_admins:
        return False
    return not session_is_verified(session)


def provisioning_uri(device: TwoFactorDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(name=device.user.get_username(), issuer_name=ISSUER)


@transaction.atomic
def two_factor_enrol_start(*, user: User) -> TwoFactorDevice:
    """The user's device, made unconfirmed with a fresh secret if there is none yet. An unconfirmed
    one keeps its secret, so reloading the enrolment page does not invalidate a scanned code."""
    device = TwoFactorDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        device = TwoFactorDevice.objects.create(user=user, secret=pyotp.random_base32())
    return device


def _code_digest(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").replace(" ", "").lower().encode()).hexdigest()


def _new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def _totp_step(device: TwoFactorDevice, code: str, *, now: float) -> int | None:
    """The time step `code` is valid for (within the window), or None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(device.secret)
    current = int(now // STEP_SECONDS)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


@transaction.atomic
def two_factor_enrol_confirm(*, device: TwoFactorDevice, code: str, request=None) -> list[str] | None:
    """Confirm the device with its first code; returns the recovery codes, or None for a wrong code."""
    device = TwoFactorDevice.objects.select_for_update().get(pk=device.pk)
    step = _totp_step(device, code, now=time.time())
    if step is None or device.is_confirmed:
        return None
    codes = _new_recovery_codes()
    device.confirmed_at = timezone.now()
    device.last_used_step = step
    device.recovery_code_hashes = [_code_digest(code) for code in codes]
    device.save(update_fields=["confirmed_at", "last_used_step", "recovery_code_hashes"])
    audit_record(
        workspace=None,
        actor=device.user,
        action="auth.two_factor_enabled",
        target=device.user,
        request=request,
    )
    return codes


@transaction.atomic
def two_factor_verify(*, user: User, code: str, request=None, now: float | None = None) -> bool:
    """Check a sign-in code: a TOTP code not used before, or an unused recovery code (spent)."""
    device = TwoFactorDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        return False
    step = _totp_step(device, code, now=time.time() if now is None else now)
    if step is not None:
        if step <= device.last_used_step:
            return False  # a replayed code
        device.last_used_step = step
        device.save(update_fields=["last_used_step"])
        return True
    digest = _code_digest(code)
    if any(hmac.compare_digest(digest, known) for known in device.recovery_code_hashes):
        device.recovery_code_hashes = [known for known in device.recovery_code_hashes if known != digest]
        device.save(update_fields=["recovery_code_hashes"])
        audit_record(
            workspace=None,
            actor=user,
            action="auth.recovery_code_used",
            target=user,
            request=request,
            after={"recovery_codes_left": len(device.recovery_code_hashes)},
        )
        return True
    return False


@transaction.atomic
def two_factor_disable(*, user: User, request=None) -> None:
    deleted, _ = TwoFactorDevice.objects.filter(user=user).delete()
    if deleted:
        audit_record(
            workspace=None, actor=user, action="auth.two_factor_disabled", target=user, request=request
        )
