"""RSS 2.0 / Atom feeds as a listening source (blogs, news, review sites); read-only.

The feed is fetched with a conditional GET (the cursor keeps the ETag and Last-Modified) and
parsed by feedparser from the bytes we fetched, so feedparser never opens a connection itself.
Feeds keep old entries around and insert new ones anywhere, so the cursor also remembers the
ids already delivered: each entry is delivered once, however often it stays in the feed.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import feedparser
import httpx

from cxm.channels.connectors.base import (
    AccountConfig,
    Author,
    FetchPage,
    Item,
    ItemKind,
    Limits,
    NotSupported,
    Outgoing,
    PermanentError,
    PostMetrics,
    Published,
    http_call,
    http_client,
    outbound_check,
)

SEEN_LIMIT = 500  # ids remembered beyond those still in the feed
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"


class RssConnector:
    platform: ClassVar[str] = "rss"

    def __init__(
        self,
        config: AccountConfig,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.feed_url = _feed_url(config)
        self.item_kind = str(config.options.get("item_kind") or ItemKind.POST)
        if self.item_kind not in ItemKind.ALL:
            raise PermanentError(f"unknown item_kind {self.item_kind!r} for an RSS feed")
        self.http = http or http_client(base_url="")
        self._clock = clock

    def check(self) -> str:
        """Fetch and parse the feed; return its title (or its URL when it has none)."""
        parsed = self._parse(self._get({}))
        return _clean(parsed.feed.get("title", "")) or self.feed_url

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        response = self._get(cursor)
        if response.status_code == 304:
            return FetchPage([], cursor)
        parsed = self._parse(response)

        seen: list[str] = list(cursor.get("seen") or [])
        already = set(seen)
        in_feed: dict[str, None] = {}  # ordered set
        items: list[Item] = []
        for entry in parsed.entries:
            external_id = _entry_id(entry)
            if external_id in in_feed:
                continue
            in_feed[external_id] = None
            if external_id not in already:
                items.append(self._item(entry, external_id, parsed.feed))
        items.sort(key=lambda item: item.created_at)

        # Everything still in the feed must stay remembered, or it would come back as new; older
        # ids are kept up to SEEN_LIMIT in case an entry reappears.
        older = [external_id for external_id in seen if external_id not in in_feed]
        remembered = [*in_feed, *older][: max(SEEN_LIMIT, len(in_feed))]
        next_cursor: dict[str, Any] = {"seen": remembered}
        if response.headers.get("ETag"):
            next_cursor["etag"] = response.headers["ETag"]
        if response.headers.get("Last-Modified"):
            next_cursor["last_modified"] = response.headers["Last-Modified"]
        return FetchPage(items, next_cursor)

    def publish(self, outgoing: Outgoing) -> Published:
        raise NotSupported("an RSS feed cannot be published to")

    def reply(self, outgoing: Outgoing) -> Published:
        raise NotSupported("an RSS feed cannot be replied to")

    def fetch_metrics(self, external_ids: list[str]) -> list[PostMetrics]:
        raise NotSupported("an RSS feed has no metrics")

    def limits(self) -> Limits:
        return Limits(0, 0, can_publish=False, can_reply=False)

    def _get(self, cursor: dict[str, Any]) -> httpx.Response:
        headers = {"Accept": ACCEPT}
        if cursor.get("etag"):
            headers["If-None-Match"] = str(cursor["etag"])
        if cursor.get("last_modified"):
            headers["If-Modified-Since"] = str(cursor["last_modified"])
        outbound_check(self.feed_url, self.config)
        response = http_call(self.http, "GET", self.feed_url, headers=headers)
        if response.status_code == 304:
            return response
        if 300 <= response.status_code < 400:
            # Redirects are not followed, so a feed cannot lead us to a host nobody checked;
            # the account owner updates the URL instead.
            location = response.headers.get("Location", "")
            raise PermanentError(f"feed moved ({response.status_code}) to {location or 'elsewhere'}")
        return response

    def _parse(self, response: httpx.Response) -> Any:
        # A stream, not a string: given a string, feedparser may treat it as a URL or a path.
        parsed = feedparser.parse(
            io.BytesIO(response.content),
            response_headers={
                "content-type": response.headers.get("Content-Type", "application/xml"),
                "content-location": self.feed_url,
            },
        )
        if not parsed.get("version") and not parsed.entries:
            raise PermanentError("the answer is not an RSS or Atom feed")
        return parsed

    def _item(self, entry: Any, external_id: str, feed: Any) -> Item:
        feed_link = str(feed.get("link") or self.feed_url)
        feed_title = _clean(feed.get("title", "")) or feed_link
        detail = entry.get("author_detail") or {}
        identity = str(detail.get("email") or entry.get("author") or "")
        author = Author(
            platform_id=identity or feed_link,
            handle=identity or feed_title,
            name=str(detail.get("name") or entry.get("author") or feed_title),
            url=str(detail.get("href") or feed_link),
        )
        title = _text_of(entry.get("title_detail"), entry.get("title", ""))
        body = _summary(entry)
        text = "\n\n".join(part for part in (title, body) if part) if body != title else title
        return Item(
            platform=self.platform,
            external_id=external_id,
            author=author,
            text=text,
            created_at=_entry_time(entry) or self._clock(),
            kind=self.item_kind,
            url=str(entry.get("link") or ""),
            language_hint=_language(entry, feed),
            raw={
                "feed_url": self.feed_url,
                "feed_title": feed_title,
                "title": title,
                "tags": [tag.get("term") for tag in entry.get("tags") or [] if tag.get("term")],
            },
        )


def feed_url_of(base_url: str, options: dict[str, Any]) -> str:
    """The feed's address: `options["feed_url"]` (relative to `base_url` when both are given)."""
    option = str(options.get("feed_url") or "")
    return urljoin(base_url, option) if base_url and option else option or base_url


def _feed_url(config: AccountConfig) -> str:
    url = feed_url_of(config.base_url, config.options)
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise PermanentError("the RSS account needs an absolute http(s) feed_url")
    return url


def _entry_id(entry: Any) -> str:
    """The guid/id, else the link, else a hash of title and date (some feeds give nothing else)."""
    if entry.get("id"):
        return str(entry["id"])
    if entry.get("link"):
        return str(entry["link"])
    seed = f"{entry.get('title', '')}\n{entry.get('published') or entry.get('updated') or ''}"
    return "sha256:" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]


def _entry_time(entry: Any) -> datetime | None:
    # feedparser normalises every date format it knows into a UTC struct_time.
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime(*value[:6], tzinfo=UTC)
    return None


def _summary(entry: Any) -> str:
    if entry.get("summary"):
        return _text_of(entry.get("summary_detail"), entry["summary"])
    for content in entry.get("content") or []:
        if content.get("value"):
            return _text_of(content, content["value"])
    return ""


def _language(entry: Any, feed: Any) -> str | None:
    """The primary language subtag ("en-US" -> "en"), from the entry's xml:lang or the feed's."""
    candidates = [(entry.get(key) or {}).get("language") for key in ("summary_detail", "title_detail")]
    candidates += [content.get("language") for content in entry.get("content") or []]
    candidates.append(feed.get("language"))
    for value in candidates:
        if value:
            primary = str(value).strip().replace("_", "-").split("-")[0].lower()
            if primary.isalpha():
                return primary
    return None


def _text_of(detail: Any, value: str) -> str:
    if detail and detail.get("type") == "text/plain":
        return _clean(value)
    return html_to_text(value)


def _clean(value: str) -> str:
    return re.sub(r"\s+", " ", str(value)).strip()


_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "tr", "table", "section", "article", "header", "footer", "hr", "figure", "figcaption", "dd", "dt",
}  # fmt: skip
_SKIPPED_TAGS = {"script", "style", "template", "noscript"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:  # <br/>, <hr/>: one line break, not two
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, paragraphs kept."""
    parser = _TextExtractor()
    parser.feed(str(markup))
    parser.close()
    lines = [re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in "".join(parser.parts).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
