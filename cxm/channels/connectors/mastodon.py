"""Mastodon: mentions and direct messages from notifications, listening through full-text search,
publishing with an Idempotency-Key, deleting a published status, and post metrics from a status's
own counters.

The cursor `fetch` returns looks like::

    {
        "notifications": "<newest mention notification id delivered>",
        "search": {"<term>": "<newest matching status id delivered>", ...},
        "seen": {"<status id>": "<thread root id>", ...},  # the most recent statuses delivered
    }

Every source pages forward with `min_id`: Mastodon answers with the `limit` items immediately newer
than `min_id` (newest first in the body), so the newest id of a page is exactly where the next page
starts: the same id its Link rel="prev" carries. A page that comes back full means more may wait, so
`more=True`. Nothing is fetched twice and nothing is skipped as long as the caller stores each page's
items together with its cursor; after an error it keeps its old cursor and asks again.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import httpx

from cxm.channels.connectors.base import (
    AccountConfig,
    AuthError,
    Author,
    FetchPage,
    Item,
    ItemKind,
    Limits,
    Media,
    Outgoing,
    PermanentError,
    PostMetrics,
    Published,
    TransientError,
    http_call,
    http_client,
    outbound_check,
)

logger = logging.getLogger(__name__)

DEFAULT_MAX_CHARACTERS = 500
DEFAULT_MAX_MEDIA = 4
# How many delivered statuses the cursor remembers, to drop one reached through both a mention
# and a search on a later call and to find the root of a conversation answered across calls.
SEEN_KEEP = 200


class MastodonConnector:
    platform: ClassVar[str] = "mastodon"

    # Search answers at most 40 statuses per call; notifications take up to 80, but one size keeps
    # a call's cost predictable. Instances (tests) may lower it.
    page_size: int = 40
    # Large uploads are processed after the upload returns; a status cannot attach them before.
    media_poll_interval: float = 1.0
    media_poll_attempts: int = 60

    def __init__(self, config: AccountConfig, *, http: httpx.Client | None = None) -> None:
        self.config = config
        self._base = config.base_url.rstrip("/")
        self._host = (urlsplit(self._base).hostname or "").lower()
        self._token = config.credentials.get("access_token", "")
        self._http = http or http_client(base_url=self._base)
        self._account: dict[str, Any] | None = None
        self._limits: Limits | None = None

    # --- identity -------------------------------------------------------------------------------

    def check(self) -> str:
        return "@" + str(self._me().get("acct", ""))

    def _me(self) -> dict[str, Any]:
        if self._account is None:
            self._account = self._call("GET", "/api/v1/accounts/verify_credentials").json()
        return self._account

    # --- listening --------------------------------------------------------------------------------

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        my_id = str(self._me()["id"])
        statuses: list[dict[str, Any]] = []
        more = False

        found, newest_notification, full = self._mentions_page(cursor.get("notifications"))
        statuses += found
        more = more or full

        positions: dict[str, str] = {}
        previous = cursor.get("search") or {}
        for term in self._search_terms():
            found, positions[term], full = self._search_page(term, previous.get(term))
            statuses += found
            more = more or full

        seen: dict[str, str] = {str(k): str(v) for k, v in (cursor.get("seen") or {}).items()}
        items: list[Item] = []
        # Oldest first, so a parent delivered in this same page is known before its replies.
        for status in sorted(statuses, key=lambda s: _id_key(str(s["id"]))):
            status_id = str(status["id"])
            if status_id in seen:
                continue
            parent = status.get("in_reply_to_id")
            root = seen.get(str(parent), str(parent)) if parent else status_id
            seen[status_id] = root
            items.append(self._item(status, my_id=my_id, thread_id=root))

        next_cursor = {
            "notifications": newest_notification,
            "search": positions,
            "seen": dict(sorted(seen.items(), key=lambda kv: _id_key(kv[0]))[-SEEN_KEEP:]),
        }
        return FetchPage(items=items, cursor=next_cursor, more=more)

    def _mentions_page(self, after: str | None) -> tuple[list[dict[str, Any]], str, bool]:
        """One page of mention notifications newer than `after` (the latest page when None)."""
        params: list[tuple[str, str]] = [("types[]", "mention"), ("limit", str(self.page_size))]
        if after:
            params.append(("min_id", after))
        notifications = self._call("GET", "/api/v1/notifications", params=params).json()
        if after:
            # Defensive against servers that ignore min_id: never hand back what was delivered.
            notifications = [n for n in notifications if _id_key(str(n["id"])) > _id_key(after)]
        if not notifications:
            # With no mention at all yet, every later one is news: page forward from the start.
            return [], after or "0", False
        newest = max((str(n["id"]) for n in notifications), key=_id_key)
        found = [n["status"] for n in notifications if n.get("type") == "mention" and n.get("status")]
        # A first call takes the latest page only: older mentions are history, not news.
        return found, newest, bool(after) and len(notifications) >= self.page_size

    def _search_page(self, term: str, after: str | None) -> tuple[list[dict[str, Any]], str, bool]:
        """One page of statuses matching `term` newer than `after`.

        A term without a position starts from now: its newest current match becomes the position
        and nothing older is returned, so adding a term never replays the instance's history. With
        no match yet the position is "0": whatever matches later is new.

        Paging follows the documented min_id contract (the matches immediately newer than it).
        Elasticsearch-backed servers instead sort matches newest first and read min_id as a time
        bound; there the filter below still keeps positions exact, but more than a page of new
        matches between two polls would leave the oldest of them out, hence the largest page.
        """
        if after is None:
            baseline = self._search(term, limit=1)
            return [], max((str(s["id"]) for s in baseline), key=_id_key, default="0"), False
        found = self._search(term, limit=self.page_size, min_id=after)
        full = len(found) >= self.page_size
        # Search backends differ in how exactly they honour min_id; the position is the contract.
        found = [s for s in found if _id_key(str(s["id"])) > _id_key(after)]
        newest = max((str(s["id"]) for s in found), key=_id_key, default=after)
        return found, newest, full

    def _search(self, term: str, *, limit: int, min_id: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, str | int] = {"q": term, "type": "statuses", "limit": limit}
        if min_id is not None:
            params["min_id"] = min_id
        return self._call("GET", "/api/v2/search", params=params).json().get("statuses") or []

    def _search_terms(self) -> list[str]:
        terms = self.config.options.get("search_terms") or []
        if isinstance(terms, str):
            terms = [terms]
        return list(dict.fromkeys(t.strip() for t in terms if t and t.strip()))

    def _item(self, status: dict[str, Any], *, my_id: str, thread_id: str) -> Item:
        account = status.get("account") or {}
        if status.get("visibility") == "direct":
            kind = ItemKind.DM
        elif status.get("in_reply_to_account_id") and str(status["in_reply_to_account_id"]) == my_id:
            kind = ItemKind.COMMENT
        else:
            kind = ItemKind.POST
        parent = status.get("in_reply_to_id")
        return Item(
            platform=self.platform,
            external_id=str(status["id"]),
            author=Author(
                platform_id=str(account.get("id", "")),
                handle=self._handle(str(account.get("acct", ""))),
                name=account.get("display_name") or account.get("username") or "",
                url=account.get("url") or "",
            ),
            text=html_to_text(status.get("content") or ""),
            created_at=_parse_time(status["created_at"]),
            kind=kind,
            url=status.get("url") or status.get("uri") or "",
            in_reply_to=str(parent) if parent else None,
            thread_id=thread_id,
            language_hint=status.get("language") or None,
            # A content warning is the line a reader sees before opening the post.
            subject=status.get("spoiler_text") or "",
            raw=status,
        )

    def _handle(self, acct: str) -> str:
        # Local accounts come without a domain; the handle must say which server they live on.
        return f"@{acct}" if "@" in acct else f"@{acct}@{self._host}"

    # --- publishing ---------------------------------------------------------------------------------

    def publish(self, outgoing: Outgoing) -> Published:
        return self._post_status(outgoing)

    def reply(self, outgoing: Outgoing) -> Published:
        if not outgoing.reply_to:
            raise PermanentError("a reply needs the id of the status it answers")
        return self._post_status(outgoing)

    def _post_status(self, outgoing: Outgoing) -> Published:
        limits = self.limits()
        if len(outgoing.media) > limits.max_media:
            raise PermanentError(
                f"{len(outgoing.media)} attachments; this server takes at most {limits.max_media}"
            )
        body: dict[str, Any] = {"status": outgoing.text}
        if outgoing.recipient:
            mention = "@" + outgoing.recipient.strip().lstrip("@")
            words = outgoing.text.split(maxsplit=1)
            if not words or words[0].lower() != mention.lower():
                body["status"] = f"{mention} {outgoing.text}"
            body["visibility"] = "direct"
        if outgoing.reply_to:
            body["in_reply_to_id"] = outgoing.reply_to
        # A retry uploads its media again: the server keys the status, not the uploads, and removes
        # attachments no status uses.
        media_ids = [self._upload(media) for media in outgoing.media]
        if media_ids:
            body["media_ids"] = media_ids
        status = self._call(
            "POST", "/api/v1/statuses", json=body, headers={"Idempotency-Key": outgoing.idempotency_key}
        ).json()
        return Published(external_id=str(status["id"]), url=status.get("url") or "", raw=status)

    def delete(self, external_id: str) -> None:
        """Delete one of the account's statuses: `DELETE /api/v1/statuses/:id`, which answers the
        deleted Status; a status that is not there (404 "Record not found") raises `Gone`."""
        self._call("DELETE", f"/api/v1/statuses/{quote(str(external_id), safe='')}")

    def _upload(self, media: Media) -> str:
        data = {"description": media.description} if media.description else None
        response = self._call(
            "POST",
            "/api/v2/media",
            files={"file": (media.filename, media.data, media.content_type)},
            data=data,
        )
        media_id = str(response.json()["id"])
        if response.status_code == 202:
            # 202: accepted but still processing; GET answers 206 until it is ready, then 200.
            for _ in range(self.media_poll_attempts):
                time.sleep(self.media_poll_interval)
                if self._call("GET", f"/api/v1/media/{quote(media_id, safe='')}").status_code == 200:
                    break
            else:
                raise TransientError(f"media {media.filename!r} is still processing on the server")
        return media_id

    # --- metrics and limits ---------------------------------------------------------------------------

    def fetch_metrics(self, external_ids: list[str]) -> list[PostMetrics]:
        metrics: list[PostMetrics] = []
        for external_id in external_ids:
            try:
                status = self._call("GET", f"/api/v1/statuses/{quote(str(external_id), safe='')}").json()
            except PermanentError as exc:
                # Deleted or no longer visible: it has no counters, and must not hide the others'.
                logger.info("mastodon status %s has no metrics: %s", external_id, exc)
                continue
            metrics.append(
                PostMetrics(
                    external_id=str(status["id"]),
                    likes=int(status.get("favourites_count") or 0),
                    reposts=int(status.get("reblogs_count") or 0),
                    replies=int(status.get("replies_count") or 0),
                    raw=status,
                )
            )
        return metrics

    def limits(self) -> Limits:
        if self._limits is None:
            try:
                document = self._call("GET", "/api/v2/instance").json()
            except PermanentError:
                # Servers before 4.0 only have v1, which carries the same configuration block
                # (Pleroma and Akkoma say max_toot_chars instead).
                document = self._call("GET", "/api/v1/instance").json()
            statuses = (document.get("configuration") or {}).get("statuses") or {}
            self._limits = Limits(
                max_text_length=int(
                    statuses.get("max_characters") or document.get("max_toot_chars") or DEFAULT_MAX_CHARACTERS
                ),
                max_media=int(statuses.get("max_media_attachments") or DEFAULT_MAX_MEDIA),
                length_unit="characters",
            )
        return self._limits

    # --- HTTP --------------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if not self._token:
            raise AuthError("no access token for this Mastodon account")
        headers = {"Authorization": f"Bearer {self._token}", **kwargs.pop("headers", {})}
        outbound_check(self._base, self.config)
        return http_call(self._http, method, self._base + path, headers=headers, **kwargs)


def _id_key(value: str) -> tuple[int, str]:
    # Ids are decimal strings (snowflakes) that outgrow 64-bit floats; compare them as numbers
    # without converting. Equal-length base62 ids (Pleroma) still order correctly.
    return len(value), value


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_BLOCKS = {"p", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._pre = 0
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "li":
            self.parts.append("\n")
        if tag == "pre":
            self._pre += 1
        elif tag in ("script", "style"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        elif tag in ("script", "style"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        # Outside <pre>, source line breaks are just spaces in HTML; breaks come from tags.
        self.parts.append(data if self._pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Mastodon's sanitised status HTML as plain text: a blank line between paragraphs, a line
    break for <br>, tags dropped, entities decoded, link text kept in full."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
