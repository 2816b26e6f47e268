"""X (formerly Twitter) over the X API v2, as X documents it (docs.x.com).

The account's handle is `@username`; `options.user_id` is its id (what `GET /2/users/me` says
when it is connected through "Connect X"); `base_url` is the API host (`https://api.x.com`
when empty). Credentials come from the OAuth 2.0 sign-in (`cxm.channels.services.oauth2`):
the connector asks `config.token_source()` for a current access token before each call, and
falls back to `credentials.access_token` for a token pasted by hand. Calls, errors and the
rate-limit windows are `x_api.XApi`'s.

Listening (`fetch`) reads three kinds of source, each with its own position in the cursor:

- `mentions`: `GET /2/users/:id/mentions` with `since_id`;
- `search:<key>`: `GET /2/tweets/search/recent` with `since_id`, once per query: the workspace's
  topics in X's operators (`options.topic_queries`, from listening through
  `cxm.channels.topics`) and each of `options.search_terms`, retweets left out;
- `dm`: `GET /2/dm_events` (message events, newest first; it takes no `since_id`).

Polling follows X's pagination guide: the newest id of a poll's first page becomes the next
`since_id` only once every page of that poll was read (`next_token` carries on with the same
`since_id` meanwhile, kept as a `sweep` in the cursor, with `more=True`). A call that continues a
sweep reads only the sources still sweeping. A first poll of mentions delivers their latest page;
a first search or direct-message poll only marks where "new" starts. A source whose window is
spent (429, or no calls left) is skipped until its reset (`waits` in the cursor) while the others
go on; when every source waits, `fetch` raises `RateLimited` with the shortest wait. `seen`
keeps the latest post ids delivered, so a post found both as a mention and by a search is one
item.

Publishing: `POST /2/tweets` with `text` (and `reply.in_reply_to_tweet_id` for a reply). X takes
no idempotency key, but refuses a post identical to a recent one of the account with a 403
("duplicate content"); after such a refusal the account's own posts of the last `ADOPT_WITHIN`
are read (`GET /2/users/:id/tweets`) and one with the same text (answering the same post, for a
reply) is adopted: a retry whose first answer was lost finds its post. With none to adopt, the
refusal stands and is not retried. `delete(id)` removes a post (`DELETE /2/tweets/:id`).

Direct messages: `reply` with a `recipient` sends `POST /2/dm_conversations/with/:participant_id/
messages`. The participant is read from the one-to-one conversation id (`<smaller id>-<larger
id>`, as X documents it) or looked up by username. X takes no idempotency key there either, so
the conversation's latest events are read first and a message of ours with the same text, sent
after the message being answered, is adopted instead of sending again.
"""

from __future__ import annotations

import copy
import html
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from cxm.channels.connectors.base import (
    AccountConfig,
    Author,
    FetchPage,
    Item,
    ItemKind,
    Limits,
    Outgoing,
    PermanentError,
    PostMetrics,
    Published,
    RateLimited,
    http_client,
    outbound_check,
)
from cxm.channels.connectors.x_api import DuplicateContent, XApi

logger = logging.getLogger(__name__)

DEFAULT_API = "https://api.x.com"
WEB = "https://x.com"
MAX_TEXT = 280  # weighted characters; X counts a link as 23 and decides itself
PAGE_SIZE = 100  # max_results of the timelines, search and DM events
FIRST_MENTIONS = 20  # the latest mentions a newly connected account starts with
QUERY_LIMIT = 512  # recent search's query length
SEARCH_WINDOW = timedelta(days=6, hours=23)  # recent search reaches back seven days
ADOPT_WITHIN = timedelta(hours=24)
SEEN_KEEP = 300
TWEET_FIELDS = "created_at,conversation_id,in_reply_to_user_id,referenced_tweets,author_id,lang"
USER_FIELDS = "username,name"
DM_FIELDS = "id,text,event_type,created_at,sender_id,dm_conversation_id"
_ONE_TO_ONE = re.compile(r"^(\d+)-(\d+)$")
_URL = re.compile(r"https?://\S+")


class XConnector:
    platform: ClassVar[str] = "x"

    def __init__(
        self,
        config: AccountConfig,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        base = (config.base_url or DEFAULT_API).rstrip("/")
        typed = bool(config.base_url.strip())
        credentials = config.credentials or {}
        self.username = config.handle.strip().lstrip("@")
        self.user_id = str((config.options or {}).get("user_id") or "")
        self._clock = clock
        self.api = XApi(
            base=base,
            http=http or http_client(base_url=base),
            token_source=config.token_source or (lambda **_: str(credentials.get("access_token") or "")),
            # Only an address given on the account is checked before each call; X's own is public.
            check_target=(lambda: outbound_check(base, config)) if typed else None,
            on_quota=config.quota_report,
            clock=clock,
        )

    # --- the common connector interface -----------------------------------------------------------

    def check(self) -> str:
        me = self.me()
        return "@" + str(me.get("username") or self.username)

    def me(self) -> dict[str, Any]:
        """`GET /2/users/me`: the account's id, name and username."""
        data = self.api.call("GET", "/2/users/me", endpoint="GET /2/users/me").get("data") or {}
        if not data.get("id"):
            raise PermanentError("X named no user for this token")
        self.user_id = str(data["id"])
        return data

    def limits(self) -> Limits:
        return Limits(max_text_length=MAX_TEXT, max_media=0, length_unit="characters")

    def fetch_metrics(self, external_ids: list[str]) -> list[PostMetrics]:
        metrics = []
        for start in range(0, len(external_ids), 100):
            ids = ",".join(str(i) for i in external_ids[start : start + 100])
            body = self.api.call(
                "GET",
                "/2/tweets",
                endpoint="GET /2/tweets",
                params={"ids": ids, "tweet.fields": "public_metrics"},
            )
            # Deleted posts come back in `errors`; they have no counters and hide no one else's.
            for tweet in body.get("data") or []:
                counts = tweet.get("public_metrics") or {}
                metrics.append(
                    PostMetrics(
                        external_id=str(tweet["id"]),
                        likes=int(counts.get("like_count") or 0),
                        reposts=int(counts.get("retweet_count") or 0),
                        replies=int(counts.get("reply_count") or 0),
                        raw=tweet,
                    )
                )
        return metrics

    # --- listening -----------------------------------------------------------------------------------

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        cursor = copy.deepcopy(cursor)  # the caller's stays valid if this call fails
        my_id = self._my_id()
        now = self._clock()
        sources = self._sources()
        waits = {name: until for name, until in (cursor.get("waits") or {}).items() if until > now}
        sweeping = [key for key in sources if (cursor.get(key) or {}).get("sweep")]
        positions = {key: cursor[key] for key in sources if key in cursor}
        tweets: list[tuple[dict[str, Any], dict[str, Any], str]] = []
        events: list[tuple[dict[str, Any], dict[str, Any]]] = []
        waited: list[float] = []
        read_any = more = False
        for key in sweeping or list(sources):
            group, read = sources[key]
            if group in waits:
                waited.append(waits[group] - now)
                continue
            try:
                positions[key], rows, users, key_more = read(cursor.get(key))
            except RateLimited as exc:
                waits[group] = now + exc.retry_after
                waited.append(exc.retry_after)
                continue
            read_any, more = True, more or key_more
            if key == "dm":
                events += [(row, users) for row in rows]
            else:
                tweets += [(row, users, key) for row in rows]
        if not read_any and waited:
            raise RateLimited("X: every source is rate limited", retry_after=min(waited))
        seen = list(cursor.get("seen") or [])
        known = set(seen)
        items: list[Item] = []
        for tweet, users, key in sorted(tweets, key=lambda row: _id_key(str(row[0]["id"]))):
            if str(tweet["id"]) in known:
                continue
            known.add(str(tweet["id"]))
            seen.append(str(tweet["id"]))
            items.append(self._tweet_item(tweet, users, my_id=my_id, source=key))
        for event, users in sorted(events, key=lambda row: _id_key(str(row[0]["id"]))):
            if str(event.get("sender_id") or "") != my_id:  # our own answers are in care already
                items.append(self._dm_item(event, users))
        next_cursor = {**positions, "waits": waits, "seen": seen[-SEEN_KEEP:]}
        return FetchPage(items=items, cursor=next_cursor, more=more)

    def _sources(self) -> dict[str, tuple[str, Callable[[Any], tuple]]]:
        """Cursor key -> (rate-limit group, reader of one page)."""
        sources: dict[str, tuple[str, Callable[[Any], tuple]]] = {
            "mentions": ("mentions", self._mentions_page),
            "dm": ("dm", self._dm_page),
        }
        for key, query in self._queries().items():
            sources[f"search:{key}"] = ("search", lambda position, q=query: self._search_page(q, position))
        return sources

    def _queries(self) -> dict[str, str]:
        options = self.config.options or {}
        queries = {f"topic:{k}": str(q) for k, q in (options.get("topic_queries") or {}).items() if q}
        terms = options.get("search_terms") or []
        for term in [terms] if isinstance(terms, str) else terms:
            term = str(term).strip().replace('"', "")
            if term:
                queries[f"term:{term.lower()}"] = f'"{term}"' if " " in term else term
        usable = {}
        for key, query in queries.items():
            full = f"({query}) -is:retweet"
            if len(full) > QUERY_LIMIT:
                logger.info("x search %s left out: longer than %s characters", key, QUERY_LIMIT)
                continue
            usable[key] = full
        return usable

    def _mentions_page(self, position):
        params = {"expansions": "author_id", "tweet.fields": TWEET_FIELDS, "user.fields": USER_FIELDS}
        return self._poll(
            position,
            path=f"/2/users/{quote(self._my_id(), safe='')}/mentions",
            endpoint="GET /2/users/:id/mentions",
            params=params,
            page_param="pagination_token",
            first_page=FIRST_MENTIONS,
        )

    def _search_page(self, query: str, position):
        params = {
            "query": query,
            "expansions": "author_id",
            "tweet.fields": TWEET_FIELDS,
            "user.fields": USER_FIELDS,
        }
        return self._poll(
            position,
            path="/2/tweets/search/recent",
            endpoint="GET /2/tweets/search/recent",
            params=params,
            page_param="next_token",
            first_page=0,
        )

    def _poll(self, position, *, path, endpoint, params, page_param, first_page):
        """One page of a since_id poll (see the module docstring); answers (position, rows,
        users by id, more)."""
        position = dict(position or {})
        sweep = position.get("sweep")
        query = {**params, "max_results": PAGE_SIZE}
        if not position:
            # The first poll: the latest page (delivered when `first_page`) marks where news start.
            query["max_results"] = max(first_page, 10)
        elif position.get("since"):
            query["since_id"] = position["since"]
        else:
            start = max(_parse_time(position.get("start")) or self._now(), self._now() - SEARCH_WINDOW)
            query["start_time"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
        if sweep:
            query[page_param] = sweep["token"]
        body = self.api.call("GET", path, endpoint=endpoint, params=query)
        rows = body.get("data") or []
        meta = body.get("meta") or {}
        users = {str(u.get("id")): u for u in (body.get("includes") or {}).get("users") or []}
        if not position:
            newest = meta.get("newest_id")
            mark = {"since": str(newest)} if newest else {"start": self._now().isoformat()}
            return mark, (rows if first_page else []), users, False
        newest = (sweep or {}).get("newest") or meta.get("newest_id")
        base = {k: position[k] for k in ("since", "start") if k in position}
        if meta.get("next_token"):
            return {**base, "sweep": {"token": meta["next_token"], "newest": newest}}, rows, users, True
        return ({"since": str(newest)} if newest else base), rows, users, False

    def _dm_page(self, position):
        """One page of direct-message events, newest first, stopping at the newest delivered."""
        position = dict(position or {})
        sweep = position.get("sweep")
        query = {
            "event_types": "MessageCreate",
            "dm_event.fields": DM_FIELDS,
            "expansions": "sender_id",
            "user.fields": USER_FIELDS,
            "max_results": PAGE_SIZE if position else 10,
        }
        if sweep:
            query["pagination_token"] = sweep["token"]
        body = self.api.call("GET", "/2/dm_events", endpoint="GET /2/dm_events", params=query)
        rows = body.get("data") or []
        users = {str(u.get("id")): u for u in (body.get("includes") or {}).get("users") or []}
        newest_here = max((str(row["id"]) for row in rows), key=_id_key, default=None)
        if not position:
            return {"newest": newest_here or "0"}, [], users, False
        known = str(position.get("newest") or "0")
        fresh = [row for row in rows if _id_key(str(row["id"])) > _id_key(known)]
        newest = (sweep or {}).get("newest") or newest_here or known
        next_token = (body.get("meta") or {}).get("next_token")
        if next_token and fresh and len(fresh) == len(rows):
            return {"newest": known, "sweep": {"token": next_token, "newest": newest}}, fresh, users, True
        return {"newest": max(newest, known, key=_id_key)}, fresh, users, False

    def _tweet_item(self, tweet: dict[str, Any], users: dict, *, my_id: str, source: str) -> Item:
        author = _author(str(tweet.get("author_id") or ""), users)
        username = author.handle.removeprefix("@") if author.handle.startswith("@") else ""
        replied_to = next(
            (str(r["id"]) for r in tweet.get("referenced_tweets") or [] if r.get("type") == "replied_to"),
            None,
        )
        # A reply to one of the account's posts is a comment on it; anything else is a post.
        to_us = my_id and str(tweet.get("in_reply_to_user_id") or "") == my_id
        return Item(
            platform=self.platform,
            external_id=str(tweet["id"]),
            author=author,
            text=html.unescape(str(tweet.get("text") or "")),  # X escapes &, < and > in text
            created_at=_parse_time(tweet.get("created_at")) or self._now(),
            kind=ItemKind.COMMENT if to_us else ItemKind.POST,
            url=f"{WEB}/{username or 'i/web'}/status/{tweet['id']}",
            in_reply_to=replied_to,
            thread_id=str(tweet.get("conversation_id") or tweet["id"]),
            language_hint=language_of(tweet.get("lang")),
            raw={**tweet, "_source": source},
        )

    def _dm_item(self, event: dict[str, Any], users: dict) -> Item:
        sender = str(event.get("sender_id") or "")
        return Item(
            platform=self.platform,
            external_id=str(event["id"]),
            author=_author(sender, users),
            text=html.unescape(str(event.get("text") or "")),
            created_at=_parse_time(event.get("created_at")) or self._now(),
            kind=ItemKind.DM,
            thread_id=str(event.get("dm_conversation_id") or f"{sender}-{self.user_id}"),
            raw=event,
        )

    # --- publishing ------------------------------------------------------------------------------------

    def publish(self, outgoing: Outgoing) -> Published:
        text = outgoing.text.strip()
        if outgoing.media:
            raise PermanentError("posts to X from here carry no media yet; remove the attachments")
        if not text:
            raise PermanentError("the post is empty")
        body: dict[str, Any] = {"text": text}
        if outgoing.reply_to:
            body["reply"] = {"in_reply_to_tweet_id": str(outgoing.reply_to)}
        try:
            data = self.api.call("POST", "/2/tweets", endpoint="POST /2/tweets", json=body).get("data") or {}
        except DuplicateContent:
            existing = self._own_recent_post(text, reply_to=outgoing.reply_to)
            if existing is None:
                raise
            logger.info("x post %s adopted after a duplicate refusal", existing["id"])
            return Published(
                external_id=str(existing["id"]), url=self._status_url(existing["id"]), raw=existing
            )
        if not data.get("id"):
            raise PermanentError(f"X created no post: {str(data)[:200]}")
        return Published(external_id=str(data["id"]), url=self._status_url(data["id"]), raw=data)

    def reply(self, outgoing: Outgoing) -> Published:
        if outgoing.recipient.strip():
            return self.send_message(outgoing)
        if not outgoing.reply_to:
            raise PermanentError("a reply on X answers one post; none was named")
        return self.publish(outgoing)

    def delete(self, external_id: str) -> None:
        """Remove a post of the account; one already gone counts as removed."""
        try:
            body = self.api.call(
                "DELETE", f"/2/tweets/{quote(str(external_id), safe='')}", endpoint="DELETE /2/tweets/:id"
            )
        except PermanentError as exc:
            if getattr(exc, "not_found", False):
                logger.info("x post %s was already gone: %s", external_id, exc)
                return
            raise
        if (body.get("data") or {}).get("deleted") is not True:
            raise PermanentError(f"X did not confirm deleting {external_id}: {str(body)[:200]}")

    def _own_recent_post(self, text: str, *, reply_to: str | None) -> dict[str, Any] | None:
        since = (self._now() - ADOPT_WITHIN).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = self.api.call(
            "GET",
            f"/2/users/{quote(self._my_id(), safe='')}/tweets",
            endpoint="GET /2/users/:id/tweets",
            params={"max_results": PAGE_SIZE, "start_time": since, "tweet.fields": TWEET_FIELDS},
        )
        wanted = same_text(text)
        for tweet in body.get("data") or []:
            replied = {
                str(r.get("id"))
                for r in tweet.get("referenced_tweets") or []
                if r.get("type") == "replied_to"
            }
            if same_text(str(tweet.get("text") or "")) == wanted and (
                not reply_to or str(reply_to) in replied
            ):
                return tweet
        return None

    def _status_url(self, tweet_id: Any) -> str:
        return f"{WEB}/{self.username or 'i/web'}/status/{tweet_id}"

    # --- direct messages -----------------------------------------------------------------------------

    def send_message(self, outgoing: Outgoing) -> Published:
        text = outgoing.text.strip()
        if not text:
            raise PermanentError("the message is empty")
        participant = self._participant(outgoing)
        existing = self._sent_already(participant, text, after=outgoing.reply_to)
        if existing is not None:
            return Published(external_id=str(existing["id"]), raw=existing)
        body = self.api.call(
            "POST",
            f"/2/dm_conversations/with/{quote(participant, safe='')}/messages",
            endpoint="POST /2/dm_conversations/with/:participant_id/messages",
            json={"text": text},
        )
        data = body.get("data") or {}
        if not data.get("dm_event_id"):
            raise PermanentError(f"X sent no message: {str(body)[:200]}")
        return Published(external_id=str(data["dm_event_id"]), raw=data)

    def _participant(self, outgoing: Outgoing) -> str:
        """The other person's user id: from the one-to-one conversation id, the recipient when it
        is an id, else looked up by the recipient's username."""
        my_id = self._my_id()
        found = _ONE_TO_ONE.match(outgoing.thread_id or "")
        if found and my_id in found.groups():
            return found.group(2) if found.group(1) == my_id else found.group(1)
        recipient = outgoing.recipient.strip().lstrip("@")
        if recipient.isdigit():
            return recipient
        if not recipient:
            raise PermanentError("a direct message on X needs the person it goes to")
        body = self.api.call(
            "GET",
            f"/2/users/by/username/{quote(recipient, safe='')}",
            endpoint="GET /2/users/by/username/:username",
        )
        user_id = str((body.get("data") or {}).get("id") or "")
        if not user_id:
            raise PermanentError(f"X knows no user @{recipient}")
        return user_id

    def _sent_already(self, participant: str, text: str, *, after: str | None) -> dict[str, Any] | None:
        body = self.api.call(
            "GET",
            f"/2/dm_conversations/with/{quote(participant, safe='')}/dm_events",
            endpoint="GET /2/dm_conversations/with/:participant_id/dm_events",
            params={"event_types": "MessageCreate", "dm_event.fields": DM_FIELDS, "max_results": 20},
        )
        wanted = same_text(text)
        for event in body.get("data") or []:
            later = not after or not str(after).isdigit() or _id_key(str(event["id"])) > _id_key(str(after))
            ours = str(event.get("sender_id") or "") == self._my_id()
            if ours and later and same_text(str(event.get("text") or "")) == wanted:
                return event
        return None

    # --- helpers ---------------------------------------------------------------------------------------

    def _my_id(self) -> str:
        return self.user_id or str(self.me()["id"])

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)


def same_text(text: str) -> str:
    """A post's text as compared for adoption: X answers with its links shortened (t.co) and
    `&`, `<`, `>` escaped, so links and spacing are left out of the comparison."""
    return " ".join(_URL.sub("<link>", html.unescape(text)).split())


def language_of(code: Any) -> str | None:
    """X's language code as BCP 47: X says `in` for Indonesian and `iw` for Hebrew, `und` when
    it cannot tell, and q-codes for posts of only media, hashtags or links."""
    code = str(code or "").strip()
    if not code or code in {"und", "zxx"} or code.startswith("q"):
        return None
    return {"in": "id", "iw": "he"}.get(code, code)


def _id_key(value: str) -> tuple[int, str]:
    # Snowflake ids outgrow floats; compare them as decimal strings of their length.
    return len(value), value


def _author(user_id: str, users: dict[str, dict[str, Any]]) -> Author:
    """The author of a post or message, from the users the answer included (`expansions`)."""
    user = users.get(user_id) or {}
    username = str(user.get("username") or "")
    return Author(
        platform_id=user_id,
        handle=f"@{username}" if username else user_id,
        name=str(user.get("name") or ""),
        url=f"{WEB}/{username}" if username else "",
    )


def _parse_time(value: Any) -> datetime | None:
    """X's times (`2024-01-15T10:30:00.000Z`) and the cursor's ISO times, always UTC."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
