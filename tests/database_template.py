"""A migrated template database, so each test process copies it instead of migrating its own.

Migrating from scratch takes seconds per database; with one database per pytest-xdist process that
cost repeats. The template is named after a digest of every migration file, is built once under an
advisory lock (by whichever process comes first), and is dropped when the migrations change.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "test_cxm_template_"
# Any constant: every process of every run on these servers serialises its template work on it.
LOCK_KEY = 4_211_517


def _migration_digest() -> str:
    digest = hashlib.sha256()
    files = sorted(
        path
        for path in ROOT.glob("**/migrations/*.py")
        if ".venv" not in path.parts and "var" not in path.parts
    )
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _connect(settings_dict: dict) -> psycopg.Connection:
    return psycopg.connect(
        dbname="postgres",
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        autocommit=True,
    )


def _database_url(settings_dict: dict, name: str) -> str:
    host = settings_dict["HOST"]
    auth = settings_dict["USER"] + (f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else "")
    if host.startswith("/"):
        return f"postgresql://{auth}@/{name}?host={host}"
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgresql://{auth}@{host}{port}/{name}"


def _exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def ensure_template(settings_dict: dict) -> str:
    """The name of an up-to-date migrated template database, building it if needed."""
    name = PREFIX + _migration_digest()
    with _connect(settings_dict) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        if _exists(conn, name):
            return name
        building = name + "_building"
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(building)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(building)))
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cxm.settings",
            "DATABASE_URL": _database_url(settings_dict, building),
        }
        subprocess.run(
            [sys.executable, "-m", "django", "migrate", "--no-input", "-v", "0"],
            check=True,
            env=env,
            cwd=ROOT,
        )
        conn.execute(
            sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(building), sql.Identifier(name))
        )
        stale = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
            [PREFIX.replace("_", r"\_") + "%", name],
        ).fetchall()
        for (old,) in stale:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(old)))
    return name


def copy_template(settings_dict: dict, template: str, name: str) -> None:
    """(Re)create database `name` as a copy of `template`."""
    with _connect(settings_dict) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        )
