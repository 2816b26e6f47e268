"""Google's token endpoint and the YouTube Data API v3 in miniature, on 127.0.0.1, for the youtube
connector's contract tests.

It answers in the shapes Google documents, kept as fixtures in `tests/channels/fixtures/youtube/`
(each naming its source): `POST /token` (grant_type=refresh_token) answering
`{"access_token", "expires_in", "scope", "token_type"}` or 400 `invalid_grant` once the refresh
token is revoked; under `/youtube/v3/`: `GET channels?mine=true`, `GET commentThreads`
(allThreadsRelatedToChannelId, order=time, maxResults, pageToken) with each thread's replies,
`GET comments` (id, or parentId with paging), `POST comments?part=snippet` (a reply: snippet.parentId,
snippet.textOriginal) answering the comment, `POST comments/setModerationStatus` answering 204, and
`GET search` (type=video, q with `|` and `-`, publishedAfter, order=date). Every API call needs a
token the endpoint issued (401 authError otherwise). Errors have Google's shape
`{"error": {"code", "message", "errors": [{"message", "domain", "reason"}]}}`: `fail_next(reason)`
answers one call with it, `quota_exceeded = True` answers every call with quotaExceeded,
`lose_next(path)` acts on a write and drops its answer.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

from tests.stub_server import Answer, Reply, Request, StubServer

CLIENT_ID = "1234567890-stub.apps.googleusercontent.com"
CLIENT_SECRET = "stub-client-secret"
REFRESH_TOKEN = "1//stub-refresh-token"
CHANNEL_ID = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
CHANNEL_TITLE = "Kopi Nusantara"
API = "/youtube/v3"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "youtube"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


ERRORS = fixture("errors")
STATUS_OF = {
    "quotaExceeded": 403,
    "rateLimitExceeded": 403,
    "authError": 401,
    "commentsDisabled": 403,
    "forbidden": 403,
    "backendError": 503,
}


def google_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def error(reason: str) -> Reply:
    return Reply(STATUS_OF[reason], ERRORS[reason])


class YouTubeStub(StubServer):
    name = "youtube"

    def __init__(self, *, channel_id: str = CHANNEL_ID, client_id: str = CLIENT_ID) -> None:
        super().__init__()
        self.channel_id = channel_id
        self.client_id = client_id
        self.refresh_token = REFRESH_TOKEN
        self.revoked = False
        self.quota_exceeded = False
        self.expires_in = 3599
        self.tokens: set[str] = set()
        self.threads: list[dict[str, Any]] = []  # commentThread resources, replies inside
        self.videos: list[dict[str, Any]] = []  # search results
        self.moderation: dict[str, str] = {}
        self._faults: list[tuple[str, Any]] = []
        self._ids = count(1)
        self.route("POST", r"/token", self._token)
        self.route("GET", rf"{API}/channels", self._channels)
        self.route("GET", rf"{API}/commentThreads", self._threads)
        self.route("GET", rf"{API}/comments", self._comments)
        self.route("POST", rf"{API}/comments", self._insert)
        self.route("POST", rf"{API}/comments/setModerationStatus", self._moderate)
        self.route("GET", rf"{API}/search", self._search)

    @property
    def api_url(self) -> str:
        return self.base_url + API

    @property
    def token_url(self) -> str:
        return self.base_url + "/token"

    # --- seeding ----------------------------------------------------------------------------------

    def _comment(self, comment_id: str, text: str, *, at: datetime, author: tuple[str, str], parent=None):
        channel, name = author
        snippet = {
            "authorDisplayName": name,
            "authorProfileImageUrl": f"https://yt3.ggpht.example/{channel}.jpg",
            "authorChannelUrl": f"http://www.youtube.com/{name}",
            "authorChannelId": {"value": channel},
            "channelId": self.channel_id,
            "textDisplay": text,
            "textOriginal": text,
            "canRate": True,
            "viewerRating": "none",
            "likeCount": 0,
            "publishedAt": google_time(at),
            "updatedAt": google_time(at),
        }
        if parent:
            snippet["parentId"] = parent
        return {"kind": "youtube#comment", "etag": f"etag-{comment_id}", "id": comment_id, "snippet": snippet}

    def add_comment(self, video_id: str, text: str, *, at: datetime, author: tuple[str, str]) -> str:
        """A top-level comment (its thread) on one of the channel's videos; its id."""
        comment_id = f"Ugz{next(self._ids):020d}AaABAg"
        self.threads.append(
            {
                "kind": "youtube#commentThread",
                "etag": f"etag-{comment_id}",
                "id": comment_id,
                "snippet": {
                    "channelId": self.channel_id,
                    "videoId": video_id,
                    "topLevelComment": self._comment(comment_id, text, at=at, author=author),
                    "canReply": True,
                    "totalReplyCount": 0,
                    "isPublic": True,
                },
                "replies": {"comments": []},
            }
        )
        return comment_id

    def add_reply(self, parent: str, text: str, *, at: datetime, author: tuple[str, str]) -> str:
        thread = self.thread(parent)
        reply_id = f"{parent}.{next(self._ids):022d}"
        thread["replies"]["comments"].append(
            self._comment(reply_id, text, at=at, author=author, parent=parent)
        )
        thread["snippet"]["totalReplyCount"] += 1
        return reply_id

    def add_video(self, title: str, *, at: datetime, channel: tuple[str, str], description: str = "") -> str:
        video_id = f"v{next(self._ids):010d}"
        self.videos.append(
            {
                "kind": "youtube#searchResult",
                "etag": f"etag-{video_id}",
                "id": {"kind": "youtube#video", "videoId": video_id},
                "snippet": {
                    "publishedAt": google_time(at),
                    "channelId": channel[0],
                    "title": title,
                    "description": description,
                    "thumbnails": {"default": {"url": f"https://i.ytimg.example/vi/{video_id}/default.jpg"}},
                    "channelTitle": channel[1],
                    "liveBroadcastContent": "none",
                },
            }
        )
        return video_id

    def thread(self, comment_id: str) -> dict[str, Any]:
        return next(t for t in self.threads if t["id"] == comment_id)

    def replies(self, parent: str) -> list[dict[str, Any]]:
        return self.thread(parent)["replies"]["comments"]

    def fail_next(self, reason: str, *, path: str = "") -> None:
        self._faults.append(("fail", (reason, path)))

    def lose_next(self, path: str) -> None:
        self._faults.append(("lose", path))

    def calls(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path == f"{API}/{path}"]

    # --- answering --------------------------------------------------------------------------------

    def serve(self, request: Request) -> Answer:
        if request.path.startswith(API):
            token = request.header("Authorization").removeprefix("Bearer ")
            if token not in self.tokens:
                raise error("authError")
            if self.quota_exceeded:
                raise error("quotaExceeded")
        lose = False
        for index, (kind, spec) in enumerate(self._faults):
            if kind == "fail" and re.search(spec[1], request.path):
                del self._faults[index]
                raise error(spec[0])
            if kind == "lose" and request.method == "POST" and re.search(spec, request.path):
                del self._faults[index]
                lose = True
                break
        answer = self.dispatch(request)
        return Answer(answer.status, answer.body, answer.headers, drop=lose)

    def _token(self, request: Request) -> tuple[int, Any]:
        form = {key: values[-1] for key, values in request.form().items()}
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}
        if form.get("client_id") != self.client_id or form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
        if self.revoked or form.get("refresh_token") != self.refresh_token:
            return 400, fixture("token_refresh")["refused"]
        token = f"ya29.stub-{next(self._ids)}"
        self.tokens.add(token)
        return 200, {
            "access_token": token,
            "expires_in": self.expires_in,
            "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
            "token_type": "Bearer",
        }

    def _channels(self, request: Request) -> tuple[int, Any]:
        return 200, {
            "kind": "youtube#channelListResponse",
            "etag": "etag-channels",
            "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
            "items": [
                {
                    "kind": "youtube#channel",
                    "etag": "etag-channel",
                    "id": self.channel_id,
                    "snippet": {
                        "title": CHANNEL_TITLE,
                        "description": "Kopi dari seluruh Nusantara.",
                        "customUrl": "@kopinusantara",
                        "publishedAt": "2007-08-23T00:34:43Z",
                        "thumbnails": {"default": {"url": "https://yt3.ggpht.example/kopi.jpg"}},
                        "localized": {"title": CHANNEL_TITLE, "description": "Kopi dari seluruh Nusantara."},
                        "country": "ID",
                    },
                }
            ],
        }

    @staticmethod
    def _page(rows: list[dict[str, Any]], request: Request, *, kind: str, size: int) -> dict[str, Any]:
        start = int((request.query.get("pageToken") or ["0"])[-1].removeprefix("page-") or 0)
        page = rows[start : start + size]
        body: dict[str, Any] = {
            "kind": kind,
            "etag": f"etag-{start}",
            "pageInfo": {"totalResults": len(rows), "resultsPerPage": size},
            "items": page,
        }
        if start + size < len(rows):
            body["nextPageToken"] = f"page-{start + size}"
        return body

    def _threads(self, request: Request) -> tuple[int, Any]:
        if request.query.get("allThreadsRelatedToChannelId") != [self.channel_id]:
            raise error("forbidden")
        # order=time: the newest thread first.
        ordered = sorted(
            self.threads,
            key=lambda t: t["snippet"]["topLevelComment"]["snippet"]["publishedAt"],
            reverse=True,
        )
        size = int((request.query.get("maxResults") or ["20"])[-1])
        return 200, self._page(ordered, request, kind="youtube#commentThreadListResponse", size=size)

    def _all_comments(self) -> list[dict[str, Any]]:
        found = []
        for thread in self.threads:
            found.append(thread["snippet"]["topLevelComment"])
            found += thread["replies"]["comments"]
        return found

    def _comments(self, request: Request) -> tuple[int, Any]:
        size = int((request.query.get("maxResults") or ["20"])[-1])
        if request.query.get("id"):
            wanted = set(request.query["id"][-1].split(","))
            rows = [c for c in self._all_comments() if c["id"] in wanted]
        else:
            rows = self.replies(request.query["parentId"][-1])
        return 200, self._page(rows, request, kind="youtube#commentListResponse", size=size)

    def _insert(self, request: Request) -> tuple[int, Any]:
        snippet = (request.json() or {}).get("snippet") or {}
        parent = snippet.get("parentId", "")
        if not any(t["id"] == parent for t in self.threads):
            raise Reply(
                404,
                {
                    "error": {
                        "code": 404,
                        "message": "The specified parent comment could not be found.",
                        "errors": [
                            {
                                "message": "Not found",
                                "domain": "youtube.comment",
                                "reason": "parentCommentNotFound",
                            }
                        ],
                    }
                },
            )
        reply_id = self.add_reply(
            parent,
            snippet.get("textOriginal", ""),
            at=datetime.now(UTC),
            author=(self.channel_id, "@kopinusantara"),
        )
        return 200, next(c for c in self.replies(parent) if c["id"] == reply_id)

    def _moderate(self, request: Request) -> tuple[int, Any]:
        status = request.query["moderationStatus"][-1]
        for comment_id in request.query["id"][-1].split(","):
            self.moderation[comment_id] = status
        return 204, b""

    def _search(self, request: Request) -> tuple[int, Any]:
        query = request.query["q"][-1]
        after = request.query.get("publishedAfter", [""])[-1]
        found = [
            v
            for v in self.videos
            if _matches(query, f"{v['snippet']['title']} {v['snippet']['description']}")
            and v["snippet"]["publishedAt"] >= after
        ]
        found.sort(key=lambda v: v["snippet"]["publishedAt"], reverse=True)
        size = int((request.query.get("maxResults") or ["5"])[-1])
        body = self._page(found, request, kind="youtube#searchListResponse", size=size)
        body["regionCode"] = "ID"
        return 200, body


def _matches(query: str, text: str) -> bool:
    """YouTube's q as its documentation describes it: every space-separated clause must match,
    `|` separates alternatives, a leading `-` excludes; quotes keep a phrase together."""
    lowered = text.lower()
    for clause in re.findall(r'-?(?:"[^"]*"|[^\s"|]+)(?:\|(?:"[^"]*"|[^\s"|]+))*', query):
        negated = clause.startswith("-")
        alternatives = [alt.strip('"').lower() for alt in clause.lstrip("-").split("|")]
        hit = any(alt in lowered for alt in alternatives)
        if hit == negated:
            return False
    return True
