"""A crawler for the web UI in the Django test client: from the home page it follows every
same-origin link and submits every GET form (with its defaults, then with one field filled),
bounded in pages, and reports what it saw on each page.

The English left on an Indonesian page is found through the catalogue itself: a text on the page
that equals an English msgid whose Indonesian msgstr differs is a string that was not translated
(rendered without gettext, or outside the active language). People's own words (a term cloud, say)
are marked `translate="no"` in the page, as HTML means it, and are not read."""

from __future__ import annotations

import gettext
import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.conf import settings

# Not crawled: files, the API (JSON, walked by tests/kernel/test_route_walker.py), the Django admin
# (its own, English-only tool for platform owners) and links that leave the workspace's UI.
SKIPPED_PREFIXES = ("/static/", "/media/", "/api/v1/", "/django-admin/", "/accounts/logout/")
# Pages drawn by a third-party script: drf-spectacular's Swagger UI draws its own heading.
NO_HEADING_PAGES = ("/api/docs/",)
FILLED_TEXT = "kopi"
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

# Proper nouns and codes that read the same in both languages.
SAME_IN_BOTH = {
    "Mastodon", "Bluesky", "Facebook", "Instagram", "Meta", "X", "Threads", "LinkedIn", "TikTok",
    "YouTube", "WhatsApp", "Telegram", "CXM", "API", "CSV", "RSS", "Email", "Webhook", "Demo",
    "NPS", "CSAT", "SLA", "ROI", "KPI", "URL", "ID",
}


@dataclass
class Page:
    url: str
    status: int
    content_type: str
    h1_count: int = 0
    texts: list[str] = field(default_factory=list)


class _PageParser(HTMLParser):
    """Links, GET forms, h1 count and visible text nodes of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict] = []
        self.h1_count = 0
        self.texts: list[str] = []
        self._hidden_depth = 0
        # Open elements inside one marked translate="no" (people's own words: terms, names).
        self._own_words: list[str] = []
        self._form: dict | None = None
        self._select: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in VOID_ELEMENTS and (self._own_words or attrs.get("translate") == "no"):
            self._own_words.append(tag)
        if tag in ("script", "style", "template", "noscript"):
            self._hidden_depth += 1
        elif tag == "h1":
            self.h1_count += 1
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            method = (attrs.get("method") or "get").lower()
            self._form = {"action": attrs.get("action") or "", "fields": []} if method == "get" else None
            if self._form is not None:
                self.forms.append(self._form)
        elif self._form is not None and tag == "input" and attrs.get("name"):
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                self._form["fields"].append({"name": attrs["name"], "kind": kind, "value": None,
                                             "choices": [attrs.get("value", "on")]})
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self._form["fields"].append({"name": attrs["name"], "kind": kind,
                                             "value": attrs.get("value", ""), "choices": []})
        elif self._form is not None and tag == "select" and attrs.get("name"):
            self._select = {"name": attrs["name"], "kind": "select", "value": None, "choices": []}
            self._form["fields"].append(self._select)
        elif self._select is not None and tag == "option":
            value = attrs.get("value", "")
            self._select["choices"].append(value)
            if "selected" in attrs:
                self._select["value"] = value
        elif self._form is not None and tag == "textarea" and attrs.get("name"):
            self._form["fields"].append({"name": attrs["name"], "kind": "text", "value": "", "choices": []})

    def handle_endtag(self, tag):
        if self._own_words and self._own_words[-1] == tag:
            self._own_words.pop()
        if tag in ("script", "style", "template", "noscript"):
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            if self._select["value"] is None and self._select["choices"]:
                self._select["value"] = self._select["choices"][0]
            self._select = None

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self._hidden_depth and not self._own_words:
            self.texts.append(text)


def _form_urls(page_url: str, form: dict) -> list[str]:
    """The form with its defaults, then once with its first free-text or choice field changed."""
    action = urljoin(page_url, form["action"] or page_url)
    defaults = [(f["name"], f["value"]) for f in form["fields"] if f["value"] is not None]
    urls = [_with_query(action, defaults)]
    for f in form["fields"]:
        if f["kind"] in ("text", "search") and not f["value"]:
            filled = FILLED_TEXT
        elif f["kind"] == "date":
            filled = "2026-11-20"
        elif f["choices"] and any(choice and choice != f["value"] for choice in f["choices"]):
            filled = next(choice for choice in f["choices"] if choice and choice != f["value"])
        else:
            continue
        others = [(name, value) for name, value in defaults if name != f["name"]]
        urls.append(_with_query(action, [*others, (f["name"], filled)]))
        break
    return urls


def _with_query(action: str, pairs: list[tuple[str, str]]) -> str:
    parts = urlsplit(action)
    return parts._replace(query=urlencode(pairs)).geturl()


def _crawl_key(url: str, *, query_values: bool) -> tuple[str, tuple]:
    """Same path and the same query up to its numbers (dates, weeks, pages): one page to visit.
    Without `query_values`, the query's names alone tell pages apart (same template, same words)."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, True)
    if not query_values:
        return parts.path, tuple(sorted({name for name, _ in pairs}))
    return parts.path, tuple(sorted((name, re.sub(r"\d+", "0", value)) for name, value in pairs))


def _same_origin(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("", "http") and parts.netloc in ("", "testserver")


def crawl(client, *, start: str = "/", max_pages: int = 300, query_values: bool = True) -> list[Page]:
    """Every page reachable from `start` through links and GET forms, at most `max_pages`."""
    queue = deque([start])
    seen = {_crawl_key(start, query_values=query_values)}
    pages: list[Page] = []
    while queue and len(pages) < max_pages:
        url = queue.popleft()
        response = client.get(url, follow=True)
        content_type = response.get("Content-Type", "")
        page = Page(url=url, status=response.status_code, content_type=content_type)
        pages.append(page)
        if "text/html" not in content_type or getattr(response, "streaming", False):
            continue
        parser = _PageParser()
        parser.feed(response.content.decode(errors="replace"))
        page.h1_count = parser.h1_count
        page.texts = parser.texts
        final_url = response.request["PATH_INFO"]
        candidates = [urljoin(final_url, href) for href in parser.links]
        for form in parser.forms:
            candidates.extend(_form_urls(final_url, form))
        for candidate in candidates:
            candidate = candidate.split("#")[0]
            if not candidate or not _same_origin(candidate):
                continue
            path_and_query = urlsplit(candidate)._replace(scheme="", netloc="").geturl()
            if path_and_query.startswith(SKIPPED_PREFIXES):
                continue
            key = _crawl_key(path_and_query, query_values=query_values)
            if key not in seen:
                seen.add(key)
                queue.append(path_and_query)
    return pages


def untranslated_msgids() -> tuple[set[str], re.Pattern[str]]:
    """English msgids whose Indonesian msgstr differs: exact ones, and patterns for those with
    placeholders."""
    catalogue = Path(settings.BASE_DIR) / "locale" / "id" / "LC_MESSAGES" / "django.mo"
    with catalogue.open("rb") as file:
        translations = gettext.GNUTranslations(file)
    exact: set[str] = set()
    patterns: list[str] = []
    # An Indonesian word that happens to be an English msgid too ("Tag") is not English left over.
    indonesian = {" ".join(str(msgstr).split()) for msgstr in translations._catalog.values()}
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
    for msgid, msgstr in translations._catalog.items():
        if not isinstance(msgid, str) or not msgid or msgid == msgstr:
            continue
        english = " ".join(msgid.split())
        english = english.split("\x04")[-1]  # msgctxt
        if english in SAME_IN_BOTH or english in indonesian:
            continue
        if placeholder.search(english):
            pieces = placeholder.split(english)
            if sum(len(piece.strip()) for piece in pieces) >= 8:
                patterns.append(".+".join(re.escape(piece) for piece in pieces))
        else:
            exact.add(english)
    return exact, re.compile("(?:" + "|".join(patterns) + ")$")


def english_left(page: Page, exact: set[str], patterns: re.Pattern[str]) -> list[str]:
    """Each English text with the text before it on the page, to tell where it stands."""
    return [
        f"{text!r} (after {page.texts[index - 1] if index else '':.40})"
        for index, text in enumerate(page.texts)
        if text not in SAME_IN_BOTH and (text in exact or patterns.match(text))
    ]


MENTIONS = [
    ("mastodon", "Kopi Nusantara Jakarta enak sekali, pelayanannya ramah!", "id"),
    ("bluesky", "Antre 30 menit di Kopi Nusantara, pesanan malah salah.", "id"),
    ("mastodon", "Loving the new cold brew from Kopi Nusantara", "en"),
    ("bluesky", "Kopi Nusantara app keeps crashing when I pay, terrible", "en"),
    ("rss", "Kopi Nusantara opens ten stores in Surabaya", "en"),
    ("web", "Ulasan: kopi susu Kopi Nusantara terlalu manis", "id"),
]


def seed_workspace(workspace) -> None:
    """One or more objects in every module, made by the same helpers the route tests use."""
    from ads.models import Ad, AdInsight
    from listening.services import mentions_ingest_payload
    from tests.kernel import test_tenancy_routes as samples

    mentions_ingest_payload(
        workspace_id=workspace.pk,
        items=[
            {
                "platform": platform,
                "external_id": f"crawl-{index}",
                "text": text,
                "language": language,
                "created_at": f"2026-11-{10 + index}T09:00:00Z",
                "author": {"handle": f"@fan{index}@example.social", "name": f"Fan {index}"},
                "engagement": index * 3,
            }
            for index, (platform, text, language) in enumerate(MENTIONS)
        ],
    )
    for make in (
        samples._alert,  # with its topic
        samples._saved_search,
        samples._post,  # with a demo-network account
        samples._pause,
        samples._case,
        samples._customer,
        samples._ad_comment,  # an ad account, campaign, ad set, ad and a comment under the ad
        samples._ad_feed,
        samples._ad_template,
        samples._assessment_round,
        samples._privacy_request,
        samples._value_driver,
        samples._business_unit,
        samples._brand,
        samples._audit,
    ):
        make(workspace)
    ad = Ad.objects.filter(workspace=workspace).first()
    AdInsight.objects.create(
        workspace=workspace,
        ad=ad,
        campaign_id=ad.campaign_id,
        ad_set_id=ad.ad_set_id,
        date="2026-11-20",
        currency="USD",
        impressions=12_500,
        clicks=340,
        spend=8_750_000,
    )
    # A website chat, so its snippet page is crawled too.
    from cxm.channels.webchat.services import widget_create
    from tests.factories import BrandFactory

    brand = BrandFactory(workspace=workspace)
    widget_create(workspace=workspace, brand=brand, allowed_origins=["https://shop.example"])
