"""A Facebook Page on the Graph API in miniature, on 127.0.0.1, for the facebook_page connector's
contract tests and the dispatcher's.

It answers in the shapes Meta documents, kept as fixtures in `tests/channels/fixtures/meta/`
(`facebook_page_*.json`, each naming its source): every path under a version (`/v21.0/...`);
`GET /{page-id}?fields=id,name`; `POST /{page-id}/feed` (`message`, `link`) answering `{"id"}`;
`POST /{page-id}/photos` (multipart `source` or `url`, `caption`) answering `{"id", "post_id"}`;
`DELETE /{post-id}` and `DELETE /{comment-id}` answering `{"success": true}` (`deleted` lists them); `GET /{page-id}/feed` with each post's
comments and replies nested (`comments{...}`, replies carrying `parent`), `/{page-id}/published_posts`
and `/{page-id}/tagged` as `{"data": [...], "paging": {...}}`; `POST /{comment-id}/comments`
(`message`) answering `{"id"}`; `POST /{comment-id}/likes` and `POST /{comment-id}` with
`is_hidden` answering `{"success": true}`; `POST /{page-id}/messages` answering
`{"recipient_id", "message_id"}` (the answer joins the conversation); `GET /{page-id}/conversations`
with `platform=messenger`, optionally `user_id`, and the messages nested by field expansion
(`messages.limit(N){id,message,from,to,created_time}`), in the shapes of the Conversations API
(`messenger_conversations.json`). Errors have Meta's
shape `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`: 190 for a bad
token, 100 with subcode 33 for an unknown or deleted object (`graph_missing_object.json`); `fail_next(code=32)` throttles with X-App-Usage and
X-Business-Use-Case-Usage headers; `lose_next(path)` acts on a request and drops its answer.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import default as email_policy
from itertools import count
from pathlib import Path
from typing import Any

from tests.channels.stubs.conversations import Conversations
from tests.channels.stubs.graph_errors import missing_object
from tests.stub_server import Answer, Reply, Request, StubServer

TOKEN = "stub-page-token"
VERSION = "v21.0"
PAGE_ID = "5550001"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "meta"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"facebook_page_{name}.json").read_text())


def graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _error(status: int, code: int, message: str, kind: str = "OAuthException", headers=None) -> Reply:
    return Reply(
        status,
        {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfGh123"}},
        headers,
    )


class FacebookPageStub(StubServer):
    name = "facebook-page"

    def __init__(self, *, token: str = TOKEN, page_id: str = PAGE_ID, name: str = "Kopi Kita") -> None:
        super().__init__()
        self.token = token
        self.page_id = page_id
        self.page_name = name
        self.posts: dict[str, dict[str, Any]] = {}  # post id -> post, with "comments": [...]
        self.tagged: list[dict[str, Any]] = []
        self.photos: list[dict[str, Any]] = []  # what each photo upload carried
        self.hidden: dict[str, bool] = {}
        self.likes: list[str] = []
        self.deleted: list[str] = []  # ids of the posts and comments deleted, in order
        self.sent: list[dict[str, Any]] = []  # Send API requests
        self.conversations = Conversations()  # each person's (psid) conversation with the Page
        self._faults: list[tuple[str, Any]] = []
        self._ids = count(1_116_689_038_356_556)
        self.route("*", rf"/{VERSION}/(.*)", self._graph)

    # --- seeding ----------------------------------------------------------------------------------

    def next_id(self) -> str:
        return str(next(self._ids))

    def add_post(
        self, message: str, *, at: datetime, author: tuple[str, str] | None = None, post_id: str = ""
    ) -> str:
        post_id = post_id or f"{self.page_id}_{self.next_id()}"
        who = author or (self.page_id, self.page_name)
        self.posts[post_id] = {
            "id": post_id,
            "message": message,
            "from": {"name": who[1], "id": who[0]},
            "created_time": graph_time(at),
            "permalink_url": f"https://www.facebook.com/{post_id}",
            "comments": [],
        }
        return post_id

    def add_comment(
        self,
        post_id: str,
        message: str,
        *,
        at: datetime,
        author: tuple[str, str],
        parent: str | None = None,
        comment_id: str = "",
    ) -> str:
        comment_id = comment_id or f"{post_id.split('_')[-1]}_{self.next_id()}"
        comment = {
            "id": comment_id,
            "message": message,
            "from": {"name": author[1], "id": author[0]},
            "created_time": graph_time(at),
            "permalink_url": f"https://www.facebook.com/{post_id}?comment_id={comment_id}",
            "is_hidden": False,
        }
        if parent:
            comment["parent"] = {"id": parent}
        self.posts[post_id]["comments"].append(comment)
        return comment_id

    def add_tagged(self, message: str, *, at: datetime, author_id: str) -> str:
        post_id = f"{author_id}_{self.next_id()}"
        # "For user posts, the from field will only be returned if the user making the request is
        # the same user who created the post."
        self.tagged.append(
            {
                "created_time": graph_time(at),
                "message": message,
                "id": post_id,
                "permalink_url": f"https://www.facebook.com/{post_id}",
            }
        )
        return post_id

    def add_inbound(self, psid: str, at: datetime) -> None:
        self.add_message(psid, "Hello?", at=at)

    def add_message(
        self,
        psid: str,
        text: str,
        *,
        at: datetime,
        mid: str = "",
        name: str = "Ana Putri",
        from_page: bool = False,
    ) -> str:
        """A message in the person's conversation with the Page: theirs, or the Page's answer."""
        return self.conversations.add(
            {"name": name, "id": psid},
            {"name": self.page_name, "id": self.page_id},
            mid=mid or f"m_{self.next_id()}",
            text=text,
            created_time=graph_time(at),
            ours=from_page,
        )

    def add_from_feed(self, value: dict[str, Any]) -> str:
        """The post or comment a documented `feed` webhook change names, with its ids, author,
        text and time, as the Page would list it (a comment's post is made when missing)."""
        at = datetime.fromtimestamp(value["created_time"], UTC)
        author = (value["from"]["id"], value["from"]["name"])
        if value["post_id"] not in self.posts:
            post_at = at if value["item"] != "comment" else at - timedelta(hours=1)
            self.add_post(
                value.get("message", "") if value["item"] != "comment" else "A post of the Page",
                at=post_at,
                author=author if value["item"] != "comment" else None,
                post_id=value["post_id"],
            )
        if value["item"] != "comment":
            return value["post_id"]
        parent = value.get("parent_id")
        return self.add_comment(
            value["post_id"],
            value["message"],
            at=at,
            author=author,
            parent=parent if parent and parent != value["post_id"] else None,
            comment_id=value["comment_id"],
        )

    def fail_next(self, code: int, *, path: str = "", status: int = 400, headers=None) -> None:
        self._faults.append(("fail", (code, path, status, headers or {})))

    def lose_next(self, path: str) -> None:
        self._faults.append(("lose", path))

    def comment(self, comment_id: str) -> dict[str, Any] | None:
        for post in self.posts.values():
            for comment in post["comments"]:
                if comment["id"] == comment_id:
                    return comment
        return None

    def owns(self, object_id: str) -> bool:
        """Whether a Graph call about `object_id` is this Page's to answer (see MetaOAuthServer)."""
        return object_id == self.page_id or object_id in self.posts or self.comment(object_id) is not None

    def page_posts(self) -> list[dict[str, Any]]:
        return [p for p in self.posts.values() if p["from"]["id"] == self.page_id]

    def writes(self, method: str, path: str) -> list[Request]:
        return [
            r for r in self.requests if r.method == method and re.fullmatch(rf"/{VERSION}/{path}", r.path)
        ]

    # --- answering --------------------------------------------------------------------------------

    def serve(self, request: Request) -> Answer:
        if request.header("Authorization") != f"Bearer {self.token}":
            raise _error(400, 190, "Error validating access token: The session is invalid.")
        lose = False
        for index, (kind, spec) in enumerate(self._faults):
            path = request.path.removeprefix(f"/{VERSION}/")
            if kind == "fail" and re.search(spec[1], path):
                del self._faults[index]
                code, _path, status, headers = spec
                raise _error(status, code, "(#32) Page request limit reached", headers=headers)
            if kind == "lose" and re.search(spec, path) and request.method == "POST":
                del self._faults[index]
                lose = True
                break
        answer = self.dispatch(request)
        if lose:
            return Answer(answer.status, answer.body, answer.headers, drop=True)
        return answer

    def _params(self, request: Request) -> dict[str, Any]:
        params = {k: v[-1] for k, v in request.query.items()}
        if request.content_type == "multipart/form-data":
            message = BytesParser(policy=email_policy).parsebytes(
                f"Content-Type: {request.header('Content-Type')}\r\n\r\n".encode() + request.raw
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if part.get_filename():
                    params[name] = {"filename": part.get_filename(), "data": part.get_payload(decode=True)}
                else:
                    params[name] = part.get_content()
        else:
            params.update({k: v[-1] for k, v in request.form().items()})
        return params

    def _graph(self, request: Request, path: str) -> tuple[int, Any]:
        params = self._params(request)
        method = request.method
        page = self.page_id
        if method == "GET" and path == page:
            return 200, {"id": page, "name": self.page_name}
        if method == "POST" and path == f"{page}/feed":
            post_id = self.add_post(params.get("message", ""), at=datetime.now(UTC))
            if params.get("link"):
                self.posts[post_id]["link"] = params["link"]
            return 200, {"id": post_id}
        if method == "POST" and path == f"{page}/photos":
            post_id = self.add_post(params.get("caption", ""), at=datetime.now(UTC))
            photo_id = self.next_id()
            self.photos.append({"id": photo_id, "post_id": post_id, **params})
            return 200, {"id": photo_id, "post_id": post_id}
        if method == "GET" and path in (f"{page}/feed", f"{page}/published_posts"):
            posts = self.posts.values() if path.endswith("/feed") else self.page_posts()
            ordered = sorted(posts, key=lambda p: p["created_time"], reverse=True)
            limit = int(params.get("limit") or 25)
            return 200, self._edge(
                [self._post_view(p, nested="comments" in params.get("fields", "")) for p in ordered[:limit]]
            )
        if method == "GET" and path == f"{page}/tagged":
            ordered = sorted(self.tagged, key=lambda p: p["created_time"], reverse=True)
            return 200, self._edge(ordered[: int(params.get("limit") or 25)])
        if method == "POST" and path == f"{page}/messages":
            recipient = json.loads(params["recipient"].replace("'", '"'))["id"]
            self.sent.append({**params, "recipient": recipient})
            text = json.loads(params["message"]).get("text", "")
            mid = self.add_message(recipient, text, at=datetime.now(UTC), from_page=True)
            return 200, {"recipient_id": recipient, "message_id": mid}
        if method == "GET" and path == f"{page}/conversations":
            return 200, self._conversations(params)
        found = re.fullmatch(r"([\w]+)/(comments|likes)", path)
        if found:
            target, edge = found.groups()
            post = self.posts.get(target)
            comment = self.comment(target)
            if post is None and comment is None:
                raise missing_object(method, target)
            if edge == "likes" and method in ("POST", "DELETE"):
                if method == "POST":
                    self.likes.append(target)
                else:
                    self.likes.remove(target)
                return 200, {"success": True}
            post_id = (
                target
                if post is not None
                else next(p for p in self.posts if comment in self.posts[p]["comments"])
            )
            if method == "POST":
                reply_id = self.add_comment(
                    post_id,
                    params.get("message", ""),
                    at=datetime.now(UTC),
                    author=(page, self.page_name),
                    parent=target if comment is not None else None,
                )
                return 200, {"id": reply_id}
            rows = [c for c in self.posts[post_id]["comments"] if (c.get("parent") or {}).get("id") == target]
            return 200, self._edge(rows)
        if method == "DELETE" and path in self.posts:
            del self.posts[path]
            self.deleted.append(path)
            return 200, {"success": True}
        if method == "DELETE" and self.comment(path) is not None:
            for post in self.posts.values():
                post["comments"] = [c for c in post["comments"] if c["id"] != path]
            self.deleted.append(path)
            return 200, {"success": True}
        if method == "GET" and path in self.posts:
            return 200, {"id": path, "permalink_url": self.posts[path]["permalink_url"]}
        if method == "POST" and self.comment(path) is not None and "is_hidden" in params:
            self.hidden[path] = params["is_hidden"] == "true"
            self.comment(path)["is_hidden"] = self.hidden[path]
            return 200, {"success": True}
        raise missing_object(method, path)

    def _conversations(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("platform") != "messenger":
            raise _error(400, 100, "(#100) The parameter platform is required", "OAuthException")
        return self._edge(
            self.conversations.listing(
                fields=params.get("fields", ""),
                limit=int(params.get("limit") or 25),
                person=params.get("user_id"),
            )
        )

    def _post_view(self, post: dict[str, Any], *, nested: bool) -> dict[str, Any]:
        view = {k: v for k, v in post.items() if k != "comments"}
        if nested and post["comments"]:
            ordered = sorted(post["comments"], key=lambda c: c["created_time"], reverse=True)
            view["comments"] = self._edge(ordered)
        return view

    @staticmethod
    def _edge(rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {"data": rows, "paging": {"cursors": {"before": "QVFIUk", "after": "QVFIUl"}}}
