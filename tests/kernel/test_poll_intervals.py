"""Open pages ask the server again on intervals that are settings: production's by default, the
suite's short ones under `cxm test`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.template import Context, Template

from cxm.cli import TEST_INTERVALS
from cxm.tenancy.models import Role

ROOT = Path(__file__).resolve().parents[2]


def _render(source: str) -> str:
    return Template("{% load polling %}" + source).render(Context())


def test_pages_poll_on_the_configured_interval(settings):
    settings.CXM_INBOX_POLL_SECONDS = 4
    settings.CXM_STATUS_POLL_SECONDS = 0.25
    assert _render("{% poll_every 'inbox' %}|{% poll_ms 'inbox' %}") == "every 4s|4000"
    assert _render("{% poll_every 'status' %}|{% poll_ms 'status' %}") == "every 0.25s|250"


def test_production_polls_every_four_and_two_seconds():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print('intervals', settings.CXM_INBOX_POLL_SECONDS, settings.CXM_STATUS_POLL_SECONDS)"
    )
    env = {k: v for k, v in os.environ.items() if k not in TEST_INTERVALS}
    env.update({"CXM_TESTING": "0", "DJANGO_SETTINGS_MODULE": "cxm.settings"})
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("intervals "))
    assert [float(seconds) for seconds in line.split()[1:]] == [4, 2]


@pytest.mark.django_db
def test_the_inbox_page_hands_its_interval_to_the_script(client, member, workspace_a, settings):
    settings.CXM_INBOX_POLL_SECONDS = 1.5
    client.force_login(member(workspace_a, Role.AGENT).user)
    page = client.get("/care/").content.decode()
    assert 'data-poll-ms="1500"' in page
