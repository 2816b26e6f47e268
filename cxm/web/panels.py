"""Panels that one module adds to another module's page. A page lower in the dependency order
cannot import the module above it that knows more about what it shows, so the module above
registers a panel source for a named slot when its app loads, and the page renders whatever HTML
comes back, in registration order:

    care.case.message  each message of a care case   <- ads: a comment under an ad says whether it
                                                        is hidden and offers to hide it (ads/apps.py)
                                                     <- care: a Facebook Page or Instagram comment
                                                        can be hidden or liked there, a YouTube
                                                        comment moderated (care/apps.py)

A source gets the request and the page's items and answers `{item.pk: html}` for the items it has
something to say about (nothing for the rest), in a fixed number of queries for the whole list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString

CASE_MESSAGE = "care.case.message"

PanelSource = Callable[[HttpRequest, Sequence[Any]], Mapping[Any, SafeString]]

_SOURCES: dict[str, dict[str, PanelSource]] = {}


def register_panel(slot: str, name: str, source: PanelSource) -> None:
    _SOURCES.setdefault(slot, {})[name] = source


def unregister_panel(slot: str, name: str) -> None:
    _SOURCES.get(slot, {}).pop(name, None)


def registered_panels(slot: str) -> dict[str, PanelSource]:
    return dict(_SOURCES.get(slot, {}))


def panels_for(slot: str, request: HttpRequest, items: Sequence[Any]) -> dict[Any, list[SafeString]]:
    """Every registered source's panels for `items`: `{item.pk: [html, ...]}`."""
    found: dict[Any, list[SafeString]] = {}
    if not items:
        return found
    for source in list(_SOURCES.get(slot, {}).values()):
        for key, html in source(request, items).items():
            found.setdefault(key, []).append(html)
    return found
