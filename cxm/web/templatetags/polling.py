"""How often an open page asks the server again, from the CXM_*_POLL_SECONDS settings: pages
poll on production intervals, the suite's browsers on short ones."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()

POLL_SETTINGS = {
    "inbox": "CXM_INBOX_POLL_SECONDS",
    "status": "CXM_STATUS_POLL_SECONDS",
}


def _seconds(name: str) -> float:
    return float(getattr(settings, POLL_SETTINGS[name]))


@register.simple_tag
def poll_every(name: str) -> str:
    """An htmx trigger, e.g. `every 2s` (fractions of a second allowed)."""
    return f"every {_seconds(name):g}s"


@register.simple_tag
def poll_ms(name: str) -> int:
    """The same interval in milliseconds, for scripts."""
    return round(_seconds(name) * 1000)
