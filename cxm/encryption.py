"""Secrets at rest: Fernet under keys from CXM_SECRET_KEYS, each token tagged with its key id.

CXM_SECRET_KEYS is a comma-separated list of Fernet keys, newest first. New values are
encrypted with the newest; any listed key decrypts, so keys rotate by putting a new one in
front and running `cxm rotate-keys`, which re-encrypts every row under the newest key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class DecryptionError(Exception):
    pass


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def _keys_from_environment() -> list[str]:
    from django.conf import settings

    raw = os.environ.get("CXM_SECRET_KEYS", "")
    if raw.strip():
        return [key.strip() for key in raw.split(",") if key.strip()]
    if getattr(settings, "CXM_REQUIRE_SECRET_KEYS", False):
        raise ImproperlyConfigured(
            "CXM_SECRET_KEYS must be set: the platform will not store secrets without it"
        )
    # A single self-hosted box keeps a generated key beside its data, like the Django secret key.
    path = Path(settings.DATA_DIR) / "secret_keys"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(Fernet.generate_key().decode())
    return [key.strip() for key in path.read_text().split(",") if key.strip()]


@lru_cache(maxsize=1)
def _keyring() -> tuple[str, dict[str, Fernet]]:
    keys = _keys_from_environment()
    ring: dict[str, Fernet] = {}
    for key in keys:
        try:
            ring[key_id(key)] = Fernet(key.encode())
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                "CXM_SECRET_KEYS holds a value that is not a Fernet key (32 url-safe base64 bytes)"
            ) from exc
    return key_id(keys[0]), ring


def reset_keyring() -> None:
    _keyring.cache_clear()


def current_key_id() -> str:
    return _keyring()[0]


def encrypt_text(plaintext: str) -> str:
    newest, ring = _keyring()
    return f"{newest}:{ring[newest].encrypt(plaintext.encode()).decode()}"


def decrypt_text(token: str) -> str:
    kid, _, body = token.partition(":")
    fernet = _keyring()[1].get(kid)
    if fernet is None:
        raise DecryptionError(f"no key with id {kid} in CXM_SECRET_KEYS")
    try:
        return fernet.decrypt(body.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError(f"value does not decrypt under key {kid}") from exc


def token_key_id(token: str) -> str:
    return token.partition(":")[0]


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


class EncryptedJSONField(models.TextField):
    """A JSON value stored encrypted; reads give back the value, the column holds only ciphertext."""

    description = "JSON encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return {} if value == "" else None
        return json.loads(decrypt_text(value))

    def to_python(self, value):
        if isinstance(value, str) and value and ":" in value[:9]:
            try:
                return json.loads(decrypt_text(value))
            except DecryptionError:
                return value
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt_text(json.dumps(value, sort_keys=True))


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field name) in the project that is encrypted at rest."""
    from django.apps import apps

    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, EncryptedJSONField)
    ]


def rotate_all(*, batch_size: int = 500, failures: list[str] | None = None) -> dict[str, int]:
    """Re-encrypt every encrypted value under the newest key; returns rows rewritten per model.

    A value no configured key decrypts raises DecryptionError, unless a `failures` list is given:
    then it is left as it is, described in the list, and the rotation goes on with the next row.
    """
    from django.db import connection, transaction

    newest = current_key_id()
    rewritten: dict[str, int] = {}
    for model, name in encrypted_fields():
        column = model._meta.get_field(name).column
        table = model._meta.db_table
        count = 0
        last_pk = None
        while True:
            with connection.cursor() as cursor:
                # Raw reads: we want the stored tokens, not decrypted values.
                if last_pk is None:
                    cursor.execute(
                        f"SELECT id, {column} FROM {table} ORDER BY id LIMIT %s",  # noqa: S608 (names from models)
                        [batch_size],
                    )
                else:
                    cursor.execute(
                        f"SELECT id, {column} FROM {table} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608
                        [last_pk, batch_size],
                    )
                rows = cursor.fetchall()
            if not rows:
                break
            with transaction.atomic(), connection.cursor() as cursor:
                for pk, token in rows:
                    last_pk = pk
                    if not token or token_key_id(token) == newest:
                        continue
                    try:
                        plaintext = decrypt_text(token)
                    except DecryptionError as exc:
                        if failures is None:
                            raise
                        failures.append(f"{model._meta.label}.{name} id {pk}: {exc}")
                        continue
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608 (names from models)
                        [encrypt_text(plaintext), pk],
                    )
                    count += 1
        rewritten[model._meta.label] = count
    return rewritten
