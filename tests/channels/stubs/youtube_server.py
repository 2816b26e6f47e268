"""Google's sign-in and the YouTube Data API v3 in miniature, on 127.0.0.1, for the youtube
connector's contract tests and "Connect YouTube".

It answers in the shapes Google documents, kept as fixtures in `tests/channels/fixtures/youtube/`
(each naming its source):

- `GET /o/oauth2/v2/auth`: checks the client id, the exact redirect_uri, `response_type=code` and
  the `youtube.force-ssl` scope, and shows a consent page whose "Allow" goes back to the
  redirect_uri with `state`, a `code` and the `scope` ("Cancel": `error=access_denied`); the code
  is bound to the `code_challenge` (S256 or plain) and to whether `access_type=offline` was asked.
- `POST /token` (a form; the client authenticates with client_id and client_secret in it):
  `authorization_code` with the code, the same redirect_uri and the `code_verifier` of its
  challenge, answered as `oauth_code_exchange.json` (a refresh token only for offline access);
  `refresh_token` answering `{"access_token", "expires_in", "scope", "token_type"}` for a refresh
  token it issued, or 400 `invalid_grant` once `revoked`.

Under `/youtube/v3/`: `GET channels?mine=true`, `GET commentThreads`
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

import base64
import hashlib
import json
import re
import secrets
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

from tests.channels.stubs.consent import approve, consent_page, refusal_page
from tests.stub_server import Answer, Reply, Request, StubServer

CLIENT_ID = "1234567890-stub.apps.googleusercontent.com"
CLIENT_SECRET = "stub-client-secret"
REFRESH_TOKEN = "1//stub-refresh-token"
CHANNEL_ID = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
CHANNEL_TITLE = "Kopi Nusantara"
API = "/youtube/v3"
AUTHORIZE = "/o/oauth2/v2/auth"
SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
REDIRECT_URI = "https://cxm.example/admin/accounts/connect/youtube/callback/"
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

    def __init__(
        self, *, channel_id: str = CHANNEL_ID, client_id: str = CLIENT_ID, redirect_uri: str = REDIRECT_URI
    ) -> None:
        super().__init__()
        self.channel_id = channel_id
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.refresh_tokens = {REFRESH_TOKEN}  # the ones issued; each works until `revoked`
        self.codes: dict[str, dict[str, Any]] = {}  # code -> challenge, method, redirect_uri, ...
        self.revoked = False
        self.quota_exceeded = False
        self.expires_in = 3599
        self.tokens: set[str] = set()
        self.threads: list[dict[str, Any]] = []  # commentThread resources, replies inside
        self.videos: list[dict[str, Any]] = []  # search results
        self.moderation: dict[str, str] = {}
        self._faults: list[tuple[str, Any]] = []
        self._ids = count(1)
        self.route("GET", AUTHORIZE, self._authorize)
        self.route("GET", r"/favicon.ico", lambda request: Answer(204, b""))  # what a browser asks for
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

    @property
    def authorize_url(self) -> str:
        return self.base_url + AUTHORIZE

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

    # --- signing in ---------------------------------------------------------------------------------

    def _authorize(self, request: Request) -> Answer:
        q = {key: values[-1] for key, values in request.query.items()}
        if q.get("client_id") != self.client_id:
            return refusal_page(
                401, "Access blocked: Error 401: invalid_client. The OAuth client was not found."
            )
        if q.get("redirect_uri") != self.redirect_uri:
            return refusal_page(400, "Access blocked: Error 400: redirect_uri_mismatch.")
        method = q.get("code_challenge_method", "plain" if q.get("code_challenge") else "")
        scoped = SCOPE in q.get("scope", "").split()
        if q.get("response_type") != "code" or not scoped or method not in ("", "plain", "S256"):
            return refusal_page(400, "Access blocked: Error 400: invalid_request.")
        code = f"4/{secrets.token_urlsafe(24)}"
        self.codes[code] = {
            "challenge": q.get("code_challenge", ""),
            "method": method,
            "redirect_uri": q["redirect_uri"],
            "scope": q["scope"],
            "offline": q.get("access_type") == "offline",
        }
        return consent_page(
            title="Sign in - Google Accounts",
            heading="cxm wants access to your Google Account",
            asks=(
                f"YouTube channel {CHANNEL_TITLE}: see, edit, and permanently delete your YouTube videos, "
                "ratings, comments and captions"
            ),
            redirect_uri=self.redirect_uri,
            state=q.get("state", ""),
            granted={"code": code, "scope": q["scope"]},
            grant="Allow",
            decline="Cancel",
        )

    def approve(self, authorize_url: str) -> str:
        """What a person's "Allow" on the consent page leads to: the callback address."""
        return approve(authorize_url)

    def _token(self, request: Request) -> tuple[int, Any]:
        form = {key: values[-1] for key, values in request.form().items()}
        if form.get("client_id") != self.client_id or form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
        if form.get("grant_type") == "authorization_code":
            return self._exchange(form)
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}
        if self.revoked or form.get("refresh_token") not in self.refresh_tokens:
            return 400, fixture("token_refresh")["refused"]
        return 200, {
            "access_token": self._access_token(),
            "expires_in": self.expires_in,
            "scope": SCOPE,
            "token_type": "Bearer",
        }

    def _exchange(self, form: dict[str, str]) -> tuple[int, Any]:
        documented = fixture("oauth_code_exchange")
        kept = self.codes.pop(form.get("code", ""), None)  # a code works once
        if kept is None or kept["redirect_uri"] != form.get("redirect_uri"):
            return 400, documented["refused"]["code"]
        verifier = form.get("code_verifier", "")
        if kept["method"] == "S256":
            verifier = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            )
        if kept["challenge"] and verifier != kept["challenge"]:
            return 400, documented["refused"]["verifier"]
        answer = {
            **documented["response"],
            "access_token": self._access_token(),
            "expires_in": self.expires_in,
            "scope": kept["scope"],
        }
        if kept["offline"]:
            answer["refresh_token"] = f"1//stub-refresh-{next(self._ids)}"
            self.refresh_tokens.add(answer["refresh_token"])
        else:
            del answer["refresh_token"]
        return 200, answer

    def _access_token(self) -> str:
        token = f"ya29.stub-{next(self._ids)}"
        self.tokens.add(token)
        return token

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
