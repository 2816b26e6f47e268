"""A Bluesky PDS and AppView in miniature, on 127.0.0.1, for contract tests of the Bluesky connector.

It answers XRPC the way the atproto lexicons and the reference PDS do: sessions from an app password
(createSession, refreshSession with refresh-token rotation), notifications with a keyset cursor and
a `reasons` filter, searchPosts (sort=latest, since inclusive, until exclusive, offset cursor as on
bsky.social), records (createRecord, getRecord, deleteRecord), uploadBlob and getPosts. Errors are XRPC JSON
(`{"error": "ExpiredToken", "message": ...}`) with the reference statuses: 400 ExpiredToken,
401 AuthenticationRequired / InvalidToken, 400 RecordNotFound, 429 with ratelimit-* headers.
A createRecord on a record key that is taken answers like today's reference PDS (500
InternalServerError, bluesky-social/atproto#3718); `duplicate_rkey_reply` switches that to a named
error as newer servers give.

Tests seed it (`add_profile`, `add_post`, `notify`), inject faults (`fail_next`, `rate_limit_next`,
`lose_answer_next`, `expire_access_tokens`) and read back what it received (`requests`, `posts_in_repo`).

    with BlueskyStub() as stub:
        alice = stub.add_profile("alice.test")
        stub.notify(stub.add_post(alice, "hi @brand.test", created_at=now), "mention")
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from tests.stub_server import Answer, Reply, Request, StubServer

HANDLE = "brand.test"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
POST = "app.bsky.feed.post"
TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


class Recorded(Request):
    """One request as the stub saw it."""

    @property
    def nsid(self) -> str:
        return self.path.removeprefix("/xrpc/")

    @property
    def params(self) -> dict[str, list[str]]:
        return self.query

    @cached_property
    def body(self) -> Any:
        """The parsed JSON, or the raw bytes of a blob upload."""
        return self.json() if self.raw and self.content_type == "application/json" else self.raw


@dataclass
class Fault:
    kind: str  # "reply": answer status/error; "lose": act, then drop the answer
    nsid: str | None
    times: int
    status: int = 0
    error: str = ""
    message: str = ""
    reset_in: float = 60.0

    def matches(self, nsid: str) -> bool:
        return self.nsid is None or self.nsid == nsid


@dataclass
class _State:
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # did -> profileViewBasic
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)  # uri -> postView
    records: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)  # (did, coll, rkey)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)
    access: dict[str, str] = field(default_factory=dict)  # token -> did
    refresh: dict[str, str] = field(default_factory=dict)
    expired: set[str] = field(default_factory=set)  # access and refresh tokens past their lifetime
    revoked: set[str] = field(default_factory=set)  # refresh tokens already rotated


class _Reply(Reply):
    def __init__(self, status: int, error: str, message: str = "", *, headers: dict[str, str] | None = None):
        super().__init__(status, {"error": error, "message": message or error}, headers)


class BlueskyStub(StubServer):
    name = "bluesky"
    request_class = Recorded
    requests: list[Recorded]

    def __init__(self, *, handle: str = HANDLE, app_password: str = APP_PASSWORD) -> None:
        super().__init__()
        self.app_password = app_password
        # How createRecord answers when the record key is taken: (status, XRPC error name).
        self.duplicate_rkey_reply: tuple[int, str] = (500, "InternalServerError")
        self._state = _State()
        self._faults: list[Fault] = []
        self._counter = 0
        self.me = self.add_profile(handle, display_name="Brand")
        self._xrpc("POST", "com.atproto.server.createSession", self._create_session)
        self._xrpc("POST", "com.atproto.server.refreshSession", self._refresh_session)
        self._xrpc("GET", "app.bsky.notification.listNotifications", self._list_notifications)
        self._xrpc("GET", "app.bsky.feed.searchPosts", self._search_posts)
        self._xrpc("GET", "app.bsky.feed.getPosts", self._get_posts)
        self._xrpc("GET", "com.atproto.repo.getRecord", self._get_record)
        self._xrpc("POST", "com.atproto.repo.uploadBlob", self._upload_blob)
        self._xrpc("POST", "com.atproto.repo.createRecord", self._create_record)
        self._xrpc("POST", "com.atproto.repo.deleteRecord", self._delete_record)

    # --- seeding ------------------------------------------------------------------------------------

    def add_profile(self, handle: str, *, display_name: str = "") -> dict[str, Any]:
        did = "did:plc:" + hashlib.sha256(handle.encode()).hexdigest()[:24]
        profile = {"did": did, "handle": handle, "labels": []}
        if display_name:
            profile["displayName"] = display_name
        with self._lock:
            self._state.profiles[did] = profile
        return profile

    def add_post(
        self,
        author: dict[str, Any],
        text: str,
        *,
        created_at: datetime,
        indexed_at: datetime | None = None,
        reply_to: str | None = None,
        langs: list[str] | None = None,
        likes: int = 0,
        reposts: int = 0,
        quotes: int = 0,
        replies: int = 0,
    ) -> dict[str, Any]:
        """A post by `author` as the AppView shows it (app.bsky.feed.defs#postView)."""
        record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": _iso(created_at)}
        if langs:
            record["langs"] = langs
        with self._lock:
            if reply_to:
                parent = self._state.posts[reply_to]
                root = (parent["record"].get("reply") or {}).get("root") or _ref(parent)
                record["reply"] = {"root": root, "parent": _ref(parent)}
            self._counter += 1
            rkey = _tid(int(created_at.timestamp() * 1_000_000), self._counter)
            return self._index_post(
                author, rkey, record, indexed_at or created_at, likes, reposts, quotes, replies
            )

    def notify(
        self, post: dict[str, Any], reason: str, *, indexed_at: datetime | None = None
    ) -> dict[str, Any]:
        """A notification to the account about `post`, shaped as listNotifications#notification."""
        note = {
            "uri": post["uri"],
            "cid": post["cid"],
            "author": post["author"],
            "reason": reason,
            "record": post["record"],
            "isRead": False,
            "indexedAt": _iso(indexed_at) if indexed_at else post["indexedAt"],
            "labels": [],
        }
        parent = (post["record"].get("reply") or {}).get("parent")
        if reason in ("reply", "quote") and parent:
            note["reasonSubject"] = parent["uri"]
        with self._lock:
            self._state.notifications.append(note)
        return note

    def post(self, uri: str) -> dict[str, Any]:
        with self._lock:
            return self._state.posts[uri]

    def posts_in_repo(self) -> list[dict[str, Any]]:
        """The account's own app.bsky.feed.post records: {"uri", "cid", "value"}."""
        with self._lock:
            return [
                record
                for (did, collection, _), record in self._state.records.items()
                if did == self.me["did"] and collection == POST
            ]

    def blob(self, cid: str) -> bytes:
        with self._lock:
            return self._state.blobs[cid]

    # --- faults and inspection -------------------------------------------------------------------

    def fail_next(
        self,
        nsid: str | None = None,
        *,
        status: int = 500,
        error: str = "InternalServerError",
        message: str = "",
        times: int = 1,
    ) -> None:
        """The next `times` calls to `nsid` (any method when None) answer this XRPC error."""
        with self._lock:
            self._faults.append(Fault("reply", nsid, times, status=status, error=error, message=message))

    def rate_limit_next(self, nsid: str | None = None, *, times: int = 1, reset_in: float = 60.0) -> None:
        with self._lock:
            fault = Fault("reply", nsid, times, status=429, error="RateLimitExceeded", reset_in=reset_in)
            self._faults.append(fault)

    def lose_answer_next(self, nsid: str, *, times: int = 1) -> None:
        """The next `times` calls are carried out, then the connection drops before the answer."""
        with self._lock:
            self._faults.append(Fault("lose", nsid, times))

    def expire_access_tokens(self) -> None:
        with self._lock:
            self._state.expired.update(self._state.access)

    def expire_refresh_tokens(self) -> None:
        with self._lock:
            self._state.expired.update(self._state.refresh)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def issued_tokens(self) -> list[str]:
        """Every access and refresh JWT handed out so far."""
        with self._lock:
            return [*self._state.access, *self._state.refresh, *self._state.revoked]

    def calls(self, nsid: str) -> list[Recorded]:
        with self._lock:
            return [request for request in self.requests if request.nsid == nsid]

    def _take_fault(self, nsid: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.matches(nsid):
                    fault.times -= 1
                    return fault
        return None

    # --- answering ----------------------------------------------------------------------------------

    def serve(self, request: Request) -> Answer:
        fault = self._take_fault(request.nsid)
        if fault is not None and fault.kind == "reply":
            headers: dict[str, str] = {}
            if fault.status == 429:
                headers = {
                    "ratelimit-limit": "3000",
                    "ratelimit-remaining": "0",
                    "ratelimit-reset": str(int(time.time() + fault.reset_in)),
                    "ratelimit-policy": "3000;w=300",
                }
            raise _Reply(fault.status, fault.error, fault.message, headers=headers)
        try:
            with self._lock:
                answer = self.dispatch(request)
        except _Reply as reply:
            answer = reply.answer()
        answer.drop = fault is not None and fault.kind == "lose"
        return answer

    def unrouted(self, request: Recorded) -> Answer:
        self._authenticated(request)
        raise _Reply(501, "MethodNotImplemented", "Method Not Implemented")

    def _xrpc(self, method: str, nsid: str, handler: Callable[..., Any]) -> None:
        self.route(method, "/xrpc/" + re.escape(nsid), lambda request: (200, handler(request)))

    def _create_session(self, request: Recorded) -> dict[str, Any]:
        body = request.body if isinstance(request.body, dict) else {}
        identifier = str(body.get("identifier", "")).lower()
        me = self.me
        if identifier not in (me["handle"], me["did"]) or body.get("password") != self.app_password:
            raise _Reply(401, "AuthenticationRequired", "Invalid identifier or password")
        return self._issue_session(me["did"])

    def _refresh_session(self, request: Recorded) -> dict[str, Any]:
        state = self._state
        token = _bearer(request)
        if token in state.revoked:
            raise _Reply(400, "ExpiredToken", "Token has been revoked")
        if token in state.expired:
            raise _Reply(400, "ExpiredToken", "Token has expired")
        did = state.refresh.pop(token, None)
        if did is None:
            raise _Reply(401, "InvalidToken", "Token could not be verified")
        state.revoked.add(token)  # refresh tokens rotate: each one works once
        return self._issue_session(did)

    def _authenticated(self, request: Recorded) -> str:
        state = self._state
        token = _bearer(request)
        if token in state.expired:
            raise _Reply(400, "ExpiredToken", "Token has expired")
        if token in state.refresh:
            raise _Reply(400, "InvalidToken", "Invalid token type")
        did = state.access.get(token)
        if did is None:
            raise _Reply(401, "InvalidToken", "Token could not be verified")
        return did

    def _list_notifications(self, request: Recorded) -> dict[str, Any]:
        self._authenticated(request)
        params = request.params
        limit = _limit(params, 50)
        reasons = params.get("reasons")
        rows = [n for n in self._state.notifications if not reasons or n["reason"] in reasons]
        # Newest first; the cursor is a keyset (indexedAt, uri), so new arrivals never shift pages.
        rows.sort(key=lambda n: (n["indexedAt"], n["uri"]), reverse=True)
        if cursor := _one(params, "cursor"):
            at, _, uri = cursor.partition("::")
            rows = [n for n in rows if (n["indexedAt"], n["uri"]) < (at, uri)]
        page = rows[:limit]
        answer: dict[str, Any] = {"notifications": page, "priority": False}
        if page:
            answer["cursor"] = f"{page[-1]['indexedAt']}::{page[-1]['uri']}"
        return answer

    def _search_posts(self, request: Recorded) -> dict[str, Any]:
        self._authenticated(request)
        params = request.params
        q = (_one(params, "q") or "").strip().lower()
        if not q:
            raise _Reply(400, "InvalidRequest", 'Error: Params must have the property "q"')
        limit = _limit(params, 25)
        since, until = _one(params, "since"), _one(params, "until")
        rows = [view for view in self._state.posts.values() if q in view["record"]["text"].lower()]
        if since:
            rows = [view for view in rows if _sort_at(view) >= _parse(since)]
        if until:
            rows = [view for view in rows if _sort_at(view) < _parse(until)]
        rows.sort(key=lambda view: (_sort_at(view), view["uri"]), reverse=True)
        try:
            offset = int(_one(params, "cursor", "0") or 0)
        except ValueError:
            raise _Reply(400, "InvalidRequest", "invalid cursor") from None
        page = rows[offset : offset + limit]
        answer: dict[str, Any] = {"posts": page, "hitsTotal": len(rows)}
        if offset + limit < len(rows):
            answer["cursor"] = str(offset + limit)
        return answer

    def _get_posts(self, request: Recorded) -> dict[str, Any]:
        self._authenticated(request)
        uris = request.params.get("uris", [])
        if len(uris) > 25:
            raise _Reply(400, "InvalidRequest", "uris must not have more than 25 elements")
        # Posts that do not exist (or were deleted) are left out, as the AppView does.
        return {"posts": [self._state.posts[uri] for uri in uris if uri in self._state.posts]}

    def _get_record(self, request: Recorded) -> dict[str, Any]:
        self._authenticated(request)
        state = self._state
        repo, collection, rkey = (_one(request.params, name) or "" for name in ("repo", "collection", "rkey"))
        did = next((p["did"] for p in state.profiles.values() if repo in (p["did"], p["handle"])), repo)
        found = state.records.get((did, collection, rkey))
        if found is None:
            raise _Reply(400, "RecordNotFound", f"Could not locate record: at://{did}/{collection}/{rkey}")
        return found

    def _upload_blob(self, request: Recorded) -> dict[str, Any]:
        self._authenticated(request)
        data = request.body if isinstance(request.body, bytes) else b""
        cid = "bafkrei" + base64.b32encode(hashlib.sha256(data).digest()).decode().lower().rstrip("=")[:52]
        self._state.blobs[cid] = data
        mime = request.header("Content-Type", "application/octet-stream")
        return {"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(data)}}

    def _create_record(self, request: Recorded) -> dict[str, Any]:
        did = self._authenticated(request)
        state = self._state
        body = request.body if isinstance(request.body, dict) else {}
        if body.get("repo") not in (did, state.profiles[did]["handle"]):
            raise _Reply(401, "AuthenticationRequired", "Not the authenticated account's repo")
        collection = body.get("collection")
        record = body.get("record")
        if collection != POST or not isinstance(record, dict):
            raise _Reply(400, "InvalidRequest", "Input/record must be an app.bsky.feed.post object")
        rkey = body.get("rkey")
        if rkey is None:
            self._counter += 1
            rkey = _tid(int(time.time() * 1_000_000), self._counter)
        if not TID_RE.match(str(rkey)):
            raise _Reply(400, "InvalidRequest", f"Invalid record key for a TID keyed collection: {rkey}")
        self._validate_post(record)
        if (did, collection, rkey) in state.records:
            status, error = self.duplicate_rkey_reply
            raise _Reply(status, error, "Record already exists" if status < 500 else "Internal Server Error")
        view = self._index_post(state.profiles[did], rkey, record, datetime.now(UTC))
        self._counter += 1
        commit = {
            "cid": _cid({"commit": self._counter}),
            "rev": _tid(int(time.time() * 1e6), self._counter),
        }
        return {"uri": view["uri"], "cid": view["cid"], "commit": commit, "validationStatus": "valid"}

    def _delete_record(self, request: Recorded) -> dict[str, Any]:
        """ "Delete a repository record, or ensure it doesn't exist": a record that is not there is
        answered like a deletion, without a commit."""
        did = self._authenticated(request)
        state = self._state
        body = request.body if isinstance(request.body, dict) else {}
        if body.get("repo") not in (did, state.profiles[did]["handle"]):
            raise _Reply(401, "AuthenticationRequired", "Not the authenticated account's repo")
        record = state.records.pop((did, body.get("collection"), body.get("rkey")), None)
        if record is None:
            return {}
        state.posts.pop(record["uri"], None)
        self._counter += 1
        return {
            "commit": {
                "cid": _cid({"commit": self._counter}),
                "rev": _tid(int(time.time() * 1e6), self._counter),
            }
        }

    def _validate_post(self, record: dict[str, Any]) -> None:
        if record.get("$type") != POST or not isinstance(record.get("text"), str):
            raise _Reply(400, "InvalidRecord", "Record/text must be a string")
        if len(record["text"].encode()) > 3000:
            raise _Reply(400, "InvalidRecord", "Record/text must not be longer than 3000 characters")
        if not record.get("createdAt"):
            raise _Reply(400, "InvalidRecord", 'Record must have the property "createdAt"')
        reply = record.get("reply")
        if reply is not None:
            for part in ("root", "parent"):
                ref = reply.get(part) if isinstance(reply, dict) else None
                if not isinstance(ref, dict) or not ref.get("uri") or not ref.get("cid"):
                    raise _Reply(400, "InvalidRecord", f"Record/reply/{part} must be a strongRef")
        embed = record.get("embed")
        if embed is not None:
            images = embed.get("images", [])
            if embed.get("$type") != "app.bsky.embed.images" or not 1 <= len(images) <= 4:
                raise _Reply(400, "InvalidRecord", "Record/embed/images must have 1 to 4 images")
            for image in images:
                link = ((image.get("image") or {}).get("ref") or {}).get("$link")
                if link not in self._state.blobs:
                    raise _Reply(400, "BlobNotFound", "Could not find blob")

    # --- the server's own bookkeeping ------------------------------------------------------------

    def _index_post(
        self,
        author: dict[str, Any],
        rkey: str,
        record: dict[str, Any],
        indexed_at: datetime,
        likes: int = 0,
        reposts: int = 0,
        quotes: int = 0,
        replies: int = 0,
    ) -> dict[str, Any]:
        uri = f"at://{author['did']}/{POST}/{rkey}"
        view = {
            "uri": uri,
            "cid": _cid(record),
            "author": author,
            "record": record,
            "replyCount": replies,
            "repostCount": reposts,
            "likeCount": likes,
            "quoteCount": quotes,
            "indexedAt": _iso(indexed_at),
            "labels": [],
        }
        self._state.posts[uri] = view
        self._state.records[(author["did"], POST, rkey)] = {"uri": uri, "cid": view["cid"], "value": record}
        return view

    def _issue_session(self, did: str) -> dict[str, Any]:
        self._counter += 1
        access, refresh = f"access-{self._counter}", f"refresh-{self._counter}"
        self._state.access[access] = did
        self._state.refresh[refresh] = did
        profile = self._state.profiles[did]
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": profile["handle"],
            "did": did,
            "active": True,
        }


def _iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse(value: str) -> datetime:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        value += "T00:00:00Z"
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _tid(micros: int, clock_id: int) -> str:
    value = (micros << 10) | (clock_id & 0x3FF)
    return "".join(_TID_ALPHABET[(value >> shift) & 0x1F] for shift in range(60, -1, -5))


def _cid(value: Any) -> str:
    digest = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).digest()
    return "bafyrei" + base64.b32encode(digest).decode().lower().rstrip("=")[:52]


def _ref(view: dict[str, Any]) -> dict[str, str]:
    return {"uri": view["uri"], "cid": view["cid"]}


def _sort_at(view: dict[str, Any]) -> datetime:
    # The AppView's sortAt: the earlier of createdAt and indexedAt.
    return min(_parse(view["record"]["createdAt"]), _parse(view["indexedAt"]))


def _one(params: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
    values = params.get(name)
    return values[0] if values else default


def _limit(params: dict[str, list[str]], default: int) -> int:
    try:
        limit = int(_one(params, "limit", str(default)) or default)
    except ValueError:
        raise _Reply(400, "InvalidRequest", "limit must be an integer") from None
    if not 1 <= limit <= 100:
        raise _Reply(400, "InvalidRequest", "limit must be between 1 and 100")
    return limit


def _bearer(request: Request) -> str:
    header = request.header("Authorization")
    if not header.startswith("Bearer "):
        raise _Reply(401, "AuthenticationRequired", "Authentication Required")
    return header.removeprefix("Bearer ")
