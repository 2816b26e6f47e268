"""Secrets at rest: every field that holds a token, secret, password or credential is encrypted,
the database column never holds the plaintext, every value names its key, and keys rotate."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from cxm import encryption
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]

# A field name that suggests it holds something that opens a door.
SENSITIVE_NAME = re.compile(
    r"token|secret|passw|credential|api_?key|private_?key|otp|(^|_)key($|_)", re.IGNORECASE
)

# Fields whose names match but hold no secret, or cannot be encrypted by design; each says why.
NOT_ENCRYPTED = {
    ("tenancy.User", "password"): "a salted PBKDF2 hash from Django's password hasher, never the password",
    ("api.ApiToken", "key_hash"): "a SHA-256 digest of the API token; the token is shown once, never stored",
    ("tenancy.Invitation", "key_hash"): "a SHA-256 digest of the invitation link's key; the key is only mailed",
    ("sessions.Session", "session_key"): "the session id is looked up by value; sessions expire and are "
    "signed with SECRET_KEY",
    (
        "publishing.PostTarget",
        "idempotency_key",
    ): "a random deduplication id sent to the platform, not a credential",
    ("care.Message", "idempotency_key"): "a random deduplication id sent to the platform, not a credential",
    ("channels.WebchatWidget", "key"): "the website chat's public key, printed in the brand's pages",
    ("channels.WebchatVisitor", "token_hash"): "a SHA-256 digest of the visitor's token; the token is "
    "answered once, never stored",
    ("channels.WebchatMessage", "idempotency_key"): "the outbox's deduplication id of a reply, not a credential",
    ("ads.Ad", "variant_key"): "a content hash naming a creative variant",
    ("ads.Variant", "key"): "a content hash naming a creative variant",
    ("listening.Topic", "alert_webhook_previous_secret_expires_at"): "a date, not a secret",
    ("ads.AdCampaign", "comment_alert_webhook_previous_secret_expires_at"): "a date, not a secret",
}

# JSON fields that hold credentials although their names do not say so.
CREDENTIAL_JSON = {("channels.ChannelAccount", "credentials")}

PLAINTEXT = "plain-marker-7f3c9a"


def _sensitive_fields():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            key = (model._meta.label, field.name)
            if SENSITIVE_NAME.search(field.name) or key in CREDENTIAL_JSON:
                yield key, field


def test_every_field_holding_a_secret_is_encrypted():
    unencrypted = [
        f"{label}.{name} ({type(field).__name__})"
        for (label, name), field in _sensitive_fields()
        if not isinstance(field, encryption.EncryptedJSONField) and (label, name) not in NOT_ENCRYPTED
    ]
    assert unencrypted == [], (
        "encrypt these with cxm.encryption.EncryptedJSONField, or allow-list them with a reason"
    )


def test_the_allow_list_names_only_fields_that_exist():
    present = {key for key, _ in _sensitive_fields()}
    assert set(NOT_ENCRYPTED) <= present


# --- one row per encrypted field, holding PLAINTEXT ------------------------------------------------


def _filler(field):
    """A value for a required field, so that a row of any model can be written."""
    from django.db import models
    from django.utils import timezone

    from cxm.tenancy.models import User, Workspace
    from tests.factories import WorkspaceFactory

    if isinstance(field, models.ForeignKey):
        if field.related_model is Workspace:
            return WorkspaceFactory()
        if field.related_model is User:
            return UserFactory()
        return None
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return timezone.now().date()
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.IntegerField | models.FloatField | models.DecimalField):
        return 0
    if isinstance(field, models.CharField | models.TextField):
        return "x"[: field.max_length or 1]
    return None


def _build(label, name, value):
    model = apps.get_model(label)
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name == name or field.null or field.has_default():
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        filler = _filler(field)
        if filler is None:
            raise AssertionError(f"teach _filler to fill {label}.{field.name}")
        values[field.name] = filler
    if label == "tenancy.TwoFactorDevice":
        values["user"] = UserFactory()  # one device per user
    return model.objects.create(**values, **{name: value})


def _encrypted_keys():
    return sorted((model._meta.label, name) for model, name in encryption.encrypted_fields())


def _raw(model, name, pk):
    field = model._meta.get_field(name)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name(field.column)} FROM {connection.ops.quote_name(model._meta.db_table)} "  # noqa: S608
            "WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
@pytest.mark.parametrize(("label", "name"), _encrypted_keys())
def test_the_column_holds_ciphertext_tagged_with_its_key_id(label, name, keys):
    row = _build(label, name, PLAINTEXT)
    model = apps.get_model(label)
    raw = _raw(model, name, row.pk)
    assert PLAINTEXT not in raw
    assert raw.startswith(encryption.key_id(keys["old"]) + ":")
    value = getattr(model.objects.get(pk=row.pk), name)
    assert PLAINTEXT in str(value)


@pytest.mark.django_db
def test_rotate_keys_re_encrypts_every_row_of_every_encrypted_field(keys):
    rows = [(label, name, _build(label, name, PLAINTEXT).pk) for label, name in _encrypted_keys()]
    assert len(rows) >= 5

    keys["use"](keys["new"], keys["old"])
    out = StringIO()
    call_command("rotate_keys", stdout=out)
    assert "0 failures" in out.getvalue()

    keys["use"](keys["new"])  # the old key is gone
    for label, name, pk in rows:
        model = apps.get_model(label)
        assert _raw(model, name, pk).startswith(encryption.key_id(keys["new"]) + ":"), (label, name)
        assert PLAINTEXT in str(getattr(model.objects.get(pk=pk), name)), (label, name)


@pytest.mark.django_db
def test_rotate_keys_reports_rows_it_cannot_decrypt_and_fails(keys):
    from cxm.channels.models import ChannelAccount

    account = _build("channels.ChannelAccount", "credentials", {"access_token": PLAINTEXT})
    keys["use"](keys["new"])  # the key the row was written under is missing
    with pytest.raises(CommandError, match="1 failures"):
        call_command("rotate_keys", stdout=StringIO(), stderr=StringIO())
    assert _raw(ChannelAccount, "credentials", account.pk).startswith(encryption.key_id(keys["old"]) + ":")


def _settings_load(**env):
    base = {k: v for k, v in os.environ.items() if k not in {"CXM_SECRET_KEYS", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    code = "import django; django.setup(); print('started')"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "cxm.settings", **env},
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_without_a_key():
    refused = _settings_load(CXM_REQUIRE_SECRET_KEYS="1")
    assert refused.returncode != 0
    assert "CXM_SECRET_KEYS is not set" in refused.stderr
    started = _settings_load(CXM_REQUIRE_SECRET_KEYS="1", CXM_SECRET_KEYS=Fernet.generate_key().decode())
    assert started.returncode == 0, started.stderr
    assert "started" in started.stdout
