"""Links sent to customers and in alerts start with CXM_BASE_URL: `cxm run` sets it to where it
serves (tests/kernel/test_launcher_stop.py reads it from the web server's environment), other
starts fall back to CXM_BIND and PORT, and production settings warn when it is unset."""

from __future__ import annotations

import os
import subprocess
import sys

from cxm.conf import launcher_base_url
from tests.kernel.test_launcher import ROOT

WARNING = "CXM_BASE_URL is not set"
READ_SETTING = (
    "import django; django.setup(); from django.conf import settings; print(settings.CXM_BASE_URL)"
)


def _start_django(**settings: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CXM_BASE_URL", "CXM_DEBUG", "CXM_TESTING", "CXM_BIND", "PORT"}
    }
    env.update({"DJANGO_SETTINGS_MODULE": "cxm.settings", **settings})
    return subprocess.run(
        [sys.executable, "-c", READ_SETTING], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )


def test_production_settings_warn_when_the_base_url_is_unset_and_use_the_served_port():
    started = _start_django(PORT="8123")

    assert started.stdout.strip() == "http://127.0.0.1:8123"
    assert WARNING in started.stderr and "http://127.0.0.1:8123" in started.stderr


def test_a_set_base_url_is_used_without_a_warning():
    started = _start_django(CXM_BASE_URL="https://cx.example.com/", PORT="8123")

    assert started.stdout.strip() == "https://cx.example.com"
    assert WARNING not in started.stderr


def test_debug_settings_do_not_warn():
    started = _start_django(CXM_DEBUG="1")

    assert started.stdout.strip() == "http://127.0.0.1:8000"
    assert WARNING not in started.stderr


def test_the_launcher_address_is_reachable_from_this_machine():
    assert launcher_base_url(bind="127.0.0.1", port=9000) == "http://127.0.0.1:9000"
    assert launcher_base_url(bind="0.0.0.0", port="8080") == "http://127.0.0.1:8080"  # noqa: S104
    assert launcher_base_url(bind="10.1.2.3", port=80) == "http://10.1.2.3:80"
    assert launcher_base_url(bind="::1", port=8000) == "http://[::1]:8000"
