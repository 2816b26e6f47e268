"""Bluesky connector: AT Protocol XRPC over HTTP against the account's PDS (or the bsky.social entryway).

Listening reads the account's notifications (mentions, replies, quotes) and the configured search
terms. Publishing writes `app.bsky.feed.post` records into the account's own repository under a
record key derived from the idempotency key, so a retried publish finds its record instead of
posting twice; `delete` removes such a record again. A post record's key, its length in graphemes and its facets are worked out in
`bluesky_posts`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from cxm.channels.connectors.base import (
    AccountConfig,
    AuthError,
    Author,
    ConnectorError,
    FetchPage,
    Item,
    ItemKind,
    Limits,
    Media,
    NotSupported,
    Outgoing,
    PermanentError,
    PostMetrics,
    Published,
    RateLimited,
    TransientError,
    http_client,
    outbound_check,
    raise_for_http_status,
)
from cxm.channels.connectors.bluesky_posts import grapheme_count, text_facets, tid_from_key

DEFAULT_SERVICE = "https://bsky.social"
APP_URL = "https://bsky.app"
POST_COLLECTION = "app.bsky.feed.post"
MAX_GRAPHEMES = 300  # app.bsky.feed.post#text maxGraphemes
MAX_TEXT_BYTES = 3000  # app.bsky.feed.post#text maxLength (UTF-8 bytes): binds for long emoji sequences
MAX_IMAGES = 4  # app.bsky.embed.images#main images maxLength
MAX_IMAGE_BYTES = 1_000_000  # app.bsky.embed.images#image image maxSize
NOTIFICATION_REASONS = ("mention", "reply", "quote")
AT_URI = re.compile(r"at://([^/]+)/([^/]+)/([^/]+)")  # repo (a DID), collection, record key
GET_POSTS_BATCH = 25  # app.bsky.feed.getPosts uris maxLength
RECENT_URIS_KEPT = 300
# XRPC error names that blame the session or the credentials rather than the request.
SESSION_ERRORS = frozenset(
    {"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AccountTakedown", "AccountDeactivated"}
)


@dataclass
class _Session:
    did: str
    handle: str
    access_jwt: str = field(repr=False)
    refresh_jwt: str = field(repr=False)


class BlueskyConnector:
    """One Bluesky account, logged in with an app password (never the account password)."""

    platform: ClassVar[str] = "bluesky"

    def __init__(self, config: AccountConfig, *, http: httpx.Client | None = None) -> None:
        self.config = config
        self._service = (config.base_url or DEFAULT_SERVICE).rstrip("/")
        self._http = http or http_client(base_url=self._service)
        options = config.options
        self.search_terms: list[str] = [
            term.strip() for term in options.get("search_terms", []) if term and term.strip()
        ]
        self.page_size = max(1, min(100, int(options.get("page_size", 50))))
        # The search index lags a little behind the network, so a search window closes this long
        # before "now"; a post indexed late still lands inside the next window.
        self.search_settle = timedelta(seconds=float(options.get("search_settle_seconds", 30)))
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._session: _Session | None = None

    # -- the Connector interface ------------------------------------------------------------

    def check(self) -> str:
        return self._login().handle

    def limits(self) -> Limits:
        return Limits(max_text_length=MAX_GRAPHEMES, max_media=MAX_IMAGES, length_unit="graphemes")

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        """Mentions, replies and quotes from notifications, plus posts matching the search terms.

        Both endpoints page newest-first, so "only what is new" is kept per source in the cursor:

        - notifications: `mark` is the newest `indexedAt` already delivered (with the uris sharing
          that instant, since several notifications can have the same one). A call reads from the
          top and delivers what is above the mark. When a whole page is new the rest lies further
          down: the call returns that page with more=True and a `sweep` holding the platform cursor
          of the next (older) page and the mark to adopt once the sweep is done. Later calls follow
          the sweep down until they reach the old mark, then adopt the new one. The platform cursor
          is a keyset (position in time), so notifications arriving meanwhile do not shift the pages
          being swept; they sit above the new mark and come with the next sweep.
        - search: `since` is where the next window starts. A call searches [since, now - settle)
          with sort=latest; the window's upper bound is pinned in `sweep` while it takes more than one
          page, so the platform cursor (an offset on bsky.social) walks a result set that does not
          move. When the window is exhausted, `since` becomes its upper bound. Search's `since` is
          inclusive and `until` exclusive, so a post on the boundary belongs to exactly one window.

        A fresh (empty) cursor takes the latest page of notifications and starts search at now,
        with no backfill. The cursor only advances with a returned page: when a request fails
        (429 included) the call raises and the caller retries later with the cursor it already
        has, which replays the same pages. `recent` keeps the last delivered uris, so a mention
        that shows up both as a notification and in search is delivered once.
        """
        session = self._ensure_session()
        # Marks are updated in place below; the caller's cursor must stay valid if this call fails.
        cursor = copy.deepcopy(cursor)
        recent: list[str] = list(cursor.get("recent", []))
        seen = set(recent)
        views: list[dict[str, Any]] = []

        notes_state, note_views, more = self._fetch_notifications(cursor.get("notifications"))
        views.extend(note_views)

        now = self.clock()
        previous_search: dict[str, Any] = cursor.get("search", {})
        search_state: dict[str, Any] = {}
        for term in self.search_terms:
            state, found, term_more = self._fetch_search(term, previous_search.get(term), now)
            search_state[term] = state
            views.extend(found)
            more = more or term_more

        items: list[Item] = []
        for view in views:
            uri = view.get("uri", "")
            author_did = (view.get("author") or {}).get("did")
            if not uri or uri in seen or author_did == session.did:
                continue  # already delivered, or the account's own post
            seen.add(uri)
            recent.append(uri)
            items.append(self._item(view, own_did=session.did))
        items.sort(key=lambda item: (item.created_at, item.external_id))

        new_cursor = {
            "notifications": notes_state,
            "search": search_state,
            "recent": recent[-RECENT_URIS_KEPT:],
        }
        return FetchPage(items=items, cursor=new_cursor, more=more)

    def publish(self, outgoing: Outgoing) -> Published:
        return self._post(outgoing)

    def reply(self, outgoing: Outgoing) -> Published:
        if not outgoing.reply_to:
            raise PermanentError("a reply needs reply_to: the at:// uri of the post answered")
        return self._post(outgoing)

    def delete(self, external_id: str) -> None:
        """Delete one of the account's posts: `com.atproto.repo.deleteRecord` on the record its
        at:// uri names. The lexicon's words are "delete a repository record, or ensure it doesn't
        exist", so a record already gone is answered like a deletion."""
        found = AT_URI.fullmatch(str(external_id))
        if found is None:
            raise PermanentError(f"not the at:// uri of a post: {external_id}")
        repo, collection, rkey = found.groups()
        session = self._ensure_session()
        if repo not in (session.did, session.handle):
            raise PermanentError(f"{external_id} is not in this account's repository")
        self._xrpc(
            "POST",
            "com.atproto.repo.deleteRecord",
            json={"repo": session.did, "collection": collection, "rkey": rkey},
        )

    def fetch_metrics(self, external_ids: list[str]) -> list[PostMetrics]:
        metrics: list[PostMetrics] = []
        for view in self._get_posts(external_ids):
            metrics.append(
                PostMetrics(
                    external_id=view["uri"],
                    likes=int(view.get("likeCount") or 0),
                    reposts=int(view.get("repostCount") or 0) + int(view.get("quoteCount") or 0),
                    replies=int(view.get("replyCount") or 0),
                    raw=view,
                )
            )
        return metrics

    # -- listening ----------------------------------------------------------------------------

    def _fetch_notifications(
        self, state: dict[str, Any] | None
    ) -> tuple[dict[str, Any], list[dict[str, Any]], bool]:
        """One page of notifications; returns (new state, post views to deliver, more)."""
        params: dict[str, Any] = {"limit": self.page_size, "reasons": list(NOTIFICATION_REASONS)}
        sweep = (state or {}).get("sweep")
        if sweep:
            params["cursor"] = sweep["cursor"]
        data = self._xrpc("GET", "app.bsky.notification.listNotifications", params=params)
        notes = [
            note
            for note in data.get("notifications", [])
            if note.get("uri") and _parse_time(note.get("indexedAt"))
        ]
        platform_cursor = data.get("cursor")

        if state is None:
            # First run: the latest page is the starting point; nothing older is fetched.
            return {"mark": _mark_of(notes)}, _deliverable(notes), False

        mark = state.get("mark")
        next_mark = sweep["next_mark"] if sweep else _later_mark(mark, _mark_of(notes))
        fresh = [note for note in notes if _is_new(note, mark)]
        for note in fresh:
            # Notifications sharing the new mark's instant but met on later pages still count as seen.
            if next_mark and _at(note) == _mark_time(next_mark) and note["uri"] not in next_mark["uris"]:
                next_mark["uris"].append(note["uri"])
        reached_old = mark is not None and any(_at(note) < _mark_time(mark) for note in notes)
        if reached_old or not notes or not platform_cursor:
            return {"mark": next_mark}, _deliverable(fresh), False
        return (
            {"mark": mark, "sweep": {"cursor": platform_cursor, "next_mark": next_mark}},
            _deliverable(fresh),
            True,
        )

    def _fetch_search(
        self, term: str, state: dict[str, Any] | None, now: datetime
    ) -> tuple[dict[str, Any], list[dict[str, Any]], bool]:
        """One page of search results for `term`; returns (new state, post views, more)."""
        if state is None:
            return {"since": _format_time(now - self.search_settle)}, [], False
        since = state["since"]
        sweep = state.get("sweep")
        until = sweep["until"] if sweep else _format_time(now - self.search_settle)
        if not sweep and _parse_time(until) <= _parse_time(since):
            return state, [], False
        params: dict[str, Any] = {
            "q": term,
            "sort": "latest",
            "since": since,
            "until": until,
            "limit": self.page_size,
        }
        if sweep and sweep.get("cursor"):
            params["cursor"] = sweep["cursor"]
        data = self._xrpc("GET", "app.bsky.feed.searchPosts", params=params)
        posts = data.get("posts", [])
        platform_cursor = data.get("cursor")
        if posts and platform_cursor:
            return {"since": since, "sweep": {"until": until, "cursor": platform_cursor}}, posts, True
        return {"since": until}, posts, False

    def _item(self, view: dict[str, Any], *, own_did: str) -> Item:
        record = view.get("record") or {}
        author = view.get("author") or {}
        handle = author.get("handle") or author.get("did", "")
        uri = view["uri"]
        reply = record.get("reply") or {}
        parent_uri = (reply.get("parent") or {}).get("uri")
        root_uri = (reply.get("root") or {}).get("uri")
        langs = record.get("langs") or []
        created_at = (
            _parse_time(record.get("createdAt")) or _parse_time(view.get("indexedAt")) or self.clock()
        )
        answers_us = bool(parent_uri and parent_uri.startswith(f"at://{own_did}/"))
        return Item(
            platform=self.platform,
            external_id=uri,
            author=Author(
                platform_id=author.get("did", ""),
                handle=handle,
                name=author.get("displayName") or "",
                url=f"{APP_URL}/profile/{handle}",
            ),
            text=record.get("text", ""),
            created_at=created_at,
            kind=ItemKind.COMMENT if answers_us else ItemKind.POST,
            url=f"{APP_URL}/profile/{handle}/post/{_rkey(uri)}",
            in_reply_to=parent_uri,
            thread_id=root_uri or uri,
            language_hint=langs[0] if langs else None,
            raw=view,
        )

    # -- publishing ---------------------------------------------------------------------------

    def _post(self, outgoing: Outgoing) -> Published:
        _validate(outgoing)
        session = self._ensure_session()
        rkey = tid_from_key(outgoing.idempotency_key)
        existing = self._own_post(rkey)
        if existing is not None:
            return existing

        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": outgoing.text,
            "createdAt": _format_time(self.clock()),
        }
        facets = text_facets(outgoing.text)
        if facets:
            record["facets"] = facets
        if outgoing.reply_to:
            record["reply"] = self._reply_refs(outgoing.reply_to)
        if outgoing.media:
            # Re-uploading on a retry is harmless: blobs are content-addressed and unreferenced
            # ones are garbage-collected by the PDS.
            record["embed"] = {
                "$type": "app.bsky.embed.images",
                "images": [
                    {"alt": media.description, "image": self._upload(media)} for media in outgoing.media
                ],
            }
        body = {"repo": session.did, "collection": POST_COLLECTION, "rkey": rkey, "record": record}
        try:
            data = self._xrpc("POST", "com.atproto.repo.createRecord", json=body)
        except (TransientError, PermanentError):
            # The key may already be taken (another attempt won the race: the reference PDS answers
            # 500 for that today, others a named 4xx) or the answer was lost after the commit.
            # Either way the repository knows: return its record, or let the original error stand.
            existing = self._own_post_if_reachable(rkey)
            if existing is None:
                raise
            return existing
        raw = {key: data[key] for key in ("uri", "cid", "commit", "validationStatus") if key in data}
        return self._published(uri=data["uri"], rkey=rkey, raw={**raw, "record": record})

    def _own_post(self, rkey: str) -> Published | None:
        session = self._ensure_session()
        params = {"repo": session.did, "collection": POST_COLLECTION, "rkey": rkey}
        data = self._xrpc("GET", "com.atproto.repo.getRecord", params=params, absent=("RecordNotFound",))
        if data is None:
            return None
        raw = {"uri": data["uri"], "cid": data.get("cid"), "record": data.get("value", {})}
        return self._published(uri=data["uri"], rkey=rkey, raw=raw)

    def _own_post_if_reachable(self, rkey: str) -> Published | None:
        try:
            return self._own_post(rkey)
        except (TransientError, RateLimited, PermanentError):
            return None  # the caller re-raises the createRecord error, which says more

    def _published(self, *, uri: str, rkey: str, raw: dict[str, Any]) -> Published:
        handle = self._session.handle if self._session else self.config.handle
        return Published(external_id=uri, url=f"{APP_URL}/profile/{handle}/post/{rkey}", raw=raw)

    def _reply_refs(self, parent_uri: str) -> dict[str, Any]:
        posts = self._get_posts([parent_uri])
        if not posts:
            raise PermanentError("the post being answered is gone or not visible")
        parent = posts[0]
        parent_ref = {"uri": parent["uri"], "cid": parent["cid"]}
        root = ((parent.get("record") or {}).get("reply") or {}).get("root") or {}
        # A reply to a reply stays in the original thread: the root travels down unchanged.
        root_ref = parent_ref
        if root.get("uri") and root.get("cid"):
            root_ref = {"uri": root["uri"], "cid": root["cid"]}
        return {"root": root_ref, "parent": parent_ref}

    def _upload(self, media: Media) -> dict[str, Any]:
        data = self._xrpc(
            "POST",
            "com.atproto.repo.uploadBlob",
            content=media.data,
            headers={"Content-Type": media.content_type},
        )
        return data["blob"]

    def _get_posts(self, uris: Iterable[str]) -> list[dict[str, Any]]:
        uris = list(uris)
        views: list[dict[str, Any]] = []
        for start in range(0, len(uris), GET_POSTS_BATCH):
            batch = uris[start : start + GET_POSTS_BATCH]
            data = self._xrpc("GET", "app.bsky.feed.getPosts", params={"uris": batch})
            views.extend(data.get("posts", []))
        return views

    # -- session and transport ----------------------------------------------------------------

    def _ensure_session(self) -> _Session:
        return self._session or self._login()

    def _login(self) -> _Session:
        identifier = self.config.credentials.get("identifier") or self.config.handle
        password = self.config.credentials.get("app_password")
        if not password:
            raise AuthError("no app password configured for this Bluesky account")
        nsid = "com.atproto.server.createSession"
        response = self._send("POST", nsid, json={"identifier": identifier, "password": password})
        if response.status_code in (400, 401, 403):
            reason = _error_name(response) or response.status_code
            raise AuthError(f"{nsid}: Bluesky refused the identifier or app password ({reason})")
        _raise_for(nsid, response)
        return self._start_session(_json(nsid, response))

    def _refresh(self, session: _Session) -> _Session:
        nsid = "com.atproto.server.refreshSession"
        response = self._send("POST", nsid, token=session.refresh_jwt)
        if response.status_code in (400, 401):
            # The refresh token expired or was revoked; the app password can still open a session.
            return self._login()
        _raise_for(nsid, response)
        return self._start_session(_json(nsid, response))

    def _start_session(self, data: dict[str, Any]) -> _Session:
        try:
            self._session = _Session(
                did=data["did"],
                handle=data.get("handle") or self.config.handle,
                access_jwt=data["accessJwt"],
                refresh_jwt=data["refreshJwt"],
            )
        except KeyError as exc:
            raise TransientError(f"session answer without {exc.args[0]}") from None
        return self._session

    def _xrpc(
        self,
        method: str,
        nsid: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        absent: tuple[str, ...] = (),
    ) -> Any:
        """One authenticated call; refreshes an expired session once and retries.

        Returns None when the answer is one of the `absent` XRPC errors (e.g. RecordNotFound).
        """
        session = self._ensure_session()
        kwargs = {"params": params, "json": json, "content": content, "headers": headers}
        response = self._send(method, nsid, token=session.access_jwt, **kwargs)
        if _error_name(response) == "ExpiredToken":
            session = self._refresh(session)
            response = self._send(method, nsid, token=session.access_jwt, **kwargs)
        if absent and _error_name(response) in absent:
            return None
        _raise_for(nsid, response)
        return _json(nsid, response)

    def _send(
        self,
        method: str,
        nsid: str,
        *,
        token: str | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        # Status codes are inspected by the caller: an expired token is a 400 that must trigger a
        # refresh, not a PermanentError. Network failures map as in base.http_call.
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        outbound_check(self._service, self.config)
        try:
            return self._http.request(
                method,
                f"{self._service}/xrpc/{nsid}",
                params=params,
                json=json,
                content=content,
                headers=all_headers,
            )
        except httpx.TimeoutException as exc:
            raise TransientError(f"{nsid}: timed out") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{nsid}: connection failed: {exc.__class__.__name__}") from exc


def _validate(outgoing: Outgoing) -> None:
    length = grapheme_count(outgoing.text)
    if length > MAX_GRAPHEMES:
        raise PermanentError(f"text is {length} graphemes; Bluesky allows {MAX_GRAPHEMES}")
    size = len(outgoing.text.encode())
    if size > MAX_TEXT_BYTES:
        raise PermanentError(f"text is {size} bytes in UTF-8; Bluesky allows {MAX_TEXT_BYTES}")
    if not outgoing.text.strip() and not outgoing.media:
        raise PermanentError("a post needs text or images")
    if len(outgoing.media) > MAX_IMAGES:
        raise PermanentError(f"{len(outgoing.media)} attachments; Bluesky allows {MAX_IMAGES} images")
    for media in outgoing.media:
        if not media.content_type.startswith("image/"):
            raise NotSupported(f"{media.filename}: only images can be attached to Bluesky posts here")
        if len(media.data) > MAX_IMAGE_BYTES:
            raise PermanentError(f"{media.filename}: images are limited to {MAX_IMAGE_BYTES} bytes")


# -- cursor marks and small helpers -------------------------------------------------------------


def _deliverable(notes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Notifications about posts, reshaped like the post view the rest of the code reads."""
    views = []
    for note in notes:
        if note.get("reason") not in NOTIFICATION_REASONS:
            continue  # the server may ignore the `reasons` filter
        views.append(
            {
                "uri": note["uri"],
                "cid": note.get("cid"),
                "author": note.get("author") or {},
                "record": note.get("record") or {},
                "indexedAt": note["indexedAt"],
                "labels": note.get("labels", []),
                "reason": note["reason"],
            }
        )
    return views


def _mark_of(notes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest instant in `notes` and every uri at that instant (several can share it)."""
    if not notes:
        return None
    newest = max(notes, key=_at)
    return {"at": newest["indexedAt"], "uris": [note["uri"] for note in notes if _at(note) == _at(newest)]}


def _later_mark(mark: dict[str, Any] | None, other: dict[str, Any] | None) -> dict[str, Any] | None:
    if mark is None or other is None:
        return other or mark
    if _mark_time(other) > _mark_time(mark):
        return other
    if _mark_time(other) == _mark_time(mark):
        return {"at": mark["at"], "uris": sorted(set(mark["uris"]) | set(other["uris"]))}
    return {"at": mark["at"], "uris": list(mark["uris"])}


def _is_new(note: dict[str, Any], mark: dict[str, Any] | None) -> bool:
    if mark is None:
        return True
    at, mark_at = _at(note), _mark_time(mark)
    return at > mark_at or (at == mark_at and note["uri"] not in mark["uris"])


def _at(note: dict[str, Any]) -> datetime:
    return _parse_time(note["indexedAt"]) or datetime.min.replace(tzinfo=UTC)


def _mark_time(mark: dict[str, Any]) -> datetime:
    return _parse_time(mark["at"]) or datetime.min.replace(tzinfo=UTC)


def _parse_time(value: Any) -> datetime | None:
    """atproto datetimes, tolerating nanosecond fractions and a missing zone (read as UTC)."""
    if not isinstance(value, str) or not value:
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.strip().replace("z", "Z"))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _format_time(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _rkey(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def _error_name(response: httpx.Response) -> str:
    if response.status_code < 400:
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error") or "") if isinstance(body, dict) else ""


def _raise_for(nsid: str, response: httpx.Response) -> None:
    """The base mapping, with the method named and session failures reported as AuthError."""
    if response.status_code < 400:
        return
    name = _error_name(response)
    if name in SESSION_ERRORS and response.status_code != 429:
        raise AuthError(f"{nsid}: not authorised ({name})")
    try:
        raise_for_http_status(response)
    except RateLimited as exc:
        raise RateLimited(f"{nsid}: {exc}", retry_after=exc.retry_after) from None
    except ConnectorError as exc:
        raise type(exc)(f"{nsid}: {exc}") from None


def _json(nsid: str, response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise TransientError(f"{nsid}: the answer was not JSON") from None
