"""The Meta Graph API (Marketing API) in miniature, on 127.0.0.1, for contract tests of the
meta_ads connector and the ads services, and for bench/ads_pause.

It answers as developers.facebook.com documents: every path under a version (`/v21.0/...`);
ids as strings; `{"data": [...], "paging": {"cursors": {"before", "after"}, "next"}}` on edges
(`next` left out on the last page); `{"id": ...}` on create; `{"success": true}` on update;
`GET /?ids=a,b` for several objects; `POST /` with `batch=[...]` (at most 50) answering one
`{"code", "headers", "body"}` per request; `filtering=[{"field","operator","value"}]` on edges;
insights per ad and day (`time_increment=1`, `level=ad`), optionally per hour
(`breakdowns=hourly_stats_aggregated_by_advertiser_time_zone`); the comments of a post and
`is_hidden`; answers to a comment (`POST /{comment-id}/comments` with `message`, answering
`{"id"}`, posted as the Page and listed among the post's comments with their `parent`; with a
`page_token` set, answering and hiding take only that token, as they act as the Page). Errors have Meta's shape `{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}`: 190 for a bad token, 100 for a bad parameter or unknown object, 17 / 613 / 80004
(and plain HTTP 429) for throttling, with the `X-Ad-Account-Usage` / `X-Business-Use-Case-Usage`
headers that say when access returns.

Tests seed it (`add_campaign`, `add_adset`, `add_creative`, `add_ad`, `add_insight`,
`add_comment`; `replies_to(comment_id)` reads the answers back), inject faults (`fail_next(code=17)`, `lose_answer_next`, `hang_next`, a
per-request `delay`, a random `rate_limit_ratio`) and read back what reached it (`calls`, each
with its arrival time; `created(kind)`; `status_of(id)`).

    with GraphStub() as graph:
        graph.add_campaign("Always on", status="ACTIVE")
"""

from __future__ import annotations

import base64
import json
import random
import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.stub_server import Drop, Reply, Request, StubServer

TOKEN = "stub-graph-token"
VERSION = "v21.0"
BATCH_LIMIT = 50
RATE_LIMIT_MESSAGES = {
    4: "Application request limit reached",
    17: "User request limit reached",
    613: "There have been too many calls from this ad-account. Please wait a bit and try again.",
    80004: "There have been too many calls to this ad-account. Wait a bit and try again.",
}
RATE_LIMIT_SUBCODES = {17: 2446079, 613: 1487742}
EDGE_KIND = {"campaigns": "campaign", "adsets": "adset", "adcreatives": "adcreative", "ads": "ad"}
STATUSES = {"ACTIVE", "PAUSED", "ARCHIVED", "DELETED"}


@dataclass
class Call:
    """One request as the stub saw it (a request inside a batch is a call of its own)."""

    method: str
    path: str  # without the version, e.g. "act_1001/campaigns" or "2385..." ("" for the root)
    params: dict[str, Any]
    at: float  # time.time() on arrival
    in_batch: bool = False
    status: int = 0
    error_code: int | None = None
    rows: int | None = None  # how many objects a list answered

    @property
    def is_write(self) -> bool:
        return self.method == "POST" and not (self.path == "" and "batch" in self.params)

    @property
    def is_pause(self) -> bool:
        """A write that only sets status=PAUSED."""
        keys = set(self.params) - {"access_token"}
        return self.is_write and keys == {"status"} and self.params.get("status") == "PAUSED"


@dataclass
class Fault:
    kind: str  # "error": answer `code`; "hang": answer nothing; "lose": act, then drop the answer
    times: int
    code: int = 0
    path: str | None = None  # a regular expression the path must match (search)
    method: str | None = None
    in_batch: bool | None = None  # None: top-level calls and batch requests alike
    seconds: float = 5.0

    def matches(self, method: str, path: str, in_batch: bool) -> bool:
        return (
            (self.method is None or self.method == method)
            and (self.path is None or re.search(self.path, path) is not None)
            and (self.in_batch is None or self.in_batch == in_batch)
        )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


class GraphStub(StubServer):
    name = "graph"
    content_type = "application/json; charset=UTF-8"

    def __init__(
        self,
        *,
        token: str = TOKEN,
        account_id: str = "1001",
        currency: str = "USD",
        page_id: str = "5550001",
        page_token: str | None = None,
    ) -> None:
        super().__init__()
        self.token = token
        self.page_token = page_token  # None: the system user token acts as the Page too
        self.account_id = account_id
        self.currency = currency
        self.page_id = page_id
        self.delay = 0.0  # seconds every request takes before it is acted on (outside the state lock)
        self.answer_delay = 0.0  # seconds between acting on a request and answering it
        self.rate_limit_ratio = 0.0  # share of requests answered with a throttling error
        self.rate_limit_codes = (17, 613, 80004, 429)
        self.rate_limit_reset = 1  # seconds, in X-Ad-Account-Usage reset_time_duration / Retry-After
        self.buc_minutes = 0  # estimated_time_to_regain_access in X-Business-Use-Case-Usage
        self.calls: list[Call] = []
        self.objects: dict[str, dict[str, Any]] = {}
        self.insight_rows: list[dict[str, Any]] = []
        self._order: dict[str, list[str]] = {}
        self._created: dict[str, list[str]] = {}
        self._faults: list[Fault] = []
        self._random = random.Random(8)
        self._next_id = 120_210_000_000_000_000
        self.route("*", r"/_(\w+)", self._control)
        self.route("*", r".*", self._graph)

    @property
    def account_path(self) -> str:
        return f"act_{self.account_id}"

    # --- seeding -----------------------------------------------------------------------------------

    def _new_id(self) -> str:
        with self._lock:
            self._next_id += 1
            return str(self._next_id)

    def _store(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        now = _iso(datetime.now(UTC))
        obj.setdefault("created_time", now)
        obj.setdefault("updated_time", now)
        obj["_kind"] = kind
        with self._lock:
            self.objects[obj["id"]] = obj
            self._order.setdefault(kind, []).append(obj["id"])
        return obj

    def add_campaign(
        self,
        name: str,
        *,
        status: str = "ACTIVE",
        objective: str = "OUTCOME_TRAFFIC",
        daily_budget: int | None = None,
        lifetime_budget: int | None = None,
    ) -> dict[str, Any]:
        obj = {
            "id": self._new_id(),
            "account_id": self.account_id,
            "name": name,
            "objective": objective,
            "status": status,
            "special_ad_categories": [],
            "buying_type": "AUCTION",
        }
        if daily_budget is not None:
            obj["daily_budget"] = str(daily_budget)
        if lifetime_budget is not None:
            obj["lifetime_budget"] = str(lifetime_budget)
        return self._store("campaign", obj)

    def add_adset(
        self,
        campaign: dict[str, Any],
        name: str,
        *,
        status: str = "ACTIVE",
        countries: tuple[str, ...] = ("ID",),
        daily_budget: int | None = None,
    ) -> dict[str, Any]:
        obj = {
            "id": self._new_id(),
            "account_id": self.account_id,
            "campaign_id": campaign["id"],
            "name": name,
            "status": status,
            "billing_event": "IMPRESSIONS",
            "optimization_goal": "LINK_CLICKS",
            "targeting": {"geo_locations": {"countries": list(countries)}, "age_min": 18, "age_max": 65},
        }
        if daily_budget is not None:
            obj["daily_budget"] = str(daily_budget)
        return self._store("adset", obj)

    def add_creative(
        self, name: str, *, message: str | None = "Hello", link: str | None = "https://example.com/"
    ) -> dict:
        """A link ad's creative; `link=None` or `message=None` leaves that field out, as Meta does
        for creatives that have none (a page-post ad, an image without text)."""
        post = self._store("post", {"id": f"{self.page_id}_{self._new_id()}", "message": message or ""})
        link_data = {
            key: value for key, value in {"message": message, "link": link}.items() if value is not None
        }
        return self._store(
            "adcreative",
            {
                "id": self._new_id(),
                "account_id": self.account_id,
                "name": name,
                "object_story_spec": {
                    "page_id": self.page_id,
                    "link_data": link_data,
                },
                "effective_object_story_id": post["id"],
            },
        )

    def add_ad(
        self, adset: dict[str, Any], creative: dict[str, Any], name: str, *, status: str = "ACTIVE"
    ) -> dict:
        return self._store(
            "ad",
            {
                "id": self._new_id(),
                "account_id": self.account_id,
                "adset_id": adset["id"],
                "campaign_id": adset["campaign_id"],
                "name": name,
                "status": status,
                "creative": {"id": creative["id"]},
            },
        )

    def add_insight(
        self,
        ad_id: str,
        day: date,
        *,
        hour: int | None = None,
        impressions: int = 0,
        reach: int = 0,
        clicks: int = 0,
        spend: str = "0",
        purchases: int = 0,
        purchase_value: str = "0",
    ) -> None:
        with self._lock:
            self.insight_rows.append(
                {
                    "ad_id": str(ad_id),
                    "date": day,
                    "hour": hour,
                    "impressions": impressions,
                    "reach": reach,
                    "clicks": clicks,
                    "spend": spend,
                    "purchases": purchases,
                    "purchase_value": purchase_value,
                }
            )

    def add_comment(
        self, post_id: str, message: str, *, author: str = "Someone", created: datetime | None = None
    ) -> dict[str, Any]:
        return self._store(
            "comment",
            {
                "id": f"{post_id.split('_')[-1]}_{self._new_id()}",
                "post_id": post_id,
                "message": message,
                "from": {"id": self._new_id(), "name": author},
                "created_time": _iso(created or datetime.now(UTC)),
                "is_hidden": False,
            },
        )

    # --- faults ------------------------------------------------------------------------------------

    def fail_next(
        self,
        *,
        code: int = 17,
        times: int = 1,
        path: str | None = None,
        method: str | None = None,
        in_batch: bool | None = None,
    ) -> None:
        """Answer the next matching requests with an error: a Graph error code (17, 613, 80004,
        190, 100...), or an HTTP status (429, 500, 503)."""
        with self._lock:
            self._faults.append(Fault("error", times, code=code, path=path, method=method, in_batch=in_batch))

    def lose_answer_next(
        self, *, times: int = 1, path: str | None = None, method: str | None = "POST"
    ) -> None:
        """Act on the next matching requests, then close the connection without answering."""
        with self._lock:
            self._faults.append(Fault("lose", times, path=path, method=method, in_batch=False))

    def hang_next(self, *, times: int = 1, path: str | None = None, seconds: float = 5.0) -> None:
        with self._lock:
            self._faults.append(Fault("hang", times, path=path, seconds=seconds, in_batch=False))

    def _take_fault(self, method: str, path: str, in_batch: bool) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.matches(method, path, in_batch):
                    fault.times -= 1
                    return fault
            if self.rate_limit_ratio and self._random.random() < self.rate_limit_ratio:
                return Fault("error", 1, code=self._random.choice(self.rate_limit_codes))
        return None

    # --- reading back --------------------------------------------------------------------------------

    def created(self, kind: str) -> list[dict[str, Any]]:
        """Objects of one kind (campaign, adset, adcreative, ad) created through the API."""
        with self._lock:
            return [self.objects[i] for i in self._created.get(kind, [])]

    def all(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return [self.objects[i] for i in self._order.get(kind, [])]

    def replies_to(self, comment_id: str) -> list[dict[str, Any]]:
        """The answers posted under a comment, oldest first."""
        with self._lock:
            return [
                o
                for o in self.objects.values()
                if o["_kind"] == "comment" and (o.get("parent") or {}).get("id") == str(comment_id)
            ]

    def status_of(self, object_id: str) -> str:
        return self.objects[str(object_id)].get("status", "")

    def calls_to(self, pattern: str, method: str | None = None) -> list[Call]:
        with self._lock:
            return [
                c for c in self.calls if re.search(pattern, c.path) and (method is None or c.method == method)
            ]

    def stats(self, since: float = 0.0) -> dict[str, Any]:
        with self._lock:
            later = [c for c in self.calls if c.at > since]
            statuses: dict[str, int] = {}
            for object_id in self._order.get("campaign", []):
                status = self.objects[object_id].get("status", "")
                statuses[status] = statuses.get(status, 0) + 1
            return {
                "campaigns": statuses,
                "created": {kind: len(ids) for kind, ids in self._created.items()},
                "calls": len(self.calls),
                "calls_after": len(later),
                "writes_after": sum(1 for c in later if c.is_write),
                "pause_writes_after": sum(1 for c in later if c.is_pause),
                "other_writes_after": sum(
                    1 for c in later if c.is_write and not c.is_pause and c.status < 400
                ),
                "reads_after": sum(1 for c in later if c.method == "GET"),
                "throttled": sum(1 for c in self.calls if c.error_code in (4, 17, 613, 80004, 429)),
                "last_other_write": max(
                    (c.at for c in self.calls if c.is_write and not c.is_pause), default=0
                ),
            }

    # --- the API ---------------------------------------------------------------------------------------

    def _error(self, code: int, message: str = "", *, subcode: int | None = None, status: int = 400) -> Reply:
        headers: dict[str, str] = {}
        if code == 429:
            return Reply(
                429,
                {
                    "error": {
                        "message": "Too many requests",
                        "type": "OAuthException",
                        "fbtrace_id": "stubtrace",
                    }
                },
                {"Retry-After": str(self.rate_limit_reset)},
            )
        if 500 <= code < 600:
            return Reply(
                code,
                {
                    "error": {
                        "message": "An unexpected error has occurred. Please retry your request later.",
                        "type": "OAuthException",
                        "code": 2,
                        "is_transient": True,
                        "fbtrace_id": "stubtrace",
                    }
                },
            )
        if code in (17, 613, 4):
            headers["X-Ad-Account-Usage"] = json.dumps(
                {
                    "acc_id_util_pct": 100,
                    "reset_time_duration": self.rate_limit_reset,
                    "ads_api_access_tier": "standard_access",
                }
            )
        if code == 80004:
            headers["X-Business-Use-Case-Usage"] = json.dumps(
                {
                    self.account_id: [
                        {
                            "type": "ads_management",
                            "call_count": 100,
                            "total_cputime": 40,
                            "total_time": 40,
                            "estimated_time_to_regain_access": self.buc_minutes,
                        }
                    ]
                }
            )
            headers["X-Ad-Account-Usage"] = json.dumps(
                {"acc_id_util_pct": 100, "reset_time_duration": self.rate_limit_reset}
            )
        error: dict[str, Any] = {
            "message": message or RATE_LIMIT_MESSAGES.get(code, "Invalid parameter"),
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "stubtrace",
        }
        subcode = subcode or RATE_LIMIT_SUBCODES.get(code)
        if subcode:
            error["error_subcode"] = subcode
        if code == 190:
            error["message"] = message or "Invalid OAuth access token - Cannot parse access token"
        return Reply(status, {"error": error}, headers)

    def handle(
        self, method: str, path: str, params: dict[str, Any], *, token: str | None, in_batch: bool
    ) -> tuple[int, Any, dict[str, str]]:
        """One Graph request (top level or inside a batch): (status, body, headers)."""
        call = Call(method=method, path=path, params=dict(params), at=time.time(), in_batch=in_batch)
        with self._lock:
            self.calls.append(call)
        fault = self._take_fault(method, path, in_batch)
        try:
            if fault is not None and fault.kind == "hang":
                self.hang(fault.seconds)
            if fault is not None and fault.kind == "error":
                call.error_code = fault.code
                raise self._error(fault.code)
            if token != self.token and not (self.page_token and token == self.page_token):
                call.error_code = 190
                raise self._error(190)
            if self.page_token and self._acts_as_page(method, path) != (token == self.page_token):
                # The Page's token is for the Page's own acts; the system user's for the rest.
                call.error_code = 200
                raise self._error(200, "(#200) Permissions error", status=403)
            status, body = self._route(method, path, params)
            headers: dict[str, str] = {}
        except Reply as reply:
            status, body, headers = reply.status, reply.body, reply.headers
            if call.error_code is None and isinstance(body, dict) and isinstance(body.get("error"), dict):
                call.error_code = body["error"].get("code")
        call.status = status
        if isinstance(body, dict) and isinstance(body.get("data"), list):
            call.rows = len(body["data"])
        if fault is not None and fault.kind == "lose":
            raise Drop()
        return status, body, headers

    def _acts_as_page(self, method: str, path: str) -> bool:
        """Answering or hiding a comment (and reading a comment's answers)."""
        parts = [p for p in path.split("/") if p]
        obj = self.objects.get(parts[0]) if parts else None
        return obj is not None and obj["_kind"] == "comment"

    def _reply(self, comment: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        message = str(params.get("message") or "").strip()
        if not message:
            raise self._error(100, "(#100) The parameter message is required")
        reply = self._store(
            "comment",
            {
                "id": f"{comment['post_id'].split('_')[-1]}_{self._new_id()}",
                "post_id": comment["post_id"],
                "message": message,
                "from": {"id": self.page_id, "name": "Stub Page"},
                "parent": {"id": comment["id"]},
                "created_time": _iso(datetime.now(UTC)),
                "is_hidden": False,
            },
        )
        return {"id": reply["id"]}

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        with self._lock:
            if not parts:
                if method == "GET" and params.get("ids"):
                    return 200, self._get_many(params)
                raise self._error(100, "Unsupported request")
            if parts == ["me"] and method == "GET":
                return 200, {"id": "90001", "name": "CXM system user"}
            if parts[0].startswith("act_"):
                if parts[0] != self.account_path:
                    raise self._error(
                        100,
                        f"Unsupported get request. Object with ID '{parts[0]}' does not exist",
                        subcode=33,
                    )
                if len(parts) == 1 and method == "GET":
                    return 200, _select(self._account(), params.get("fields"))
                if len(parts) == 2 and parts[1] in EDGE_KIND:
                    if method == "GET":
                        rows = [self.objects[i] for i in self._order.get(EDGE_KIND[parts[1]], [])]
                        return 200, self._page(path, rows, params)
                    if method == "POST":
                        return 200, self._create(EDGE_KIND[parts[1]], params)
                if len(parts) == 2 and parts[1] == "insights" and method == "GET":
                    return 200, self._insights(path, None, params)
                raise self._error(100, "Unsupported request")
            obj = self.objects.get(parts[0])
            if obj is None:
                raise self._error(
                    100,
                    f"Unsupported {method.lower()} request. Object with ID '{parts[0]}' does not exist, "
                    "cannot be loaded due to missing permissions, or does not support this operation",
                    subcode=33,
                )
            if len(parts) == 1:
                if method == "GET":
                    return 200, _select(self._view(obj), params.get("fields"))
                return 200, self._update(obj, params)
            if parts[1] == "insights" and method == "GET":
                return 200, self._insights(path, obj, params)
            if parts[1] == "comments" and method == "GET" and obj["_kind"] == "post":
                rows = [
                    o for o in self.objects.values() if o["_kind"] == "comment" and o["post_id"] == obj["id"]
                ]
                rows.sort(key=lambda c: c["created_time"])
                return 200, self._page(path, rows, params)
            if parts[1] == "comments" and obj["_kind"] == "comment":
                if method == "POST":
                    return 200, self._reply(obj, params)
                rows = [
                    o
                    for o in self.objects.values()
                    if o["_kind"] == "comment" and (o.get("parent") or {}).get("id") == obj["id"]
                ]
                return 200, self._page(path, rows, params)
            raise self._error(100, "Unsupported request")

    def _account(self) -> dict[str, Any]:
        return {
            "id": self.account_path,
            "account_id": self.account_id,
            "name": "Stub ad account",
            "currency": self.currency,
            "timezone_name": "Asia/Jakarta",
            "account_status": 1,
        }

    def _view(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The object as the API shows it, with its effective_status worked out."""
        view = {k: v for k, v in obj.items() if not k.startswith("_") and k != "post_id"}
        kind = obj["_kind"]
        if kind in ("campaign", "adset", "ad"):
            status = obj.get("status", "")
            effective = status
            if status == "ACTIVE" and kind in ("adset", "ad"):
                campaign = self.objects.get(obj.get("campaign_id", ""), {})
                if campaign.get("status") != "ACTIVE":
                    effective = "CAMPAIGN_PAUSED"
                elif kind == "ad" and self.objects.get(obj.get("adset_id", ""), {}).get("status") != "ACTIVE":
                    effective = "ADSET_PAUSED"
            view["effective_status"] = effective
        return view

    def _get_many(self, params: dict[str, Any]) -> dict[str, Any]:
        answer = {}
        for object_id in str(params["ids"]).split(","):
            obj = self.objects.get(object_id.strip())
            if obj is None:
                raise self._error(
                    100, f"(#803) Some of the aliases you requested do not exist: {object_id}", subcode=None
                )
            answer[obj["id"]] = _select(self._view(obj), params.get("fields"))
        return answer

    def _page(
        self, path: str, rows: list[dict[str, Any]], params: dict[str, Any], *, select: bool = True
    ) -> dict[str, Any]:
        rows = [self._view(r) if "_kind" in r else r for r in rows]
        filtering = _json(params.get("filtering")) or []
        for rule in filtering:
            rows = [r for r in rows if _matches(r, rule)]
        effective = _json(params.get("effective_status"))
        if effective:
            rows = [r for r in rows if r.get("effective_status") in effective]
        limit = min(int(params.get("limit") or 25), 500)
        start = _decode_cursor(params.get("after")) + 1 if params.get("after") else 0
        page = rows[start : start + limit]
        body: dict[str, Any] = {"data": [_select(r, params.get("fields")) if select else r for r in page]}
        if page:
            body["paging"] = {
                "cursors": {"before": _encode_cursor(start), "after": _encode_cursor(start + len(page) - 1)}
            }
            if start + len(page) < len(rows):
                query = {k: v for k, v in params.items() if k not in ("after", "access_token")}
                query["after"] = _encode_cursor(start + len(page) - 1)
                body["paging"]["next"] = f"{self.base_url}/{VERSION}/{path}?{urlencode(query)}"
        return body

    def _create(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        name = str(params.get("name") or "")
        if kind == "campaign":
            if not name or not params.get("objective"):
                raise self._error(100, "Invalid parameter: name and objective are required", subcode=1487007)
            if "special_ad_categories" not in params:
                raise self._error(
                    100, "Invalid parameter: special_ad_categories is required", subcode=2446289
                )
            if params.get("daily_budget") and params.get("lifetime_budget"):
                raise self._error(100, "Invalid parameter: set a daily or a lifetime budget, not both")
            obj = {
                "id": self._new_id(),
                "account_id": self.account_id,
                "name": name,
                "objective": params["objective"],
                "status": str(params.get("status") or "PAUSED"),
                "special_ad_categories": _json(params["special_ad_categories"]) or [],
                "buying_type": "AUCTION",
            }
            for key in ("daily_budget", "lifetime_budget", "start_time", "stop_time"):
                if params.get(key):
                    obj[key] = str(params[key])
        elif kind == "adset":
            campaign = self.objects.get(str(params.get("campaign_id") or ""))
            if campaign is None or campaign["_kind"] != "campaign":
                raise self._error(100, "Invalid parameter: campaign_id", subcode=1885084)
            targeting = _json(params.get("targeting"))
            if (
                not name
                or not isinstance(targeting, dict)
                or not params.get("billing_event")
                or not params.get("optimization_goal")
            ):
                raise self._error(
                    100,
                    "Invalid parameter: name, targeting, billing_event and optimization_goal are required",
                )
            funded = campaign.get("daily_budget") or campaign.get("lifetime_budget")
            own = params.get("daily_budget") or params.get("lifetime_budget")
            if funded and own:
                raise self._error(
                    100, "Invalid parameter: the campaign has a budget; the ad set cannot have one"
                )
            if not funded and not own:
                raise self._error(
                    100, "Invalid parameter: an ad set needs a budget when its campaign has none"
                )
            obj = {
                "id": self._new_id(),
                "account_id": self.account_id,
                "campaign_id": campaign["id"],
                "name": name,
                "status": str(params.get("status") or "PAUSED"),
                "targeting": targeting,
                "billing_event": params["billing_event"],
                "optimization_goal": params["optimization_goal"],
            }
            for key in ("daily_budget", "lifetime_budget", "bid_amount", "start_time", "end_time"):
                if params.get(key):
                    obj[key] = str(params[key])
        elif kind == "adcreative":
            spec = _json(params.get("object_story_spec"))
            if (
                not isinstance(spec, dict)
                or not spec.get("page_id")
                or not (spec.get("link_data") or {}).get("link")
            ):
                raise self._error(
                    100, "Invalid parameter: object_story_spec needs page_id and link_data.link"
                )
            post = self._store(
                "post",
                {
                    "id": f"{spec['page_id']}_{self._new_id()}",
                    "message": spec["link_data"].get("message", ""),
                },
            )
            obj = {
                "id": self._new_id(),
                "account_id": self.account_id,
                "name": name,
                "object_story_spec": spec,
                "effective_object_story_id": post["id"],
            }
        else:  # ad
            adset = self.objects.get(str(params.get("adset_id") or ""))
            creative = _json(params.get("creative")) or {}
            if adset is None or adset["_kind"] != "adset":
                raise self._error(100, "Invalid parameter: adset_id")
            if str(creative.get("creative_id") or "") not in self.objects:
                raise self._error(100, "Invalid parameter: creative")
            obj = {
                "id": self._new_id(),
                "account_id": self.account_id,
                "adset_id": adset["id"],
                "campaign_id": adset["campaign_id"],
                "name": name,
                "status": str(params.get("status") or "PAUSED"),
                "creative": {"id": str(creative["creative_id"])},
            }
        if "status" in obj and obj["status"] not in STATUSES:
            raise self._error(100, f"Invalid parameter: status {obj['status']}")
        self._store(kind, obj)
        self._created.setdefault(kind, []).append(obj["id"])
        return {"id": obj["id"]}

    def _update(self, obj: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        changed = False
        if obj["_kind"] == "comment":
            if "is_hidden" in params:
                obj["is_hidden"] = str(params["is_hidden"]).lower() == "true"
                return {"success": True}
            raise self._error(100, "Invalid parameter")
        if "status" in params:
            status = str(params["status"])
            if status not in STATUSES:
                raise self._error(100, f"Invalid parameter: status {status}")
            changed = changed or obj.get("status") != status
            obj["status"] = status
        for key in ("daily_budget", "lifetime_budget", "name", "bid_amount"):
            if key in params:
                changed = changed or obj.get(key) != str(params[key])
                obj[key] = str(params[key])
        if changed:
            # Meta's updated_time has second resolution; tests that need two apart wait a second.
            obj["updated_time"] = _iso(datetime.now(UTC))
        return {"success": True}

    def _insights(self, path: str, obj: dict[str, Any] | None, params: dict[str, Any]) -> dict[str, Any]:
        ads = set(self._order.get("ad", []))
        if obj is not None:
            kind = obj["_kind"]
            if kind == "ad":
                ads = {obj["id"]}
            elif kind == "adset":
                ads = {a for a in ads if self.objects[a]["adset_id"] == obj["id"]}
            elif kind == "campaign":
                ads = {a for a in ads if self.objects[a]["campaign_id"] == obj["id"]}
        window = _json(params.get("time_range")) or {}
        since = date.fromisoformat(window["since"]) if window.get("since") else date.min
        until = date.fromisoformat(window["until"]) if window.get("until") else date.max
        hourly = params.get("breakdowns") == "hourly_stats_aggregated_by_advertiser_time_zone"
        rows = []
        for row in self.insight_rows:
            if row["ad_id"] not in ads or not (since <= row["date"] <= until):
                continue
            if hourly != (row["hour"] is not None):
                continue
            ad = self.objects[row["ad_id"]]
            entry = {
                "ad_id": ad["id"],
                "adset_id": ad["adset_id"],
                "campaign_id": ad["campaign_id"],
                "impressions": str(row["impressions"]),
                "reach": str(row["reach"]),
                "clicks": str(row["clicks"]),
                "spend": row["spend"],
                "date_start": row["date"].isoformat(),
                "date_stop": row["date"].isoformat(),
            }
            if row["purchases"]:
                # Meta reports one purchase under several overlapping action types.
                entry["actions"] = [
                    {"action_type": "link_click", "value": str(row["clicks"])},
                    {"action_type": "offsite_conversion.fb_pixel_purchase", "value": str(row["purchases"])},
                    {"action_type": "omni_purchase", "value": str(row["purchases"])},
                ]
                entry["action_values"] = [
                    {"action_type": "offsite_conversion.fb_pixel_purchase", "value": row["purchase_value"]},
                    {"action_type": "omni_purchase", "value": row["purchase_value"]},
                ]
            if hourly:
                entry["hourly_stats_aggregated_by_advertiser_time_zone"] = (
                    f"{row['hour']:02d}:00:00 - {row['hour']:02d}:59:59"
                )
            rows.append(entry)
        rows.sort(
            key=lambda r: (
                r["date_start"],
                r["ad_id"],
                r.get("hourly_stats_aggregated_by_advertiser_time_zone", ""),
            )
        )
        fields = params.get("fields")
        keep = (
            None
            if not fields
            else set(_field_names(fields))
            | {"date_start", "date_stop", "hourly_stats_aggregated_by_advertiser_time_zone"}
        )
        if keep:
            rows = [{k: v for k, v in r.items() if k in keep} for r in rows]
        return self._page(path, rows, params, select=False)

    # --- over HTTP ---------------------------------------------------------------------------------------

    def _graph(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        params = _params(request)
        token = params.pop("access_token", None)
        auth = request.header("Authorization")
        if auth.startswith(("Bearer ", "OAuth ")):
            token = auth.split(" ", 1)[1]
        if self.delay:
            time.sleep(self.delay)
        path = _strip_version(request.path)
        if request.method == "POST" and path == "" and "batch" in params:
            # The batch call itself can be throttled as a whole, like any call.
            call = Call(method=request.method, path="", params={"batch": "..."}, at=time.time())
            with self._lock:
                self.calls.append(call)
            fault = self._take_fault(request.method, "", False)
            if fault is not None and fault.kind == "error":
                call.error_code = fault.code
                reply = self._error(fault.code)
                call.status = reply.status
                raise reply
            status, body, headers = self.batch(params["batch"], token=token)
            call.status = status
        else:
            status, body, headers = self.handle(request.method, path, params, token=token, in_batch=False)
        if self.answer_delay:
            time.sleep(self.answer_delay)
        return status, body, headers

    def _control(self, request: Request, name: str) -> tuple[int, Any]:
        """The bench drives a stub in another process through these."""
        params = _params(request)
        if name == "stats":
            return 200, self.stats(float(params.get("since") or 0))
        if name == "seed":
            count = int(params.get("campaigns") or 0)
            status = str(params.get("status") or "ACTIVE")
            ids = [
                self.add_campaign(f"Seeded campaign {n}", status=status, daily_budget=100_000)["id"]
                for n in range(count)
            ]
            return 200, {"ids": ids}
        if name == "config":
            for key in ("delay", "rate_limit_ratio"):
                if key in params:
                    setattr(self, key, float(params[key]))
            if "rate_limit_reset" in params:
                self.rate_limit_reset = int(params["rate_limit_reset"])
            return 200, {"ok": True}
        return 404, {"error": "no such control"}

    def batch(self, raw: str, *, token: str | None) -> tuple[int, Any, dict[str, str]]:
        try:
            requests = json.loads(raw)
        except ValueError:
            return 400, self._error(100, "Invalid batch parameter").body, {}
        if not isinstance(requests, list):
            return 400, self._error(100, "Invalid batch parameter").body, {}
        if len(requests) > BATCH_LIMIT:
            return (
                400,
                self._error(
                    100, f"Too many requests in batch message. Maximum batch size is {BATCH_LIMIT}"
                ).body,
                {},
            )
        answers = []
        for request in requests:
            method = str(request.get("method") or "GET").upper()
            split = urlsplit(str(request.get("relative_url") or ""))
            path = _strip_version(split.path)
            params = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
            if request.get("body"):
                params.update(
                    {k: v[-1] for k, v in parse_qs(str(request["body"]), keep_blank_values=True).items()}
                )
            op_token = params.pop("access_token", None) or token
            try:
                status, body, headers = self.handle(method, path, params, token=op_token, in_batch=True)
            except Drop:
                answers.append(None)
                continue
            answers.append(
                {
                    "code": status,
                    "headers": [{"name": k, "value": v} for k, v in headers.items()],
                    "body": json.dumps(body),
                }
            )
        return 200, answers, {}


def _params(request: Request) -> dict[str, Any]:
    """The query and the form or JSON body as one set of parameters, the last value of each."""
    params: dict[str, Any] = {k: v[-1] for k, v in request.query.items()}
    if request.raw and request.content_type == "application/json":
        body = request.json()
        params.update(dict(body) if isinstance(body, dict) else {})
    elif request.raw:
        params.update({k: v[-1] for k, v in request.form().items()})
    return params


def _strip_version(path: str) -> str:
    return re.sub(r"^/?v\d+\.\d+", "", path).strip("/")


def _json(value: Any) -> Any:
    if value is None or isinstance(value, (dict, list)):
        return value
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def _field_names(fields: str) -> list[str]:
    # "id,name,creative{id},parent{id}" -> ["id", "name", "creative", "parent"]
    return [re.sub(r"\{.*\}$", "", f).strip() for f in re.split(r",(?![^{]*\})", fields) if f.strip()]


def _select(obj: dict[str, Any], fields: str | None) -> dict[str, Any]:
    if not fields:
        return {k: v for k, v in obj.items() if k in ("id", "name")} or obj
    names = set(_field_names(fields)) | {"id"}
    return {k: v for k, v in obj.items() if k in names}


def _matches(row: dict[str, Any], rule: dict[str, Any]) -> bool:
    value = row.get(rule.get("field"))
    operator = str(rule.get("operator") or "").upper()
    wanted = rule.get("value")
    if operator == "CONTAIN":
        return str(wanted).lower() in str(value or "").lower()
    if operator == "NOT_CONTAIN":
        return str(wanted).lower() not in str(value or "").lower()
    if operator == "EQUAL":
        return str(value) == str(wanted)
    if operator == "IN":
        return value in (wanted or [])
    if operator == "NOT_IN":
        return value not in (wanted or [])
    return False


def _encode_cursor(index: int) -> str:
    return base64.urlsafe_b64encode(str(index).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    padded = cursor + "=" * (-len(cursor) % 4)
    return int(base64.urlsafe_b64decode(padded.encode()).decode())


def today() -> date:
    return datetime.now(UTC).date()


def days_ago(n: int) -> date:
    return today() - timedelta(days=n)
