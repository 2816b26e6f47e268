"""The widget brands embed is served by this server, and stays small."""

from __future__ import annotations

import gzip

import pytest
from django.conf import settings

WIDGET = settings.BASE_DIR / "static" / "webchat"
BUDGET = 8 * 1024  # bytes gzipped, script and stylesheet together


@pytest.mark.django_db
def test_the_widget_is_served_from_our_own_static_files(client):
    script = client.get("/static/webchat/widget.js")
    sheet = client.get("/static/webchat/widget.css")

    assert script.status_code == 200 and "javascript" in script["Content-Type"]
    assert sheet.status_code == 200 and sheet["Content-Type"].startswith("text/css")


def test_the_widget_stays_small_on_the_wire():
    gzipped = sum(len(gzip.compress((WIDGET / name).read_bytes(), 9)) for name in ("widget.js", "widget.css"))

    assert gzipped < BUDGET
