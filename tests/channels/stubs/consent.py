"""The consent page a platform shows before it sends the browser back with a code, as the X and
Google stand-ins show it: a heading, what is asked, a link that grants (back to the redirect_uri
with `state` and `code`) and one that declines (`error=access_denied`). `approve` is where a
person's click on the granting link leads, for tests without a browser."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import httpx

from tests.stub_server import Answer

HTML = {"Content-Type": "text/html; charset=utf-8"}


def consent_page(
    *,
    title: str,
    heading: str,
    asks: str,
    redirect_uri: str,
    state: str,
    granted: dict[str, str],
    grant: str,
    decline: str,
) -> Answer:
    """The page; `granted` is what the granting link adds to the redirect_uri besides `state`."""
    back = f"{redirect_uri}?{urlencode({'state': state, **granted})}"
    declined = f"{redirect_uri}?{urlencode({'state': state, 'error': 'access_denied'})}"
    page = (
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(heading)}</h1><p>{html.escape(asks)}</p>"
        f'<a id="grant" href="{html.escape(back)}">{html.escape(grant)}</a> '
        f'<a id="decline" href="{html.escape(declined)}">{html.escape(decline)}</a></body></html>'
    )
    return Answer(200, page.encode(), HTML)


def refusal_page(status: int, text: str) -> Answer:
    """What the platform shows instead when the request is not one it will sign in for."""
    return Answer(status, f"<p>{html.escape(text)}</p>".encode(), HTML)


def approve(authorize_url: str) -> str:
    """The callback address the granting link of the consent page at `authorize_url` leads to."""
    page = httpx.get(authorize_url, timeout=5).text
    found = re.search(r'id="grant" href="([^"]+)"', page)
    assert found, page
    return html.unescape(found.group(1))
