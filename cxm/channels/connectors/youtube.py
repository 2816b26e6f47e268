"""A YouTube channel over the YouTube Data API v3, as Google documents it.

The account's handle is the channel id (`UC...`, what `channels.list?mine=true` answers for the
credentials); credentials are `client_id`, `client_secret` (the Google Cloud project's OAuth
client) and `refresh_token` (granted with the `youtube.force-ssl` scope and offline access).
Access tokens are refreshed at `CXM_YOUTUBE_TOKEN_URL` (`google_token.py`); the API is
`CXM_YOUTUBE_API_URL`, or the account's `base_url` when one was typed, which is then checked
before every call (`outbound_check`).

Listening (`fetch`): the comment threads on the channel's videos (`commentThreads.list` with
`allThreadsRelatedToChannelId`, `part=snippet,replies`, `order=time`), newest first; each
top-level comment and each reply it carries is a COMMENT item of the video's thread, a reply
answering its top-level comment. The channel's own comments are owned media. A poll reads pages
until it reaches what it delivered before; the cursor keeps the newest time delivered and the ids
at it, and while a walk over several pages is under way the page to resume at:

    {"threads": {"at": "<ISO>", "ids": [...], "walk": {"page": "<pageToken>", "top": {...}}},
     "search": {"<topic id>": {"at": "<ISO>", "ids": [...], "searched": "<ISO>"}},
     "pace": {"credit": <units>, "at": "<ISO>"}}

Then, per listening topic (`config.topics`, the topics' words as `TopicSearch`), public videos
from `search.list` (`type=video`, `order=date`, `publishedAfter` the newest one found before, `q`
the topic in YouTube's syntax: space for AND, `|` for OR, `-` to exclude), each a POST item.

Quota (`youtube_quota.py`): every call spends Google's units first, in the project's shared count.
Polling paces itself: the account earns, per second, its fair share of the units polling has left
today (the budget less the reserve, less what is spent), divided by the seconds until the reset
and by the project's accounts that poll (`pace`); a comment page costs 1 unit of it, a topic
search 100, so searches run far less often than comment reads, the topic searched longest ago
first. Polling never touches the reserve; replies and moderation may.

Engagement: `reply` answers a comment with `comments.insert` (`snippet.parentId`, always the
top-level comment: YouTube threads are one level deep), adopting a reply of the channel with the
same text already under it, so a retry never answers twice. `set_moderation_status` holds a
comment for review, publishes or rejects it (`comments.setModerationStatus`).

Errors come as `{"error": {"code", "message", "errors": [{"domain", "reason", "message"}]}}`:
`quotaExceeded` waits for the reset (and marks the day as used up), `rateLimitExceeded` waits a
minute, 401 / `authError` needs re-authorisation (after one fresh token was tried),
`commentsDisabled` and `forbidden` are refused for good with their meaning, 5xx / `backendError`
is retried.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
from django.conf import settings

from cxm.channels.connectors.base import (
    AccountConfig,
    AuthError,
    Author,
    ConnectorError,
    FetchPage,
    Item,
    ItemKind,
    Limits,
    NotSupported,
    Outgoing,
    PermanentError,
    PostMetrics,
    Published,
    RateLimited,
    TransientError,
    http_client,
    iso_time,
    newer_than,
    outbound_check,
    retry_after_from,
)
from cxm.channels.connectors.google_token import cached_access_token
from cxm.channels.connectors.youtube_quota import (
    LIST_UNITS,
    SEARCH_UNITS,
    WRITE_UNITS,
    PollingPace,
    YouTubeQuota,
)
from cxm.channels.topics import TopicSearch

THREADS_PER_PAGE = 100  # commentThreads.list takes 1 to 100
SEARCH_RESULTS = 50  # search.list takes 0 to 50
REPLY_PAGES = 5  # pages of replies read under a comment before answering it
# A topic is searched again no sooner than this, however much the account has earned.
MIN_SEARCH_INTERVAL = timedelta(minutes=15)
# A topic searched for the first time reaches back this far.
SEARCH_LOOKBACK = timedelta(days=1)
# YouTube's help: a comment holds at most 10,000 characters.
MAX_COMMENT_LENGTH = 10_000
MODERATION_STATUSES = ("heldForReview", "published", "rejected")
RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
AUTH_REASONS = {"authError", "unauthorized", "authorizationRequired", "invalidCredentials"}
DEFAULT_RATE_LIMIT_SECONDS = 60.0
_TAG = re.compile(r"<[^>]+>")


class QuotaExceeded(RateLimited):
    """Google answered 403 quotaExceeded: the project's units are spent until the reset."""


class YouTubeConnector:
    platform: ClassVar[str] = "youtube"
    searches_topics: ClassVar[bool] = True

    def __init__(
        self,
        config: AccountConfig,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], datetime] | None = None,
        quota: YouTubeQuota | None = None,
    ) -> None:
        self.config = config
        self.channel_id = config.handle.strip()
        credentials = config.credentials or {}
        self.client_id = str(credentials.get("client_id") or "")
        self._client_secret = str(credentials.get("client_secret") or "")
        self._refresh_token = str(credentials.get("refresh_token") or "")
        self._base_typed = bool(config.base_url.strip())
        self.api = (config.base_url.strip() or settings.CXM_YOUTUBE_API_URL).rstrip("/")
        self.token_url = settings.CXM_YOUTUBE_TOKEN_URL
        self._http = http or http_client(base_url="", timeout=30.0)
        self._clock = clock or (lambda: datetime.now(UTC))
        self.quota = quota or YouTubeQuota(self.client_id, clock=self._clock)

    # --- calls ---------------------------------------------------------------------------------------

    def _token(self, *, fresh: bool = False) -> str:
        return cached_access_token(
            client_id=self.client_id,
            client_secret=self._client_secret,
            refresh_token=self._refresh_token,
            token_url=self.token_url,
            http=self._http,
            fresh=fresh,
        )

    def _call(
        self,
        method: str,
        path: str,
        *,
        units: int,
        reserved: bool = False,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One API call: its units spent first, the address checked, one fresh token tried after
        a 401; answers the decoded body ({} for 204) or raises the mapped error."""
        self.quota.spend(units, reserved=reserved)
        if self._base_typed:
            outbound_check(self.api, self.config)
        response = self._send(method, path, self._token(), params, json)
        if response.status_code == 401:  # the held token lapsed or was revoked: one more try
            response = self._send(method, path, self._token(fresh=True), params, json)
        error = youtube_error(response, quota_reset_seconds=self.quota.seconds_until_reset())
        if isinstance(error, QuotaExceeded):
            self.quota.exhaust()
        if error is not None:
            raise error
        if response.status_code == 204 or not response.content:
            return {}
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise TransientError(f"unexpected answer to {method} /{path}: {response.text[:200]}")
        return body

    def _send(self, method: str, path: str, token: str, params, json) -> httpx.Response:
        try:
            return self._http.request(
                method,
                f"{self.api}/{path}",
                params=params,
                json=json,
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.TimeoutException as exc:
            raise TransientError(f"timed out: {method} /{path}") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"connection failed: {exc.__class__.__name__}") from exc

    # --- the common connector interface -----------------------------------------------------------

    def own_channel(self) -> dict[str, Any]:
        """The channel the credentials act for (`channels.list?part=snippet&mine=true`): its
        `id` and `snippet` (`title`, `customUrl`...)."""
        body = self._call(
            "GET", "channels", units=LIST_UNITS, reserved=True, params={"part": "snippet", "mine": "true"}
        )
        channels = body.get("items") or []
        if not channels or not channels[0].get("id"):
            raise PermanentError("these credentials have no YouTube channel")
        return channels[0]

    def check(self) -> str:
        channel = self.own_channel()
        title = str((channel.get("snippet") or {}).get("title") or "")
        if str(channel.get("id")) != self.channel_id:
            raise PermanentError(
                f"these credentials belong to the channel {channel.get('id')} ({title}), "
                f"not {self.channel_id}; give its id as the handle"
            )
        return f"{title} ({self.channel_id})" if title else self.channel_id

    def limits(self) -> Limits:
        return Limits(max_text_length=MAX_COMMENT_LENGTH, max_media=0, can_publish=False)

    def publish(self, outgoing: Outgoing) -> Published:
        raise NotSupported("YouTube videos are not published from here; a channel answers comments")

    def fetch_metrics(self, external_ids: list[str]) -> list[PostMetrics]:
        return []

    # --- listening -----------------------------------------------------------------------------------

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        now = self._clock()
        if self.quota.state().polling_left < LIST_UNITS:
            # Said on the account (rate limited until the reset) rather than polling in silence.
            raise self.quota.used_up(reserved=False)
        topics = [topic for topic in self.config.topics if topic.searches(self.platform)]
        pace = PollingPace.resume(cursor.get("pace"), now=now)
        pace.earn(self.quota, account_id=self.config.account_id, now=now, topics=len(topics))
        items, threads, more = self._threads(dict(cursor.get("threads") or {}), pace)
        searches = {
            key: value
            for key, value in (cursor.get("search") or {}).items()
            if key in {str(topic.topic_id) for topic in topics}
        }
        if not more:
            items += self._searches(topics, searches, pace, now=now)
        unique = list({item.external_id: item for item in items}.values())
        # Oldest first, so a comment is stored before the replies to it.
        unique.sort(key=lambda item: item.created_at)
        return FetchPage(
            items=unique, cursor={"threads": threads, "search": searches, "pace": pace.cursor()}, more=more
        )

    def _threads(
        self, position: dict[str, Any], pace: PollingPace
    ) -> tuple[list[Item], dict[str, Any], bool]:
        """One page of comment threads: the items newer than `position`, the position after
        them, and whether older pages still hold new ones."""
        if not pace.afford(LIST_UNITS):
            return [], position, False  # the walk, if any, goes on at the next poll
        walk = position.get("walk") or {}
        stop = {"at": position.get("at"), "ids": position.get("ids") or []}
        params: dict[str, Any] = {
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": self.channel_id,
            "order": "time",
            "maxResults": THREADS_PER_PAGE,
            "textFormat": "plainText",
        }
        if walk.get("page"):
            params["pageToken"] = walk["page"]
        body = self._call("GET", "commentThreads", units=LIST_UNITS, params=params)
        pace.spent(LIST_UNITS)
        found: list[Item] = []
        oldest_thread: datetime | None = None
        for thread in body.get("items") or []:
            thread_items = self._thread_items(thread)
            found += thread_items
            if thread_items and (oldest_thread is None or thread_items[0].created_at < oldest_thread):
                oldest_thread = thread_items[0].created_at
        fresh, after = newer_than(found, stop)
        top = walk.get("top") or after
        stop_at = iso_time(stop["at"])
        next_page = body.get("nextPageToken")
        if next_page and stop_at is not None and oldest_thread is not None and oldest_thread > stop_at:
            return fresh, {**stop, "walk": {"page": next_page, "top": top}}, True
        return fresh, top, False

    def _thread_items(self, thread: dict[str, Any]) -> list[Item]:
        snippet = thread.get("snippet") or {}
        video_id = str(snippet.get("videoId") or "")
        top = snippet.get("topLevelComment") or {}
        if not top.get("id"):
            return []
        items = [self._comment_item(top, video_id=video_id, parent=video_id or None)]
        for reply in (thread.get("replies") or {}).get("comments") or []:
            parent = str((reply.get("snippet") or {}).get("parentId") or top["id"])
            items.append(self._comment_item(reply, video_id=video_id, parent=parent))
        return items

    def _comment_item(self, comment: dict[str, Any], *, video_id: str, parent: str | None) -> Item:
        snippet = comment.get("snippet") or {}
        author_id = str((snippet.get("authorChannelId") or {}).get("value") or "")
        name = str(snippet.get("authorDisplayName") or "")
        raw = {**comment, "video_id": video_id}
        handle = name or author_id
        if author_id and author_id == self.channel_id:
            raw["media_type"] = "owned"
            handle = self.channel_id  # what listening knows its own accounts by
        comment_id = str(comment["id"])
        return Item(
            platform=self.platform,
            external_id=comment_id,
            author=Author(
                platform_id=author_id or handle,
                handle=handle,
                name=name,
                url=str(snippet.get("authorChannelUrl") or ""),
            ),
            text=str(snippet.get("textDisplay") or snippet.get("textOriginal") or ""),
            created_at=iso_time(snippet.get("publishedAt")) or self._clock(),
            kind=ItemKind.COMMENT,
            url=watch_url(video_id, comment_id),
            in_reply_to=parent,
            thread_id=video_id or None,
            raw=raw,
        )

    def _searches(
        self, topics: list[TopicSearch], positions: dict[str, Any], pace: PollingPace, *, now: datetime
    ) -> list[Item]:
        """Search the topics the account can afford now, the one searched longest ago first."""
        items: list[Item] = []
        for topic in sorted(topics, key=lambda t: (positions.get(str(t.topic_id)) or {}).get("searched", "")):
            key = str(topic.topic_id)
            searched = iso_time((positions.get(key) or {}).get("searched"))
            if searched is not None and now - searched < MIN_SEARCH_INTERVAL:
                continue
            if not pace.afford(SEARCH_UNITS):
                break
            found, positions[key] = self._search(topic, positions.get(key) or {}, now=now)
            pace.spent(SEARCH_UNITS)
            items += found
        return items

    def _search(
        self, topic: TopicSearch, position: dict[str, Any], *, now: datetime
    ) -> tuple[list[Item], dict[str, Any]]:
        after = iso_time(position.get("at")) or now - SEARCH_LOOKBACK
        params: dict[str, Any] = {
            "part": "snippet",
            "type": "video",
            "q": youtube_query(topic),
            "order": "date",
            "maxResults": SEARCH_RESULTS,
            "publishedAfter": after.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if len(topic.languages) == 1:
            params["relevanceLanguage"] = topic.languages[0]
        body = self._call("GET", "search", units=SEARCH_UNITS, params=params)
        found = [
            self._video_item(result, topic_id=topic.topic_id)
            for result in body.get("items") or []
            if (result.get("id") or {}).get("videoId")
        ]
        fresh, next_position = newer_than(found, {"at": position.get("at"), "ids": position.get("ids") or []})
        if not next_position:
            next_position = {"at": after.isoformat(), "ids": []}
        return fresh, {**next_position, "searched": now.isoformat()}

    def _video_item(self, result: dict[str, Any], *, topic_id: int) -> Item:
        snippet = result.get("snippet") or {}
        video_id = str(result["id"]["videoId"])
        channel_id = str(snippet.get("channelId") or "")
        title = str(snippet.get("title") or "")
        description = str(snippet.get("description") or "")
        raw = {**result, "topic_id": topic_id}
        if channel_id == self.channel_id:
            raw["media_type"] = "owned"
        return Item(
            platform=self.platform,
            external_id=video_id,
            author=Author(
                platform_id=channel_id,
                handle=channel_id,
                name=str(snippet.get("channelTitle") or ""),
                url=f"https://www.youtube.com/channel/{channel_id}" if channel_id else "",
            ),
            text=f"{title}\n\n{description}".strip(),
            created_at=iso_time(snippet.get("publishedAt")) or self._clock(),
            kind=ItemKind.POST,
            url=watch_url(video_id),
            thread_id=video_id,
            subject=title,
            raw=raw,
        )

    # --- engagement ----------------------------------------------------------------------------------

    def reply(self, outgoing: Outgoing) -> Published:
        if outgoing.recipient:
            raise NotSupported("YouTube has no direct messages; a channel answers comments")
        target = (outgoing.reply_to or "").strip()
        text = outgoing.text.strip()
        if not target:
            raise PermanentError("a reply on YouTube answers one comment; none was named")
        if not text:
            raise PermanentError("the reply is empty")
        parent = self._top_level_comment(target)
        existing = self._our_reply(parent, text)
        video_id = outgoing.thread_id or ""
        if existing is not None:
            return Published(
                external_id=str(existing["id"]), url=watch_url(video_id, existing["id"]), raw=existing
            )
        body = self._call(
            "POST",
            "comments",
            units=WRITE_UNITS,
            reserved=True,
            params={"part": "snippet"},
            json={"snippet": {"parentId": parent, "textOriginal": text}},
        )
        if not body.get("id"):
            raise PermanentError(f"YouTube created no reply to {parent}: {str(body)[:200]}")
        return Published(external_id=str(body["id"]), url=watch_url(video_id, body["id"]), raw=body)

    def _top_level_comment(self, comment_id: str) -> str:
        """The top-level comment a reply goes under: the comment itself, or the one it answers."""
        body = self._call(
            "GET",
            "comments",
            units=LIST_UNITS,
            reserved=True,
            params={"part": "snippet", "id": comment_id, "textFormat": "plainText"},
        )
        found = body.get("items") or []
        if not found:
            raise PermanentError(
                f"YouTube has no comment {comment_id} to answer (a video is not answered here)"
            )
        return str((found[0].get("snippet") or {}).get("parentId") or found[0].get("id") or comment_id)

    def _our_reply(self, parent: str, text: str) -> dict[str, Any] | None:
        """A reply of this channel with exactly `text` already under `parent`, if any."""
        page = None
        for _ in range(REPLY_PAGES):
            params = {"part": "snippet", "parentId": parent, "maxResults": 100, "textFormat": "plainText"}
            if page:
                params["pageToken"] = page
            body = self._call("GET", "comments", units=LIST_UNITS, reserved=True, params=params)
            for row in body.get("items") or []:
                snippet = row.get("snippet") or {}
                author = str((snippet.get("authorChannelId") or {}).get("value") or "")
                said = str(snippet.get("textOriginal") or snippet.get("textDisplay") or "").strip()
                if author == self.channel_id and said == text:
                    return row
            page = body.get("nextPageToken")
            if not page:
                return None
        return None

    def set_moderation_status(self, comment_id: str, status: str) -> None:
        """Hold the comment for review, publish it or reject it (which hides its replies too)."""
        if status not in MODERATION_STATUSES:
            raise PermanentError(f"moderation status must be one of {', '.join(MODERATION_STATUSES)}")
        self._call(
            "POST",
            "comments/setModerationStatus",
            units=WRITE_UNITS,
            reserved=True,
            params={"id": comment_id, "moderationStatus": status},
        )


def youtube_query(topic: TopicSearch) -> str:
    """The topic in YouTube's `q` syntax: clauses separated by spaces must all match, `|` joins
    alternatives, `-` excludes; a phrase is quoted."""
    clauses = ["|".join(_quoted(word) for word in clause) for clause in topic.all_of]
    return " ".join(clauses + [f"-{_quoted(word)}" for word in topic.none_of])


def _quoted(words: str) -> str:
    return f'"{words}"' if " " in words else words


def watch_url(video_id: str, comment_id: str = "") -> str:
    if not video_id:
        return ""
    return f"https://www.youtube.com/watch?v={video_id}" + (f"&lc={comment_id}" if comment_id else "")


def youtube_error(response: httpx.Response, *, quota_reset_seconds: float) -> ConnectorError | None:
    """Map an API answer onto the connector errors (None for a success)."""
    status = response.status_code
    if status < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    details = error if isinstance(error, dict) else {}
    reasons = {str(e.get("reason") or "") for e in details.get("errors") or [] if isinstance(e, dict)}
    message = _TAG.sub("", str(details.get("message") or error or response.text[:200]))[:300]
    label = f"{message} ({', '.join(sorted(r for r in reasons if r))})" if reasons - {""} else message
    if "quotaExceeded" in reasons:
        return QuotaExceeded(f"YouTube quota exceeded: {label}", retry_after=quota_reset_seconds)
    if reasons & RATE_LIMIT_REASONS or status == 429:
        return RateLimited(
            f"rate limited: {label}", retry_after=retry_after_from(response, DEFAULT_RATE_LIMIT_SECONDS)
        )
    if status == 401 or reasons & AUTH_REASONS:
        return AuthError(f"not authorised: {label}")
    if status >= 500 or "backendError" in reasons:
        return TransientError(f"YouTube error {status}: {label}")
    if "commentsDisabled" in reasons:
        return PermanentError(f"comments are turned off on this video: {label}")
    if "forbidden" in reasons or status == 403:
        return PermanentError(f"YouTube does not allow this (the channel may not act on it): {label}")
    return PermanentError(f"refused ({status}): {label}")
