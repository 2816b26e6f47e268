"""Passwords at rest: production stores a salted PBKDF2 hash with Django's full work factor. The
suite itself runs with a fast hasher first (settings, under CXM_TESTING), so these tests name
the production hashers explicitly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import global_settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, identify_hasher
from django.test import override_settings

from tests.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_hash_passwords_with_pbkdf2_first():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print('\\n'.join(settings.PASSWORD_HASHERS))"
    )
    env = {**os.environ, "CXM_TESTING": "0", "DJANGO_SETTINGS_MODULE": "cxm.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    hashers = result.stdout.split()
    assert hashers == list(global_settings.PASSWORD_HASHERS)
    assert hashers[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    assert not any("MD5" in hasher for hasher in hashers)


@override_settings(PASSWORD_HASHERS=global_settings.PASSWORD_HASHERS)
def test_a_stored_password_is_a_salted_pbkdf2_hash_with_the_full_work_factor(db):
    first = UserFactory()
    second = UserFactory()
    algorithm, iterations, salt, _digest = first.password.split("$")
    assert algorithm == "pbkdf2_sha256"
    assert int(iterations) == PBKDF2PasswordHasher.iterations
    assert int(iterations) >= 1_000_000
    assert PASSWORD not in first.password
    # The same password under another salt gives another hash.
    assert second.password.split("$")[2] != salt
    assert second.password != first.password
    assert isinstance(identify_hasher(first.password), PBKDF2PasswordHasher)
    assert first.check_password(PASSWORD)
    assert not first.check_password(PASSWORD + "!")

