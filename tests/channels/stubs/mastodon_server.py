"""A Mastodon server in miniature, on 127.0.0.1, for contract tests of the Mastodon connector.

It answers the endpoints the connector uses the way docs.joinmastodon.org documents them: the
Account, Status, Notification, MediaAttachment and Instance entities; max_id / since_id / min_id
pagination with Link headers; X-RateLimit-* headers; 401 for a bad token; Idempotency-Key on
POST /api/v1/statuses; DELETE /api/v1/statuses/:id of the account's own statuses. Tests seed it (`add_account`, `add_status`), inject faults (`fail_next`,
`hang_next`) and read back what it received (`requests`, `created_statuses`).

    with MastodonStub() as stub:
        stub.add_status(stub.add_account("alice"), "<p>hi @brand</p>", mentions=[stub.me])
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import default as default_policy
from functools import cached_property
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode

from tests.stub_server import Answer, Reply, Request, StubServer

TOKEN = "stub-access-token"
# Answered without a token, as a Mastodon server does.
PUBLIC = {("GET", "/api/v1/instance"), ("GET", "/api/v2/instance")}


class Recorded(Request):
    """One request as the stub saw it, with its body read as Rails reads parameters."""

    @cached_property
    def _body(self) -> tuple[dict[str, Any], dict[str, tuple[str, str, bytes]]]:
        return _parse_body(self.header("Content-Type"), self.raw)

    @property
    def params(self) -> dict[str, Any]:
        """Form, JSON or multipart fields ("media_ids[]" and "media_ids" both lists)."""
        return self._body[0]

    @property
    def files(self) -> dict[str, tuple[str, str, bytes]]:
        """field -> (filename, content type, data)."""
        return self._body[1]


@dataclass
class Fault:
    kind: str  # "status": answer `status`; "hang": answer nothing; "lose": act, then drop the answer
    path: str | None
    method: str | None
    times: int
    status: int = 0
    reset_in: float = 60.0
    seconds: float = 5.0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or path.startswith(self.path)
        )


@dataclass
class _Media:
    entity: dict[str, Any]
    polls_left: int = 0


@dataclass
class _State:
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    notifications: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, _Media] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], str] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


class MastodonStub(StubServer):
    name = "mastodon"
    request_class = Recorded
    requests: list[Recorded]

    def __init__(self, *, token: str = TOKEN, domain: str = "127.0.0.1") -> None:
        super().__init__()
        self.token = token
        self.domain = domain  # the instance's LOCAL_DOMAIN, used in uri/url of local entities
        self.max_characters = 500
        self.max_media_attachments = 4
        self.instance_v2 = True  # False: a server from before 4.0 (GET /api/v2/instance is 404)
        self.media_processing_polls = 0  # > 0: uploads answer 202 and GET /api/v1/media/:id 206 that often
        self.rate_limit = 300
        self.post_delay = 0.0  # seconds each POST takes, like a busy server (outside the state lock)
        self._state = _State()
        self._faults: list[Fault] = []
        self._last_status_id = 0
        self._last_other_id = 1000
        self.me = self.add_account("brand", display_name="Brand")
        self.route("GET", "/api/v1/instance", lambda request: (200, _instance_v1(self)))
        self.route("GET", "/api/v2/instance", self._instance_v2)
        self.route("GET", "/api/v1/accounts/verify_credentials", self._verify_credentials)
        self.route("GET", "/api/v1/notifications", self._notifications)
        self.route("GET", "/api/v2/search", self._search)
        self.route("POST", "/api/v1/statuses", self._create_status)
        self.route("POST", "/api/v2/media", self._upload)
        self.route("GET", r"/api/v1/statuses/([^/]+)", self._status)
        self.route("DELETE", r"/api/v1/statuses/([^/]+)", self._delete_status)
        self.route("GET", r"/api/v1/media/([^/]+)", self._media)

    # --- seeding ------------------------------------------------------------------------------------

    def add_account(
        self, username: str, *, domain: str | None = None, display_name: str = ""
    ) -> dict[str, Any]:
        with self._lock:
            account_id = self._next_other_id()
            host = domain or self.domain
            account = {
                "id": account_id,
                "username": username,
                "acct": f"{username}@{domain}" if domain else username,
                "display_name": display_name or username.title(),
                "locked": False,
                "bot": False,
                "discoverable": True,
                "group": False,
                "created_at": _iso(datetime.now(UTC)),
                "note": "",
                "url": f"https://{host}/@{username}",
                "uri": f"https://{host}/users/{username}",
                "avatar": f"https://{host}/avatars/original/missing.png",
                "avatar_static": f"https://{host}/avatars/original/missing.png",
                "header": f"https://{host}/headers/original/missing.png",
                "header_static": f"https://{host}/headers/original/missing.png",
                "followers_count": 0,
                "following_count": 0,
                "statuses_count": 0,
                "last_status_at": None,
                "emojis": [],
                "fields": [],
            }
            self._state.accounts[account_id] = account
            return account

    def add_status(
        self,
        author: dict[str, Any],
        content: str,
        *,
        visibility: str = "public",
        in_reply_to: dict[str, Any] | None = None,
        mentions: Sequence[dict[str, Any]] = (),
        language: str | None = "en",
        spoiler_text: str = "",
        created_at: datetime | None = None,
        media_ids: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Create a status as if `author` posted it; mentioning the stub's own account (or replying
        to it) notifies it, as Mastodon does."""
        with self._lock:
            created = created_at or datetime.now(UTC)
            status_id = self._next_status_id(created)
            host = author["url"].split("/")[2]
            mentioned = list(mentions)
            if in_reply_to is not None and all(m["id"] != in_reply_to["account"]["id"] for m in mentioned):
                mentioned.insert(0, in_reply_to["account"])  # a reply always mentions who it answers
            mentioned = [m for m in mentioned if m["id"] != author["id"]]
            status = {
                "id": status_id,
                "uri": f"https://{host}/users/{author['username']}/statuses/{status_id}",
                "url": f"https://{host}/@{author['username']}/{status_id}",
                "created_at": _iso(created),
                "account": author,
                "content": content,
                "visibility": visibility,
                "sensitive": bool(spoiler_text),
                "spoiler_text": spoiler_text,
                "media_attachments": [self._state.media[m].entity for m in media_ids],
                "application": {"name": "Web", "website": None},
                "mentions": [
                    {"id": m["id"], "username": m["username"], "url": m["url"], "acct": m["acct"]}
                    for m in mentioned
                ],
                "tags": [],
                "emojis": [],
                "reblogs_count": 0,
                "favourites_count": 0,
                "replies_count": 0,
                "in_reply_to_id": in_reply_to["id"] if in_reply_to else None,
                "in_reply_to_account_id": in_reply_to["account"]["id"] if in_reply_to else None,
                "reblog": None,
                "poll": None,
                "card": None,
                "language": language,
                "text": None,
                "edited_at": None,
                "favourited": False,
                "reblogged": False,
                "muted": False,
                "bookmarked": False,
                "pinned": False,
                "filtered": [],
            }
            self._state.statuses[status_id] = status
            author["statuses_count"] += 1
            author["last_status_at"] = created.date().isoformat()
            if in_reply_to is not None:
                in_reply_to["replies_count"] += 1
            if any(m["id"] == self.me["id"] for m in mentioned):
                notification_id = self._next_other_id()
                self._state.notifications[notification_id] = {
                    "id": notification_id,
                    "type": "mention",
                    "group_key": f"ungrouped-{notification_id}",
                    "created_at": status["created_at"],
                    "account": author,
                    "status": status,
                }
            return status

    def add_notification(
        self, kind: str, account: dict[str, Any], status: dict[str, Any] | None = None
    ) -> None:
        """A notification of another type (favourite, follow, reblog...), which mention filters skip."""
        with self._lock:
            notification_id = self._next_other_id()
            self._state.notifications[notification_id] = {
                "id": notification_id,
                "type": kind,
                "group_key": f"ungrouped-{notification_id}",
                "created_at": _iso(datetime.now(UTC)),
                "account": account,
                "status": status,
            }

    def status(self, status_id: str) -> dict[str, Any]:
        return self._state.statuses[status_id]

    @property
    def deleted_statuses(self) -> list[str]:
        """Ids of the statuses deleted through DELETE /api/v1/statuses/:id, in order."""
        with self._lock:
            return list(self._state.deleted)

    @property
    def created_statuses(self) -> list[dict[str, Any]]:
        """Statuses created through POST /api/v1/statuses, oldest first."""
        with self._lock:
            return [self._state.statuses[i] for i in self._state.created if i in self._state.statuses]

    # --- faults ----------------------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        path: str | None = None,
        method: str | None = None,
        reset_in: float = 60.0,
    ) -> None:
        """The next `times` matching requests answer `status` (429 carries X-RateLimit-Reset)."""
        with self._lock:
            self._faults.append(
                Fault("status", path=path, method=method, times=times, status=status, reset_in=reset_in)
            )

    def hang_next(self, *, times: int = 1, path: str | None = None, seconds: float = 5.0) -> None:
        """The next `times` matching requests get no answer for `seconds`, then the connection closes."""
        with self._lock:
            self._faults.append(Fault("hang", path=path, method=None, times=times, seconds=seconds))

    def lose_answer_next(self, *, times: int = 1, path: str | None = None, method: str | None = None) -> None:
        """The next `times` matching requests are carried out, but the connection drops before the
        answer: the client cannot tell whether anything happened."""
        with self._lock:
            self._faults.append(Fault("lose", path=path, method=method, times=times))

    def requests_to(self, path: str, method: str = "GET") -> list[Recorded]:
        return [r for r in self.requests if r.path == path and r.method == method]

    # --- answering ----------------------------------------------------------------------------------

    def serve(self, request: Request) -> Answer:
        fault = self._take_fault(request.method, request.path)
        reset_in = 300.0
        try:
            if fault is not None and fault.kind == "hang":
                self.hang(fault.seconds)
            if fault is not None and fault.kind == "status":
                raise _fault_reply(fault)
            if request.method == "POST" and self.post_delay:
                time.sleep(self.post_delay)
            public = (request.method, request.path) in PUBLIC
            if not public and request.header("Authorization") != f"Bearer {self.token}":
                raise _Reply(401, {"error": "The access token is invalid"})
            with self._lock:
                answer = self.dispatch(request)
        except _Reply as reply:
            answer, reset_in = reply.answer(), reply.reset_in
        answer.drop = fault is not None and fault.kind == "lose"
        with self._lock:
            remaining = 0 if answer.status == 429 else max(0, self.rate_limit - len(self.requests))
        reset = datetime.now(UTC) + timedelta(seconds=reset_in)
        answer.headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": _iso(reset),
            **answer.headers,
        }
        return answer

    def unrouted(self, request: Request) -> Answer:
        raise _not_found()

    def _instance_v2(self, request: Recorded) -> tuple[int, Any]:
        if not self.instance_v2:
            raise _not_found()
        return 200, _instance_v2(self)

    def _verify_credentials(self, request: Recorded) -> tuple[int, Any]:
        return 200, {**self.me, "source": {"privacy": "public", "sensitive": False, "note": ""}}

    def _status(self, request: Recorded, status_id: str) -> tuple[int, Any]:
        status = self._state.statuses.get(status_id)
        if status is None:
            raise _not_found()
        return 200, status

    def _delete_status(self, request: Recorded, status_id: str) -> tuple[int, Any]:
        """ "Delete one of your own statuses": the status as it was, with its source `text` (for
        delete and redraft); 404 "Record not found" for one that is not there or not yours."""
        status = self._state.statuses.get(status_id)
        if status is None or status["account"]["id"] != self.me["id"]:
            raise _not_found()
        del self._state.statuses[status_id]
        self._state.deleted.append(status_id)
        self.me["statuses_count"] -= 1
        return 200, {**status, "text": _plain(status["content"]).strip()}

    def _notifications(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        query = request.query
        rows = list(self._state.notifications.values())
        if types := query.get("types[]"):
            rows = [n for n in rows if n["type"] in types]
        if excluded := query.get("exclude_types[]"):
            rows = [n for n in rows if n["type"] not in excluded]
        page = _paginate(rows, query, default_limit=40, max_limit=80)
        link = _link_header(self.base_url, request.path, query, page)
        return 200, page, {"Link": link} if link else {}

    def _search(self, request: Recorded) -> tuple[int, Any]:
        query = request.query
        q = (query.get("q") or [""])[0].strip().lower()
        kind = (query.get("type") or [""])[0]
        statuses: list[dict[str, Any]] = []
        if q and kind in ("", "statuses"):
            rows = [
                s
                for s in self._state.statuses.values()
                if s["visibility"] in ("public", "unlisted") and q in _plain(s["content"]).lower()
            ]
            statuses = _paginate(rows, query, default_limit=20, max_limit=40)
        return 200, {"accounts": [], "statuses": statuses, "hashtags": []}

    def _create_status(self, request: Recorded) -> tuple[int, Any]:
        params = request.params
        key = request.header("Idempotency-Key")
        state = self._state
        if key and (self.me["id"], key) in state.idempotency:
            # The same key within its retention window returns the original status, unchanged.
            return 200, state.statuses[state.idempotency[(self.me["id"], key)]]
        text = str(params.get("status") or "")
        media_ids = [str(m) for m in (params.get("media_ids[]") or params.get("media_ids") or [])]
        if not text and not media_ids:
            raise _unprocessable("Text can't be blank")
        if len(text) > self.max_characters:
            raise _unprocessable(f"Text character limit of {self.max_characters} exceeded")
        if len(media_ids) > self.max_media_attachments:
            raise _unprocessable("Too many media attachments")
        for media_id in media_ids:
            media = state.media.get(media_id)
            if media is None:
                raise _unprocessable("Media attachments are invalid")
            if media.entity["url"] is None:
                raise _unprocessable(
                    "Cannot attach files that have not finished processing. Try again in a moment!"
                )
        in_reply_to = None
        if params.get("in_reply_to_id"):
            in_reply_to = state.statuses.get(str(params["in_reply_to_id"]))
            if in_reply_to is None:
                raise _not_found()
        visibility = str(params.get("visibility") or "public")
        if visibility not in ("public", "unlisted", "private", "direct"):
            raise _unprocessable("Visibility is not included in the list")
        mentioned = []
        for username, domain in re.findall(r"(?<![\w/])@(\w+)(?:@([\w.-]+\w))?", text):
            acct = f"{username}@{domain}" if domain and domain != self.domain else username
            mentioned += [a for a in state.accounts.values() if a["acct"] == acct]
        status = self.add_status(
            self.me,
            "".join(f"<p>{_escape(p)}</p>" for p in text.split("\n\n")) if text else "",
            visibility=visibility,
            in_reply_to=in_reply_to,
            mentions=mentioned,
            language=params.get("language") or "en",
            spoiler_text=str(params.get("spoiler_text") or ""),
            media_ids=media_ids,
        )
        state.created.append(status["id"])
        if key:
            state.idempotency[(self.me["id"], key)] = status["id"]
        return 200, status

    def _upload(self, request: Recorded) -> tuple[int, Any]:
        params, files = request.params, request.files
        if "file" not in files:
            raise _unprocessable("File can't be blank")
        filename, content_type, data = files["file"]
        media_id = self._next_other_id()
        kind = content_type.split("/")[0]
        url = f"https://{self.domain}/system/media_attachments/files/{media_id}/original/{filename}"
        entity = {
            "id": media_id,
            "type": kind if kind in ("image", "video", "audio") else "unknown",
            "url": url,
            "preview_url": url,
            "remote_url": None,
            "text_url": None,
            "meta": {"original": {"size": len(data)}},
            "description": params.get("description") or None,
            "blurhash": None,
        }
        processing = self.media_processing_polls > 0
        self._state.media[media_id] = _Media(entity=entity, polls_left=self.media_processing_polls)
        if processing:
            return 202, {**entity, "url": None}
        return 200, entity

    def _media(self, request: Recorded, media_id: str) -> tuple[int, Any]:
        media = self._state.media.get(media_id)
        if media is None:
            raise _not_found()
        if media.polls_left > 0:
            media.polls_left -= 1
            return 206, {**media.entity, "url": None}
        return 200, media.entity

    # --- internals ---------------------------------------------------------------------------------------

    def _next_status_id(self, created: datetime) -> str:
        # Mastodon's snowflake: milliseconds since the epoch in the upper bits, a sequence below.
        candidate = int(created.timestamp() * 1000) << 16
        self._last_status_id = max(candidate, self._last_status_id + 1)
        return str(self._last_status_id)

    def _next_other_id(self) -> str:
        self._last_other_id += 1
        return str(self._last_other_id)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    return fault
            return None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _id_key(value: str) -> tuple[int, str]:
    return len(value), value


def _plain(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


class _Reply(Reply):
    def __init__(self, status: int, body: Any, *, reset_in: float = 300.0) -> None:
        super().__init__(status, body)
        self.reset_in = reset_in  # when X-RateLimit-Reset says the limit is lifted


def _not_found() -> _Reply:
    return _Reply(404, {"error": "Record not found"})


def _unprocessable(message: str) -> _Reply:
    return _Reply(422, {"error": f"Validation failed: {message}"})


def _paginate(
    rows: list[dict[str, Any]], query: dict[str, list[str]], *, default_limit: int, max_limit: int
) -> list[dict[str, Any]]:
    """Mastodon's Paginable: max_id/since_id give the newest rows below/above a bound; min_id gives
    the rows immediately newer than it. Either way the body lists them newest first."""
    try:
        limit = min(int(query.get("limit", [default_limit])[0]), max_limit)
    except ValueError:
        limit = default_limit
    max_id = query.get("max_id", [None])[0]
    since_id = query.get("since_id", [None])[0]
    min_id = query.get("min_id", [None])[0]
    ordered = sorted(rows, key=lambda r: _id_key(r["id"]))
    if max_id:
        ordered = [r for r in ordered if _id_key(r["id"]) < _id_key(max_id)]
    if min_id:
        return list(reversed([r for r in ordered if _id_key(r["id"]) > _id_key(min_id)][:limit]))
    if since_id:
        ordered = [r for r in ordered if _id_key(r["id"]) > _id_key(since_id)]
    return list(reversed(ordered))[:limit]


def _link_header(base_url: str, path: str, query: dict[str, list[str]], page: list[dict[str, Any]]) -> str:
    if not page:
        return ""
    kept = [
        (k, v) for k, values in query.items() if k not in ("max_id", "min_id", "since_id") for v in values
    ]
    older = urlencode([*kept, ("max_id", page[-1]["id"])])
    newer = urlencode([*kept, ("min_id", page[0]["id"])])
    return f'<{base_url}{path}?{older}>; rel="next", <{base_url}{path}?{newer}>; rel="prev"'


def _fault_reply(fault: Fault) -> _Reply:
    if fault.status == 429:
        return _Reply(429, {"error": "Too many requests"}, reset_in=fault.reset_in)
    if fault.status == 401:
        return _Reply(401, {"error": "The access token is invalid"})
    if fault.status >= 500:
        return _Reply(fault.status, {"error": "We're sorry, but something went wrong on our end."})
    return _Reply(fault.status, {"error": f"Error {fault.status}"})


def _escape(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return escaped.replace("\n", "<br>")


def _parse_body(content_type: str, raw: bytes) -> tuple[dict[str, Any], dict[str, tuple[str, str, bytes]]]:
    """Form, JSON and multipart bodies, as Rails would see their parameters."""
    params: dict[str, Any] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    if not raw:
        return params, files
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "application/json":
        body = json.loads(raw)
        return (body if isinstance(body, dict) else {}), files
    if media_type == "application/x-www-form-urlencoded":
        for name, values in parse_qs(raw.decode(), keep_blank_values=True).items():
            params[name] = values if name.endswith("[]") else values[-1]
        return params, files
    if media_type == "multipart/form-data":
        message = BytesParser(policy=default_policy).parsebytes(
            b"MIME-Version: 1.0\r\nContent-Type: " + content_type.encode() + b"\r\n\r\n" + raw
        )
        for part in message.iter_parts():
            name = str(part.get_param("name", header="content-disposition") or "")
            data = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                files[name] = (part.get_filename(), part.get_content_type(), data)
            elif name.endswith("[]"):
                params.setdefault(name, []).append(data.decode())
            else:
                params[name] = data.decode()
    return params, files


def _instance_v2(stub: MastodonStub) -> dict[str, Any]:
    return {
        "domain": stub.domain,
        "title": "Stub Social",
        "version": "4.3.0",
        "source_url": "https://github.com/mastodon/mastodon",
        "description": "A Mastodon server for tests.",
        "usage": {"users": {"active_month": len(stub._state.accounts)}},
        "thumbnail": {"url": f"https://{stub.domain}/packs/media/images/preview.png"},
        "languages": ["en"],
        "configuration": {
            "urls": {"streaming": f"wss://{stub.domain}"},
            "accounts": {"max_featured_tags": 10},
            "statuses": {
                "max_characters": stub.max_characters,
                "max_media_attachments": stub.max_media_attachments,
                "characters_reserved_per_url": 23,
            },
            "media_attachments": {
                "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "video/mp4"],
                "image_size_limit": 16777216,
                "image_matrix_limit": 33177600,
                "video_size_limit": 103809024,
                "video_frame_rate_limit": 120,
                "video_matrix_limit": 8294400,
            },
            "polls": {
                "max_options": 4,
                "max_characters_per_option": 50,
                "min_expiration": 300,
                "max_expiration": 2629746,
            },
            "translation": {"enabled": False},
        },
        "registrations": {"enabled": False, "approval_required": False, "message": None},
        "contact": {"email": f"admin@{stub.domain}", "account": None},
        "rules": [],
    }


def _instance_v1(stub: MastodonStub) -> dict[str, Any]:
    v2 = _instance_v2(stub)
    return {
        "uri": stub.domain,
        "title": v2["title"],
        "short_description": v2["description"],
        "description": v2["description"],
        "email": v2["contact"]["email"],
        "version": "3.5.3",
        "urls": {"streaming_api": f"wss://{stub.domain}"},
        "stats": {"user_count": len(stub._state.accounts), "status_count": len(stub._state.statuses)},
        "thumbnail": v2["thumbnail"]["url"],
        "languages": ["en"],
        "registrations": False,
        "approval_required": False,
        "invites_enabled": False,
        "configuration": {
            "statuses": v2["configuration"]["statuses"],
            "media_attachments": v2["configuration"]["media_attachments"],
            "polls": v2["configuration"]["polls"],
        },
        "contact_account": None,
        "rules": [],
    }
