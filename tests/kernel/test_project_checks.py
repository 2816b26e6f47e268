"""Project-wide gates: deploy checks, lint, the import contracts between apps, the compose file."""

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_deploy_check_is_clean_with_production_settings():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "CXM_DEBUG": "0",
        "CXM_TESTING": "0",
        "CXM_HTTPS": "1",
        "CXM_SECRET_KEY": secrets.token_urlsafe(60),
        "CXM_ALLOWED_HOSTS": "cxm.example.com",
        "CXM_REQUIRE_SECRET_KEYS": "1",
        "CXM_SECRET_KEYS": Fernet.generate_key().decode(),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_unless_asked_for():
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    env = {k: v for k, v in os.environ.items() if k != "CXM_DEBUG"}
    env["DJANGO_SETTINGS_MODULE"] = "cxm.settings"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_ruff_is_clean():
    result = subprocess.run([BIN / "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_apps_only_use_each_others_services_and_selectors():
    result = subprocess.run([BIN / "lint-imports"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_import_contract_catches_a_reach_into_another_apps_models(tmp_path):
    """The contract is live: a module of care importing listening.models breaks it."""
    offender = ROOT / "care" / "_contract_probe.py"
    offender.write_text("import listening.models  # noqa: F401\n")
    try:
        result = subprocess.run([BIN / "lint-imports"], cwd=ROOT, capture_output=True, text=True)
    finally:
        offender.unlink()
    assert result.returncode != 0
    assert "care._contract_probe" in result.stdout


def test_kernel_contract_covers_every_package_of_cxm():
    """Not just a list of kernel packages: a module anywhere in cxm importing a product breaks it."""
    offender = ROOT / "cxm" / "_contract_probe.py"
    offender.write_text("import transformation.selectors  # noqa: F401\n")
    try:
        result = subprocess.run([BIN / "lint-imports"], cwd=ROOT, capture_output=True, text=True)
    finally:
        offender.unlink()
    assert result.returncode != 0
    assert "cxm._contract_probe -> transformation.selectors" in result.stdout


def test_no_migration_is_missing():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_validates():
    docker = shutil.which("docker-compose")
    command = [docker, "config", "--quiet"] if docker else ["docker", "compose", "config", "--quiet"]
    env = {
        **os.environ,
        "CXM_SECRET_KEY": "compose-validation-only",
        "CXM_SECRET_KEYS": "compose-validation-only",
    }
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
