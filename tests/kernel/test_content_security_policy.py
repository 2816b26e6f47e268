"""Every page carries a Content-Security-Policy of its own origin with a fresh nonce, and no
template holds what that policy would block: inline handlers, style attributes, or inline
scripts and styles without the nonce."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
INLINE_BLOCK = re.compile(r"<(script|style)(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.IGNORECASE)


def _nonce(header: str) -> str:
    return re.search(r"script-src 'self' 'nonce-([^']+)'", header).group(1)


@pytest.mark.django_db
def test_each_response_has_the_policy_with_a_fresh_nonce(client):
    first = client.get("/accounts/login/")
    second = client.get("/accounts/login/")
    policy = first["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert _nonce(policy) != _nonce(second["Content-Security-Policy"])


@pytest.mark.django_db
def test_an_inline_style_carries_the_nonce_of_its_response(client, workspace_a, member):
    client.force_login(member(workspace_a).user)
    response = client.get("/transformation/roi/print/")
    nonce = _nonce(response["Content-Security-Policy"])
    assert f'<style nonce="{nonce}">' in response.content.decode()


def test_no_template_holds_what_the_policy_blocks():
    offenders = []
    for path in sorted(Path(settings.BASE_DIR, "templates").rglob("*.html")):
        text = path.read_text()
        for pattern in (INLINE_HANDLER, STYLE_ATTRIBUTE, INLINE_BLOCK):
            offenders += [f"{path.name}: {match.group(0)[:80]}" for match in pattern.finditer(text)]
    assert offenders == []
