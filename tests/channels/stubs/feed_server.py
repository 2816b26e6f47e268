"""A feed host on 127.0.0.1 for connector tests: RSS 2.0 and Atom documents the test can change,
ETag / If-None-Match (and If-Modified-Since) answered with 304, and injectable error answers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from xml.sax.saxutils import escape

from tests.stub_server import Answer, Request, StubServer


@dataclass(frozen=True)
class FeedEntry:
    id: str | None
    title: str
    link: str | None = None
    summary: str = ""  # HTML
    published: datetime | None = None
    author: str = ""


@dataclass
class _Document:
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime


@dataclass
class _Failure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class FeedServer(StubServer):
    """Use as a context manager; `url(path)` is where `set_document(path, ...)` is served."""

    name = "feed"

    def __init__(self) -> None:
        super().__init__()
        self._documents: dict[str, _Document] = {}
        self._failures: list[_Failure] = []
        self.route("GET", ".*", self._get)

    def url(self, path: str = "/feed.xml") -> str:
        return f"{self.base_url}{path}"

    def set_document(
        self, path: str, body: str | bytes, *, content_type: str = "application/rss+xml; charset=utf-8"
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        with self._lock:
            self._documents[path] = _Document(data, content_type, etag, datetime.now(UTC))

    def fail_next(self, status: int, *, headers: dict[str, str] | None = None, times: int = 1) -> None:
        """The next `times` requests, to any path, get `status` instead of the document."""
        with self._lock:
            self._failures.extend(_Failure(status, dict(headers or {})) for _ in range(times))

    def _get(self, request: Request) -> Answer:
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
            document = self._documents.get(request.target)
        if failure is not None:
            return Answer(failure.status, failure.body or b"failure injected", failure.headers)
        if document is None:
            return Answer(404, b"no such feed")
        validators = {
            "ETag": document.etag,
            "Last-Modified": format_datetime(document.last_modified, usegmt=True),
        }
        if _not_modified(request, document):
            return Answer(304, b"", validators)
        return Answer(200, document.body, {"Content-Type": document.content_type, **validators})


def _not_modified(request: Request, document: _Document) -> bool:
    # RFC 9110: If-None-Match wins; If-Modified-Since only counts without it.
    if_none_match = request.header("If-None-Match")
    if if_none_match:
        return document.etag in [tag.strip() for tag in if_none_match.split(",")]
    since = request.header("If-Modified-Since")
    if since:
        try:
            return document.last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def rss_document(
    entries: list[FeedEntry],
    *,
    title: str = "Kopi Nusantara News",
    link: str = "https://kopi.example/",
    language: str | None = "en-us",
) -> str:
    """An RSS 2.0 document; entries with `id=None` have no <guid>."""
    items = []
    for entry in entries:
        parts = [f"<title>{escape(entry.title)}</title>"]
        if entry.id is not None:
            parts.append(f'<guid isPermaLink="false">{escape(entry.id)}</guid>')
        if entry.link:
            parts.append(f"<link>{escape(entry.link)}</link>")
        if entry.summary:
            parts.append(f"<description>{escape(entry.summary)}</description>")
        if entry.published:
            parts.append(f"<pubDate>{format_datetime(entry.published)}</pubDate>")
        if entry.author:
            parts.append(f"<dc:creator>{escape(entry.author)}</dc:creator>")
        items.append("<item>" + "".join(parts) + "</item>")
    language_tag = f"<language>{language}</language>" if language else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{escape(title)}</title><link>{escape(link)}</link>{language_tag}"
        "<description>Test feed</description>" + "".join(items) + "</channel></rss>"
    )


def atom_document(
    entries: list[FeedEntry],
    *,
    title: str = "Teh Segar Reviews",
    link: str = "https://reviews.example/",
    language: str | None = "id",
) -> str:
    """An Atom 1.0 document; the feed's language goes in xml:lang."""
    lang = f' xml:lang="{language}"' if language else ""
    body = []
    for entry in entries:
        when = (entry.published or datetime(2025, 1, 1, tzinfo=UTC)).isoformat()
        parts = [f"<title>{escape(entry.title)}</title>", f"<updated>{when}</updated>"]
        if entry.id is not None:
            parts.append(f"<id>{escape(entry.id)}</id>")
        if entry.link:
            parts.append(f'<link rel="alternate" href="{_attr(entry.link)}"/>')
        if entry.summary:
            parts.append(f'<content type="html">{escape(entry.summary)}</content>')
        if entry.published:
            parts.append(f"<published>{when}</published>")
        if entry.author:
            parts.append(f"<author><name>{escape(entry.author)}</name></author>")
        body.append("<entry>" + "".join(parts) + "</entry>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom"{lang}>'
        f'<title>{escape(title)}</title><link href="{_attr(link)}"/><id>urn:test:{escape(title)}</id>'
        "<updated>2025-06-01T00:00:00Z</updated>" + "".join(body) + "</feed>"
    )
