"""X in miniature, on 127.0.0.1: the OAuth 2.0 consent page and token endpoint, and the API v2
endpoints the X connector calls, answering in the shapes X documents (docs.x.com), kept as
fixtures in `tests/channels/fixtures/x/*.json` (each naming its source).

- `GET /i/oauth2/authorize`: checks the client id, the exact redirect_uri and an S256
  `code_challenge`, and shows a consent page whose "Authorize app" link goes back to the
  redirect_uri with `state` and a `code` bound to that challenge ("Cancel": `error=access_denied`).
- `POST /2/oauth2/token` (form, client authenticated with HTTP Basic): `authorization_code` with
  the code, the same redirect_uri and a `code_verifier` whose S256 is the challenge;
  `refresh_token`, single-use: a refresh token spent twice revokes every token of its sign-in, as
  X does. Answers `oauth_token.json`'s shape; refusals RFC 6749's `{"error", "error_description"}`.
- API calls need a current access token (401 otherwise); posts carry the documented fields
  (`id`, `text`, `edit_history_tweet_ids` by default, the rest as asked in `tweet.fields`), lists
  `data` / `includes.users` (with `expansions`) / `meta` (`newest_id`, `oldest_id`,
  `result_count`, `next_token` while older pages remain; `since_id` and the page token as X
  pages them). `POST /2/tweets` refuses a text the account posted in the last day with the
  documented 403 duplicate answer.
- Every answer carries `x-rate-limit-limit`, `-remaining` and `-reset` for its endpoint's window
  (`limits`); a spent window answers 429. `lose_next(method, path)` acts on a request and drops
  its answer; `fail_next(status, body)` answers the next call of a path with an error.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

from tests.channels.stubs.consent import approve, consent_page, refusal_page
from tests.stub_server import Answer, Reply, Request, StubServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "x"
CLIENT_ID = "M1M5R3BMVy13QmpScXkzTUt5OE46MTpjaQ"
CLIENT_SECRET = "x-client-secret-never-shown"
DEFAULT_LIMIT = 300
WINDOW = 15 * 60


def documented(name: str) -> dict[str, Any]:
    body = json.loads((FIXTURES / name).read_text())
    body.pop("_source", None)
    return body


def x_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class Grant:
    """One sign-in: its tokens, the refresh tokens it spent, whether X revoked it."""

    access: dict[str, float] = field(default_factory=dict)  # access token -> expiry (epoch)
    refresh: str = ""
    spent: set[str] = field(default_factory=set)
    revoked: bool = False


@dataclass
class Window:
    limit: int
    remaining: int
    reset: int


class XStub(StubServer):
    name = "x"

    def __init__(
        self,
        *,
        redirect_uri: str = "https://cxm.example/admin/accounts/connect/x/callback/",
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
    ) -> None:
        super().__init__()
        self.redirect_uri, self.client_id, self.client_secret = redirect_uri, client_id, client_secret
        me = documented("users_me.json")["data"]
        self.me = {"id": me["id"], "name": me["name"], "username": me["username"]}
        self.users: dict[str, dict[str, str]] = {self.me["id"]: self.me}
        self.tweets: dict[str, dict[str, Any]] = {}  # id -> full post
        self.dm_events: list[dict[str, Any]] = []  # newest last
        self.grants: list[Grant] = []
        self.codes: dict[str, dict[str, str]] = {}  # code -> challenge, redirect_uri, scope
        self.limits: dict[str, Window] = {}
        self.expires_in = documented("oauth_token.json")["expires_in"]
        self._faults: list[tuple[str, str, Any]] = []
        self._ids = count(1_846_000_000_000_000_000)
        self._id_lock = threading.Lock()
        self.route("GET", r"/i/oauth2/authorize", self._authorize)
        self.route("GET", r"/favicon.ico", lambda request: Answer(204, b""))  # what a browser asks for
        self.route("POST", r"/2/oauth2/token", self._token)
        self.route("*", r"/2/(?!oauth2/).*", self._api)

    # --- seeding and looking ----------------------------------------------------------------------

    def next_id(self) -> str:
        with self._id_lock:
            return str(next(self._ids))

    def add_user(self, username: str, name: str = "") -> str:
        user_id = str(9_000_000_000 + len(self.users))
        self.users[user_id] = {"id": user_id, "name": name or username.title(), "username": username}
        return user_id

    def add_post(
        self, text: str, *, author: str, reply_to: str | None = None, at: datetime | None = None, lang="en"
    ) -> str:
        """A post by `author` (a user id); `reply_to` makes it a reply in that post's conversation."""
        tweet_id = self.next_id()
        parent = self.tweets.get(reply_to or "")
        tweet: dict[str, Any] = {
            "id": tweet_id,
            "text": html.escape(text, quote=False),  # X escapes &, < and > in text
            "edit_history_tweet_ids": [tweet_id],
            "author_id": author,
            "created_at": x_time(at or datetime.now(UTC)),
            "conversation_id": parent["conversation_id"] if parent else tweet_id,
            "lang": lang,
        }
        if parent:
            tweet["in_reply_to_user_id"] = parent["author_id"]
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": parent["id"]}]
        self.tweets[tweet_id] = tweet
        return tweet_id

    def add_dm(self, text: str, *, sender: str, to: str | None = None, at: datetime | None = None) -> str:
        other = to or self.me["id"]
        low, high = sorted((sender, other), key=lambda i: (len(i), i))
        event = {
            "id": self.next_id(),
            "event_type": "MessageCreate",
            "text": text,
            "sender_id": sender,
            "dm_conversation_id": f"{low}-{high}",
            "created_at": x_time(at or datetime.now(UTC)),
        }
        self.dm_events.append(event)
        return event["id"]

    def posts_by(self, user_id: str) -> list[dict[str, Any]]:
        return [t for t in self.tweets.values() if t["author_id"] == user_id]

    def calls(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def limit(
        self, endpoint: str, *, remaining: int, limit: int = DEFAULT_LIMIT, reset_in: int = WINDOW
    ) -> None:
        """Set an endpoint's window, e.g. limit("GET /2/dm_events", remaining=0)."""
        self.limits[endpoint] = Window(limit, remaining, int(time.time()) + reset_in)

    def lose_next(self, method: str, path: str) -> None:
        self._faults.append(("lose", f"{method} {path}", None))

    def fail_next(self, method: str, path: str, status: int, body: Any) -> None:
        self._faults.append(("fail", f"{method} {path}", (status, body)))

    # --- OAuth 2.0 ----------------------------------------------------------------------------------

    def _authorize(self, request: Request):
        q = {k: v[0] for k, v in request.query.items()}
        if q.get("client_id") != self.client_id or q.get("redirect_uri") != self.redirect_uri:
            return refusal_page(400, "Something went wrong: this app cannot sign in here.")
        if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256":
            return refusal_page(400, "Something went wrong: PKCE S256 is required.")
        code = secrets.token_urlsafe(24)
        self.codes[code] = {
            "challenge": q.get("code_challenge", ""),
            "redirect_uri": q["redirect_uri"],
            "scope": q.get("scope", ""),
        }
        return consent_page(
            title="Authorize app",
            heading=f"cxm wants to access your X account @{self.me['username']}",
            asks=f"Scopes: {q.get('scope', '')}",
            redirect_uri=self.redirect_uri,
            state=q.get("state", ""),
            granted={"code": code},
            grant="Authorize app",
            decline="Cancel",
        )

    def approve(self, authorize_url: str) -> str:
        """What a person's "Authorize app" on the consent page leads to: the callback address."""
        return approve(authorize_url)

    def _token(self, request: Request):
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.header("Authorization") != f"Basic {expected}":
            return 401, {
                "error": "unauthorized_client",
                "error_description": "Missing valid authorization header",
            }
        form = {k: v[0] for k, v in request.form().items()}
        refused = documented("oauth_token_refused.json")
        if form.get("grant_type") == "authorization_code":
            kept = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            )
            if (
                kept is None
                or kept["redirect_uri"] != form.get("redirect_uri")
                or kept["challenge"] != challenge
            ):
                return 400, refused["code"]
            grant = Grant()
            self.grants.append(grant)
            return 200, self._issue(grant, kept["scope"])
        if form.get("grant_type") == "refresh_token":
            token = form.get("refresh_token", "")
            grant = next((g for g in self.grants if token == g.refresh or token in g.spent), None)
            if grant is None or grant.revoked:
                return 400, refused["refresh"]
            if token in grant.spent:
                grant.revoked = True  # a refresh token spent twice revokes the whole sign-in
                return 400, refused["refresh"]
            grant.spent.add(token)
            return 200, self._issue(grant, documented("oauth_token.json")["scope"])
        return 400, {"error": "unsupported_grant_type"}

    def _issue(self, grant: Grant, scope: str) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        grant.access[access] = time.time() + self.expires_in
        grant.refresh = refresh
        answer = documented("oauth_token.json")
        return {**answer, "access_token": access, "refresh_token": refresh, "scope": scope}

    def grant_tokens(self) -> tuple[str, str]:
        """A sign-in made directly, for tests that start from a connected account."""
        grant = Grant()
        self.grants.append(grant)
        answer = self._issue(grant, documented("oauth_token.json")["scope"])
        return answer["access_token"], answer["refresh_token"]

    def expire(self, access_token: str) -> None:
        for grant in self.grants:
            if access_token in grant.access:
                grant.access[access_token] = 0

    def _authorised(self, request: Request) -> bool:
        token = request.header("Authorization").removeprefix("Bearer ")
        return any(not grant.revoked and grant.access.get(token, 0) > time.time() for grant in self.grants)

    # --- the API ------------------------------------------------------------------------------------

    ROUTES = (
        ("GET", r"/2/users/me", "GET /2/users/me", "_users_me"),
        ("GET", r"/2/users/(\d+)/mentions", "GET /2/users/:id/mentions", "_mentions"),
        ("GET", r"/2/users/(\d+)/tweets", "GET /2/users/:id/tweets", "_user_tweets"),
        ("GET", r"/2/users/by/username/(\w+)", "GET /2/users/by/username/:username", "_by_username"),
        ("GET", r"/2/tweets/search/recent", "GET /2/tweets/search/recent", "_search"),
        ("GET", r"/2/tweets", "GET /2/tweets", "_lookup"),
        ("POST", r"/2/tweets", "POST /2/tweets", "_create"),
        ("DELETE", r"/2/tweets/(\d+)", "DELETE /2/tweets/:id", "_delete"),
        ("GET", r"/2/dm_events", "GET /2/dm_events", "_dm_events"),
        (
            "GET",
            r"/2/dm_conversations/with/(\d+)/dm_events",
            "GET /2/dm_conversations/with/:participant_id/dm_events",
            "_dm_with",
        ),
        (
            "POST",
            r"/2/dm_conversations/with/(\d+)/messages",
            "POST /2/dm_conversations/with/:participant_id/messages",
            "_dm_send",
        ),
    )

    def _route(self, request: Request):
        for method, pattern, endpoint, name in self.ROUTES:
            found = re.fullmatch(pattern, request.path)
            if found is not None and method == request.method:
                return endpoint, getattr(self, name), found.groups()
        return None

    def _api(self, request: Request):
        route = self._route(request)
        if route is None:
            return 404, {"title": "Not Found Error", "detail": "no such route", "type": "about:blank"}
        endpoint, handler, groups = route
        window = self.limits.setdefault(
            endpoint, Window(DEFAULT_LIMIT, DEFAULT_LIMIT, int(time.time()) + WINDOW)
        )
        if window.remaining > 0:
            window.remaining -= 1
            spent = False
        else:
            spent = True
        headers = {
            "x-rate-limit-limit": str(window.limit),
            "x-rate-limit-remaining": str(window.remaining),
            "x-rate-limit-reset": str(window.reset),
        }
        if spent:
            return Answer(429, documented("errors.json")["rate_limited"], headers)
        if not self._authorised(request):
            return Answer(401, documented("errors.json")["unauthorized"], headers)
        fault = next((f for f in self._faults if f[1] == f"{request.method} {request.path}"), None)
        if fault is not None:
            self._faults.remove(fault)
            if fault[0] == "fail":
                status, body = fault[2]
                return Answer(status, body, headers)
        try:
            status, body = handler(request, *groups)
        except Reply as reply:
            return Answer(reply.status, reply.body, {**headers, **reply.headers})
        return Answer(status, body, headers, drop=fault is not None and fault[0] == "lose")

    def _users_me(self, request: Request):
        return 200, {"data": self.me}

    def _by_username(self, request: Request, username: str):
        user = next((u for u in self.users.values() if u["username"].lower() == username.lower()), None)
        if user is None:
            return 200, {
                "errors": [
                    {
                        "title": "Not Found Error",
                        "detail": f"Could not find user with username: [{username}].",
                        "type": "https://api.x.com/2/problems/resource-not-found",
                    }
                ]
            }
        return 200, {"data": user}

    def _mentions(self, request: Request, user_id: str):
        handle = "@" + self.users[user_id]["username"].lower()
        found = [t for t in self.tweets.values() if handle in t["text"].lower() and t["author_id"] != user_id]
        return 200, self._listing(request, found, page_param="pagination_token", minimum=5)

    def _user_tweets(self, request: Request, user_id: str):
        found = self.posts_by(user_id)
        start = request.query.get("start_time", [""])[0]
        if start:
            found = [t for t in found if t["created_at"] >= start.replace("Z", ".000Z")]
        return 200, self._listing(request, found, page_param="pagination_token", minimum=5)

    def _search(self, request: Request):
        query = request.query.get("query", [""])[0]
        if not query:
            return 400, documented("errors.json")["invalid_request"]
        words = [w.strip('"()').lower() for w in re.findall(r'"[^"]+"|\S+', query)]
        wanted = [w for w in words if w and not w.startswith("-") and w != "or"]
        found = [
            t for t in self.tweets.values() if any(w in html.unescape(t["text"]).lower() for w in wanted)
        ]
        return 200, self._listing(request, found, page_param="next_token", minimum=10)

    def _lookup(self, request: Request):
        ids = request.query.get("ids", [""])[0].split(",")
        found = [self._shaped(self.tweets[i], request) for i in ids if i in self.tweets]
        missing = [i for i in ids if i not in self.tweets]
        body: dict[str, Any] = {"data": found} if found else {}
        if missing:
            body["errors"] = [
                {
                    "resource_id": i,
                    "resource_type": "tweet",
                    "title": "Not Found Error",
                    "detail": f"Could not find tweet with id: [{i}].",
                    "type": "https://api.x.com/2/problems/resource-not-found",
                }
                for i in missing
            ]
        return 200, body

    def _create(self, request: Request):
        body = request.json() or {}
        text = str(body.get("text") or "")
        since = x_time(datetime.now(UTC) - timedelta(days=1))
        if any(
            html.unescape(t["text"]) == text and t["created_at"] >= since
            for t in self.posts_by(self.me["id"])
        ):
            return 403, documented("errors.json")["duplicate"]
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        tweet_id = self.add_post(text, author=self.me["id"], reply_to=reply_to)
        return 201, {"data": {"id": tweet_id, "text": self.tweets[tweet_id]["text"]}}

    def _delete(self, request: Request, tweet_id: str):
        if tweet_id not in self.tweets:
            return 404, {
                "title": "Not Found Error",
                "detail": f"Could not find tweet with id: [{tweet_id}].",
                "type": "https://api.x.com/2/problems/resource-not-found",
            }
        del self.tweets[tweet_id]
        return 200, documented("delete_post.json")

    def _dm_events(self, request: Request):
        wanted = request.query.get("event_types", ["MessageCreate"])[0]
        found = [e for e in self.dm_events if e["event_type"] == wanted]
        return 200, self._events(request, found)

    def _dm_with(self, request: Request, participant: str):
        found = [e for e in self.dm_events if participant in e["dm_conversation_id"].split("-")]
        return 200, self._events(request, found)

    def _dm_send(self, request: Request, participant: str):
        text = str((request.json() or {}).get("text") or "")
        event_id = self.add_dm(text, sender=self.me["id"], to=participant)
        event = next(e for e in self.dm_events if e["id"] == event_id)
        return 201, {"data": {"dm_conversation_id": event["dm_conversation_id"], "dm_event_id": event_id}}

    # --- shapes -------------------------------------------------------------------------------------

    def _shaped(self, tweet: dict[str, Any], request: Request) -> dict[str, Any]:
        fields = set(request.query.get("tweet.fields", [""])[0].split(",")) | {
            "id",
            "text",
            "edit_history_tweet_ids",
        }
        return {k: v for k, v in tweet.items() if k in fields}

    def _listing(self, request: Request, found: list[dict[str, Any]], *, page_param: str, minimum: int):
        q = {k: v[0] for k, v in request.query.items()}
        size = int(q.get("max_results") or 10)
        if not minimum <= size <= 100:
            raise Reply(400, documented("errors.json")["invalid_request"])
        since, token = q.get("since_id"), q.get(page_param)
        start = q.get("start_time")
        rows = sorted(found, key=lambda t: (len(t["id"]), t["id"]), reverse=True)
        if since:
            rows = [t for t in rows if (len(t["id"]), t["id"]) > (len(since), since)]
        if start:
            rows = [t for t in rows if t["created_at"] >= start.replace("Z", ".000Z")]
        if token:
            until = token.removeprefix("t")
            rows = [t for t in rows if (len(t["id"]), t["id"]) < (len(until), until)]
        page, rest = rows[:size], rows[size:]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if rest:
            meta["next_token"] = f"t{page[-1]['id']}"  # the same token always answers the same page
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = [self._shaped(t, request) for t in page]
            if "author_id" in q.get("expansions", ""):
                authors = dict.fromkeys(t["author_id"] for t in page)
                body["includes"] = {"users": [self._user(a, request) for a in authors if a in self.users]}
        return body

    def _user(self, user_id: str, request: Request) -> dict[str, str]:
        return {k: v for k, v in self.users[user_id].items() if k in {"id", "name", "username"}}

    def _events(self, request: Request, found: list[dict[str, Any]]) -> dict[str, Any]:
        q = {k: v[0] for k, v in request.query.items()}
        size = int(q.get("max_results") or 100)
        fields = set(q.get("dm_event.fields", "").split(",")) | {"id", "event_type", "text"}
        rows = sorted(found, key=lambda e: (len(e["id"]), e["id"]), reverse=True)
        if q.get("pagination_token"):
            until = q["pagination_token"].removeprefix("t")
            rows = [e for e in rows if (len(e["id"]), e["id"]) < (len(until), until)]
        page, rest = rows[:size], rows[size:]
        meta: dict[str, Any] = {"result_count": len(page)}
        if rest:
            meta["next_token"] = f"t{page[-1]['id']}"
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = [{k: v for k, v in e.items() if k in fields} for e in page]
            if "sender_id" in q.get("expansions", ""):
                senders = dict.fromkeys(e["sender_id"] for e in page)
                body["includes"] = {"users": [self._user(s, request) for s in senders if s in self.users]}
        return body
