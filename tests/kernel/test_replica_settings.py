"""DATABASE_REPLICA_URL becomes the `replica` database, kept out of migrations and test setup."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cxm.replica import PrimaryRouter

ROOT = Path(__file__).resolve().parents[2]
READ = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps({'replica': settings.DATABASES.get('replica'), 'routers': settings.DATABASE_ROUTERS}))"
)


def _settings(**env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", READ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "cxm.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_replica_url_becomes_the_replica_database():
    found = _settings(DATABASE_REPLICA_URL="postgresql://reader:secret@replica.internal:5433/cxm")
    replica = found["replica"]
    assert (replica["HOST"], replica["PORT"], replica["USER"], replica["NAME"]) == (
        "replica.internal",
        "5433",
        "reader",
        "cxm",
    )
    assert replica["OPTIONS"]["connect_timeout"] == "3"  # a replica host that is gone is given up on soon
    assert replica["TEST"]["MIRROR"] == "default"
    assert found["routers"] == ["cxm.replica.PrimaryRouter"]


def test_without_the_url_there_is_no_replica_database():
    assert _settings(DATABASE_REPLICA_URL="")["replica"] is None


def test_the_router_writes_and_migrates_only_on_the_primary():
    router = PrimaryRouter()
    assert router.db_for_write(None) == "default"
    assert router.allow_migrate("replica", "listening") is False
    assert router.allow_migrate("default", "listening") is True
