"""Project-wide gates: deploy checks, lint, the import contracts between apps, the compose file."""

import os
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
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


PACKAGES = ("cxm", "listening", "publishing", "care", "ads", "transformation")


def _layers_contract() -> dict:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (layers,) = [contract for contract in contracts if contract["type"] == "layers"]
    return layers


def _lint_copy(tmp_path: Path, plant: dict[str, str]) -> subprocess.CompletedProcess:
    """lint-imports over a copy of the project's Python sources with `plant` ({path: source})
    added, so a probe never lands in the real tree."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=lambda folder, names: [
                name for name in names if not (name.endswith(".py") or (Path(folder) / name).is_dir())
            ],
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for path, source in plant.items():
        (tmp_path / path).write_text(source)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [BIN / "lint-imports", "--no-cache"], cwd=tmp_path, env=env, capture_output=True, text=True
    )


def test_import_contract_catches_a_reach_into_another_apps_models(tmp_path):
    """The contract is live: a module of care importing listening.models breaks it."""
    result = _lint_copy(tmp_path, {"care/_contract_probe.py": "import listening.models  # noqa: F401\n"})
    assert result.returncode != 0
    assert "care._contract_probe" in result.stdout


def test_kernel_contract_covers_every_package_of_cxm(tmp_path):
    """Not just a list of kernel packages: a module anywhere in cxm importing a product breaks it."""
    result = _lint_copy(tmp_path, {"cxm/_contract_probe.py": "import transformation.selectors  # noqa: F401\n"})
    assert result.returncode != 0
    assert "cxm._contract_probe -> transformation.selectors" in result.stdout


def test_the_layers_contract_fails_on_a_planted_cycle(tmp_path):
    """Care already imports listening; listening importing care closes a cycle, and the layers
    contract names the import that points up."""
    result = _lint_copy(tmp_path, {"listening/_cycle_probe.py": "from care import services  # noqa: F401\n"})
    assert result.returncode != 0
    output = " ".join(result.stdout.split())  # the report wraps long contract names
    assert f"{_layers_contract()['name']} BROKEN" in output
    assert "listening is not allowed to import care" in output
    assert "listening._cycle_probe -> care.services" in output


def test_the_layers_contract_fails_when_the_kernel_imports_a_product(tmp_path):
    result = _lint_copy(
        tmp_path, {"cxm/_kernel_probe.py": "from publishing import selectors  # noqa: F401\n"}
    )
    assert result.returncode != 0
    assert "cxm is not allowed to import publishing" in " ".join(result.stdout.split())


def test_the_copy_of_the_real_tree_keeps_every_contract(tmp_path):
    """The copy the probes run on is faithful: without a probe it passes, as the real tree does."""
    result = _lint_copy(tmp_path, {})
    assert result.returncode == 0, result.stdout + result.stderr


def _drawn_layers() -> list[str]:
    """The layers docs/architecture.md draws: each line of its ```layers block, up to the
    description (two spaces or more)."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    assert "```layers\n" in text, "docs/architecture.md lost its ```layers block"
    block = text.split("```layers\n", 1)[1].split("```", 1)[0]
    return [re.split(r"\s{2,}", line.strip())[0] for line in block.splitlines() if line.strip()]


def test_the_architecture_doc_draws_the_layers_of_the_contract():
    def normal(layer: str) -> str:
        return " | ".join(part.strip() for part in layer.split("|"))

    assert [normal(layer) for layer in _drawn_layers()] == [
        normal(layer) for layer in _layers_contract()["layers"]
    ]


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
