"""The Instagram Graph API (Facebook Login flavour) in miniature, on 127.0.0.1, for contract tests
of the instagram connector.

It answers with the shapes Meta documents, kept as fixtures under `tests/channels/fixtures/meta/`
(each names its source): every path under a version (`/v21.0/...`); ids as strings;
`GET /{ig-user-id}?fields=id,username`; `POST /{ig-user-id}/media` answering `{"id"}` (a
container); `GET /{container-id}?fields=status_code` answering `{"status_code", "id"}` with
`status_code` one of IN_PROGRESS, FINISHED, ERROR (with `status` holding the reason), EXPIRED,
PUBLISHED; `POST /{ig-user-id}/media_publish` with `creation_id`, answering `{"id"}` (the
media); `GET /{ig-user-id}/content_publishing_limit` answering
`{"data": [{"quota_usage", "config": {"quota_total", "quota_duration"}}]}`;
`GET /{ig-user-id}/media` and `/tags` as `{"data": [...], "paging": {...}}` with the comments
(and their `replies`) of each media expanded; `POST /{comment-id}/replies` with `message`
answering `{"id"}`; `POST /{comment-id}` with `hide` and `DELETE /{comment-id}` answering
`{"success": true}` (a comment already deleted: code 100, subcode 33, `graph_missing_object.json`); `GET /{ig-user-id}?fields=mentioned_comment.comment_id(...){...}` and
`mentioned_media.media_id(...){...}`;
`POST /{page-id}/messages` (or `/me/messages`) with a JSON `recipient` / `message`, answering
`{"recipient_id", "message_id"}` as Messenger's Send API reference documents (the answer joins the
customer's conversation), or outside the window Graph's `(#10) This message is sent outside of
allowed window.` (subcode 2018278): more than 24 hours after the customer last wrote
(`customer_wrote`; `window_closed` names customers past 24 hours) without the HUMAN_AGENT tag, or
more than 7 days after; `GET /{page-id}/conversations?platform=instagram` with each
conversation's messages nested (`messages.limit(N){id,message,from,to,created_time}`), as the
Conversations API documents them (`messenger_conversations.json`).
Errors have Graph's shape `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`:
190 for a bad token, 100 for an unknown object, 4 for the app's rate limit.

Tests seed it (`add_media`, `add_comment`, `add_tag`, `add_direct_message`; `quota_usage`; `container_steps`, the
statuses a new container goes through, one per look), inject faults (`fail_next(path, code=...)`,
`hang_next(path)`, `lose_answer_next(path)`), and read back what reached it (`requests`, `containers`, `published`).
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from tests.channels.stubs.conversations import Conversations
from tests.channels.stubs.graph_errors import missing_object
from tests.stub_server import Answer, Drop, Reply, Request, StubServer

TOKEN = "stub-instagram-token"
VERSION = "v21.0"
USER_ID = "17841405822304914"
USERNAME = "brand.id"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "meta"


def fixture(name: str) -> dict[str, Any]:
    """A documented example payload, without its `_source` note."""
    body = json.loads((FIXTURES / name).read_text())
    body.pop("_source", None)
    return body


def _graph_error(
    status: int,
    code: int,
    message: str,
    kind: str = "OAuthException",
    subcode: int | None = None,
    headers: dict[str, str] | None = None,
):
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfGhIjK"}
    if subcode:
        error["error_subcode"] = subcode
    return Reply(status, {"error": error}, headers)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


class InstagramStub(StubServer):
    name = "instagram"

    def __init__(self, *, user_id: str = USER_ID, username: str = USERNAME, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.user_id = user_id
        self.username = username
        self._ids = itertools.count(17_900_000_000_000_001)
        self.containers: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}  # newest last
        self.comments: dict[str, dict[str, Any]] = {}
        self.tags: list[dict[str, Any]] = []
        self.published: list[str] = []  # media ids, in publishing order
        self.hidden: set[str] = set()
        self.messages: list[dict[str, Any]] = []
        self.conversations = Conversations()  # each customer's (Instagram-scoped id) conversation
        self.window_closed: set[str] = set()  # customers whose last message is older than 24 hours
        self.last_wrote: dict[str, datetime] = {}  # customer -> when they last wrote (`customer_wrote`)
        self.deleted: set[str] = set()
        limit = fixture("instagram_content_publishing_limit.json")["data"][0]
        self.quota_usage = 0
        self.quota_total = int(limit["config"]["quota_total"])
        self.quota_duration = int(limit["config"]["quota_duration"])
        self.container_steps: list[str] = ["IN_PROGRESS", "FINISHED"]
        self.error_reason = "2207026"  # the error subcode `status` carries when status_code is ERROR
        self._faults: list[tuple[re.Pattern[str], str, int, dict[str, str]]] = []
        prefix = rf"/{VERSION}"
        self.route("GET", rf"{prefix}/(\d+)/content_publishing_limit", self._limit)
        self.route("POST", rf"{prefix}/(\d+)/media", self._create_container)
        self.route("POST", rf"{prefix}/(\d+)/media_publish", self._publish)
        self.route("GET", rf"{prefix}/(\d+)/media", self._list_media)
        self.route("GET", rf"{prefix}/(\d+)/tags", self._list_tags)
        self.route("GET", rf"{prefix}/(\d+)/replies", self._list_replies)
        self.route("POST", rf"{prefix}/(\d+)/replies", self._reply)
        self.route("POST", rf"{prefix}/(\d+|me)/messages", self._send_message)
        self.route("GET", rf"{prefix}/(\d+|me)/conversations", self._conversations)
        self.route("GET", rf"{prefix}/(\d+)", self._node)
        self.route("POST", rf"{prefix}/(\d+)", self._update_comment)
        self.route("DELETE", rf"{prefix}/(\d+)", self._delete_comment)

    # --- seeding and faults ---------------------------------------------------------------------------

    def new_id(self) -> str:
        return str(next(self._ids))

    def add_media(
        self,
        caption: str = "",
        *,
        at: datetime | None = None,
        owner: str | None = None,
        username: str = "",
        media_id: str = "",
    ) -> str:
        media_id = media_id or self.new_id()
        self.media[media_id] = {
            "id": media_id,
            "caption": caption,
            "media_type": "IMAGE",
            "timestamp": _iso(at or datetime.now(UTC)),
            "permalink": f"https://www.instagram.com/p/{media_id[-8:]}/",
            "like_count": 0,
            "owner": owner or self.user_id,
            "username": username or self.username,
        }
        return media_id

    def add_comment(
        self,
        media_id: str,
        text: str,
        *,
        username: str = "customer.one",
        user_id: str = "5511223344",
        at: datetime | None = None,
        parent: str | None = None,
        comment_id: str = "",
    ) -> str:
        comment_id = comment_id or self.new_id()
        self.comments[comment_id] = {
            "id": comment_id,
            "text": text,
            "timestamp": _iso(at or datetime.now(UTC)),
            "username": username,
            "from": {"id": user_id, "username": username},
            "hidden": False,
            "media_id": media_id,
            "parent": parent,
        }
        return comment_id

    def add_tag(self, caption: str, *, username: str = "fan.account", at: datetime | None = None) -> str:
        media_id = self.new_id()
        self.tags.append(
            {
                "id": media_id,
                "caption": caption,
                "timestamp": _iso(at or datetime.now(UTC)),
                "permalink": f"https://www.instagram.com/p/{media_id[-8:]}/",
                "username": username,
                "media_type": "IMAGE",
            }
        )
        return media_id

    def claims(self, request: Request) -> bool:
        """Instagram's conversations, which Graph is asked for through the linked Page."""
        return request.path.endswith("/conversations") and request.query.get("platform") == ["instagram"]

    def owns(self, object_id: str) -> bool:
        """Whether a Graph call about `object_id` is this account's to answer (see MetaOAuthServer)."""
        return object_id == self.user_id or any(
            object_id in objects for objects in (self.containers, self.media, self.comments)
        )

    def add_direct_message(
        self,
        customer: str,
        text: str,
        *,
        username: str = "customer.one",
        at: datetime | None = None,
        mid: str = "",
        from_account: bool = False,
    ) -> str:
        """A message in the customer's conversation with the account: theirs, or the account's."""
        return self.conversations.add(
            {"username": username, "id": customer},
            {"username": self.username, "id": self.user_id},
            mid=mid or f"aWdfZAG1faXRlbToxOklHTWVzc2FnZA{self.new_id()}",
            text=text,
            created_time=_iso(at or datetime.now(UTC)),
            ours=from_account,
        )

    def replies_to(self, comment_id: str) -> list[dict[str, Any]]:
        return [
            c for c in self.comments.values() if c["parent"] == comment_id and c["id"] not in self.deleted
        ]

    def fail_next(
        self, path: str, *, code: int, method: str = "*", headers: dict[str, str] | None = None
    ) -> None:
        """The next request whose path (after the version) matches `path` gets Graph error `code`
        (with `headers`, e.g. X-Business-Use-Case-Usage naming when a throttle ends)."""
        self._faults.append((re.compile(path), method, code, dict(headers or {})))

    def hang_next(self, path: str, *, method: str = "*") -> None:
        """The next request matching `path` gets no answer (the client times out)."""
        self._faults.append((re.compile(path), method, 0, {}))

    def lose_answer_next(self, path: str, *, method: str = "*") -> None:
        """The next request matching `path` is acted on, then its connection closed unanswered."""
        self._faults.append((re.compile(path), method, -1, {}))

    # --- answering ------------------------------------------------------------------------------------

    def serve(self, request: Request):
        if request.header("Authorization") != f"Bearer {self.token}":
            raise _graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        path = request.path.removeprefix(f"/{VERSION}/")
        for fault in list(self._faults):
            pattern, method, code, headers = fault
            if pattern.fullmatch(path) and method in ("*", request.method):
                self._faults.remove(fault)
                if code == -1:
                    answer = self.dispatch(request)
                    return Answer(answer.status, answer.body, answer.headers, drop=True)
                if code == 0:
                    self.hang(5)
                    raise Drop()
                if code in (4, 17, 32, 613):
                    raise _graph_error(400, code, "Application request limit reached", headers=headers)
                raise _graph_error(400 if code < 500 else 500, code, f"Injected Graph error {code}")
        return self.dispatch(request)

    def _form(self, request: Request) -> dict[str, str]:
        return {key: values[-1] for key, values in parse_qs(request.raw.decode()).items()}

    def _own(self, user_id: str) -> None:
        if user_id != self.user_id:
            raise _graph_error(
                400, 100, f"Unsupported get request. Object with ID '{user_id}' does not exist"
            )

    def _limit(self, request: Request, user_id: str):
        self._own(user_id)
        return 200, {
            "data": [
                {
                    "quota_usage": self.quota_usage,
                    "config": {"quota_total": self.quota_total, "quota_duration": self.quota_duration},
                }
            ]
        }

    def _create_container(self, request: Request, user_id: str):
        self._own(user_id)
        form = self._form(request)
        if not (form.get("image_url") or form.get("video_url") or form.get("media_type") == "CAROUSEL"):
            raise _graph_error(400, 100, "The parameter image_url is required.")
        container_id = self.new_id()
        self.containers[container_id] = {
            "params": form,
            "steps": list(self.container_steps),
            "status_code": "",
        }
        return 200, {"id": container_id}

    def _container_answer(self, container_id: str) -> dict[str, Any]:
        container = self.containers[container_id]
        if container["status_code"] != "PUBLISHED" and container["steps"]:
            container["status_code"] = container["steps"].pop(0)
        answer = {"status_code": container["status_code"], "id": container_id}
        if container["status_code"] == "ERROR":
            answer["status"] = self.error_reason
        return answer

    def _publish(self, request: Request, user_id: str):
        self._own(user_id)
        creation_id = self._form(request).get("creation_id", "")
        container = self.containers.get(creation_id)
        if container is None:
            raise _graph_error(400, 100, "Invalid parameter", subcode=2207032)
        if container["status_code"] != "FINISHED":
            raise _graph_error(400, 9007, "Media ID is not available", subcode=2207027)
        if self.quota_usage >= self.quota_total:
            raise _graph_error(400, 9, "Application request limit reached", subcode=2207042)
        container["status_code"] = "PUBLISHED"
        container["steps"] = []
        media_id = self.add_media(container["params"].get("caption", ""))
        container["media_id"] = media_id
        self.quota_usage += 1
        self.published.append(media_id)
        return 200, {"id": media_id}

    def _media_row(self, media: dict[str, Any]) -> dict[str, Any]:
        row = {key: media[key] for key in ("id", "caption", "media_type", "timestamp", "permalink")}
        comments = []
        for comment in self.comments.values():
            if comment["media_id"] != media["id"] or comment["parent"] or comment["id"] in self.deleted:
                continue
            replies = [self._comment_row(reply) for reply in self.replies_to(comment["id"])]
            comments.append({**self._comment_row(comment), "replies": {"data": replies}})
        if comments:
            row["comments"] = {"data": comments}
        return row

    def _comment_row(self, comment: dict[str, Any]) -> dict[str, Any]:
        return {key: comment[key] for key in ("id", "text", "timestamp", "username", "from", "hidden")}

    def _list_media(self, request: Request, user_id: str):
        self._own(user_id)
        rows = [self._media_row(m) for m in reversed(list(self.media.values())) if m["owner"] == self.user_id]
        limit = int((request.query.get("limit") or ["25"])[0])
        return 200, {"data": rows[:limit], "paging": {"cursors": {"before": "QVFIUmx", "after": "QVFIUmx"}}}

    def _list_tags(self, request: Request, user_id: str):
        self._own(user_id)
        return 200, {
            "data": list(reversed(self.tags)),
            "paging": {"cursors": {"before": "QVFIU", "after": "QVFIU"}},
        }

    def _list_replies(self, request: Request, comment_id: str):
        if comment_id not in self.comments:
            raise _graph_error(400, 100, "Unsupported get request.")
        return 200, {"data": [self._comment_row(reply) for reply in self.replies_to(comment_id)]}

    def _reply(self, request: Request, comment_id: str):
        parent = self.comments.get(comment_id)
        if parent is None or comment_id in self.deleted:
            raise _graph_error(400, 100, "Unsupported post request.")
        message = self._form(request).get("message", "")
        reply_id = self.add_comment(
            parent["media_id"], message, username=self.username, user_id=self.user_id, parent=comment_id
        )
        return 200, {"id": reply_id}

    def _node(self, request: Request, node_id: str):
        fields = (request.query.get("fields") or [""])[0]
        if node_id == self.user_id:
            found = re.match(r"mentioned_comment\.comment_id\((\d+)\)", fields)
            if found:
                comment = self.comments.get(found.group(1))
                if comment is None:
                    raise _graph_error(400, 100, "Invalid parameter")
                row = {key: comment[key] for key in ("id", "text", "timestamp", "username")}
                return 200, {"mentioned_comment": row, "id": self.user_id}
            found = re.match(r"mentioned_media\.media_id\((\d+)\)", fields)
            if found:
                media = self.media.get(found.group(1))
                if media is None:
                    raise _graph_error(400, 100, "Invalid parameter")
                row = {key: media[key] for key in ("id", "caption", "timestamp", "permalink")}
                return 200, {"mentioned_media": {**row, "username": media["username"]}, "id": self.user_id}
            return 200, {"id": self.user_id, "username": self.username}
        if node_id in self.containers:
            return 200, self._container_answer(node_id)
        if node_id in self.media:
            media = self.media[node_id]
            comments = sum(1 for c in self.comments.values() if c["media_id"] == node_id)
            return 200, {
                "id": node_id,
                "permalink": media["permalink"],
                "like_count": media["like_count"],
                "comments_count": comments,
            }
        if node_id in self.comments and node_id not in self.deleted:
            return 200, self._comment_row(self.comments[node_id])
        raise _graph_error(400, 100, f"Unsupported get request. Object with ID '{node_id}' does not exist")

    def _update_comment(self, request: Request, comment_id: str):
        comment = self.comments.get(comment_id)
        if comment is None or comment_id in self.deleted:
            raise _graph_error(400, 100, "Unsupported post request.")
        hide = self._form(request).get("hide")
        if hide not in ("true", "false"):
            raise _graph_error(400, 100, "The parameter hide is required.")
        comment["hidden"] = hide == "true"
        (self.hidden.add if comment["hidden"] else self.hidden.discard)(comment_id)
        return 200, {"success": True}

    def _send_message(self, request: Request, page: str):
        body = request.json() or {}
        recipient = str((body.get("recipient") or {}).get("id") or "")
        if not recipient or not (body.get("message") or {}).get("text"):
            raise _graph_error(400, 100, "(#100) The parameter recipient is required")
        if self._outside_window(recipient, body):
            raise _graph_error(
                400, 10, "(#10) This message is sent outside of allowed window.", subcode=2018278
            )
        message_id = self.add_direct_message(
            recipient,
            body["message"]["text"],
            mid=f"aWdfZAG1faXRlbToxOklHTWVzc2FnZA{len(self.messages) + 1:08d}",
            from_account=True,
        )
        self.messages.append({"page": page, **body, "message_id": message_id})
        return 200, {"recipient_id": recipient, "message_id": message_id}

    def customer_wrote(self, igsid: str, at: datetime) -> None:
        """The customer wrote at `at`: the Send API judges answers by it from then on."""
        self.last_wrote[igsid] = at

    def _outside_window(self, recipient: str, body: dict[str, Any]) -> bool:
        # Meta's policy: any answer within 24 hours of the customer's last message, then until 7
        # days only with messaging_type MESSAGE_TAG and tag HUMAN_AGENT.
        tagged = body.get("messaging_type") == "MESSAGE_TAG" and body.get("tag") == "HUMAN_AGENT"
        if recipient in self.window_closed:
            return not body.get("tag")
        wrote = self.last_wrote.get(recipient)
        if wrote is None:
            return False
        elapsed = datetime.now(UTC) - wrote
        return elapsed > timedelta(days=7) or (elapsed > timedelta(hours=24) and not tagged)

    def _conversations(self, request: Request, page: str):
        query = {key: values[-1] for key, values in request.query.items()}
        if query.get("platform") != "instagram":
            raise _graph_error(400, 100, "(#100) The parameter platform is required")
        rows = self.conversations.listing(fields=query.get("fields", ""), limit=int(query.get("limit") or 25))
        return 200, {"data": rows, "paging": {"cursors": {"before": "QVFIU", "after": "QVFIU"}}}

    def _delete_comment(self, request: Request, comment_id: str):
        comment = self.comments.get(comment_id)
        if comment is None or comment_id in self.deleted:
            raise missing_object("DELETE", comment_id)
        if comment["from"]["id"] != self.user_id and comment["media_id"] not in self.media:
            raise _graph_error(403, 10, "Application does not have permission for this action")
        self.deleted.add(comment_id)
        return 200, {"success": True}
