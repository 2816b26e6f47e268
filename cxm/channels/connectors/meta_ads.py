"""Meta Marketing API: an ad account's campaigns, ad sets, creatives and ads, their insights, and
the comments under the ads' posts, over the Graph API as Meta documents it.

Kept in one module on purpose: it is one client of one API. Every method goes through the same
`_call` (version prefix, tokens, throttling headers, `graph_error` mapping Meta's error codes to
ours; that plumbing, shared with the Facebook Page connector, lives in `graph.py`) and most share the idempotency rule below (our reference in each name,
`find_by_ref` before any create); splitting the endpoints across modules would scatter that one
contract with Meta, which is easiest to check when it is read in one place.

The account's handle is the ad account id (`act_1001`); `base_url` is the Graph host
(`https://graph.facebook.com`), to which the API version (`options.api_version`, default
`v21.0`) is appended unless the address already names one. Credentials: `access_token` (a system
user token with ads_management) and, optionally, `page_access_token` (a token of the Page the
ads run as, with pages_manage_engagement): answering and hiding comments act as the Page and use it,
falling back to `access_token` when the account has none. Options: `page_id` (the Facebook Page
creatives are published as), `api_version`, `rate_limit_default_seconds`.

Meta has no idempotency keys. Every object we create carries our reference in its name
(`"Summer sale [cxm-3f9a...]"`), so before creating anything the caller looks the reference up
(`find_by_ref`) and adopts what it finds: a call whose answer was lost is never repeated.
A reply to a comment cannot carry a reference, so `reply` first reads the Page's answers already
under the comment and adopts one with the same text (see `reply`).

Money: budgets and bids go in and come out as integers in the currency's minor unit with Meta's
offset (100 for USD/EUR, 1 for IDR/JPY); insights report spend and values as decimal strings in
major units, which this module hands back untouched for the caller to convert exactly.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

import httpx

from cxm.channels.connectors.base import (
    AccountConfig,
    ConnectorError,
    FetchPage,
    Limits,
    NotSupported,
    Outgoing,
    PermanentError,
    PostMetrics,
    Published,
    TransientError,
)
from cxm.channels.connectors.graph import (
    GraphCaller,
    graph_error,
    graph_form,
)

logger = logging.getLogger(__name__)

BATCH_LIMIT = 50  # "Batch requests are limited to 50 requests per batch."
IDS_LIMIT = 50  # objects per `GET /?ids=` read
MAX_REPLY_PAGES = 5  # pages of a comment's answers read before answering it

CAMPAIGN_FIELDS = (
    "id,name,objective,status,effective_status,daily_budget,lifetime_budget,"
    "start_time,stop_time,special_ad_categories,created_time,updated_time"
)
ADSET_FIELDS = (
    "id,name,campaign_id,status,effective_status,daily_budget,lifetime_budget,start_time,end_time,"
    "billing_event,optimization_goal,bid_amount,targeting,created_time,updated_time"
)
ADCREATIVE_FIELDS = (
    "id,name,title,body,link_url,image_url,call_to_action_type,object_story_spec,effective_object_story_id"
)
AD_FIELDS = "id,name,adset_id,campaign_id,status,effective_status,creative{id},created_time,updated_time"
INSIGHT_FIELDS = "ad_id,adset_id,campaign_id,impressions,reach,clicks,spend,actions,action_values"
COMMENT_FIELDS = "id,message,from,created_time,is_hidden,parent{id},permalink_url"
HOURLY_BREAKDOWN = "hourly_stats_aggregated_by_advertiser_time_zone"

EDGES = ("campaigns", "adsets", "adcreatives", "ads")
DEFAULT_FIELDS = {
    "campaigns": CAMPAIGN_FIELDS,
    "adsets": ADSET_FIELDS,
    "adcreatives": ADCREATIVE_FIELDS,
    "ads": AD_FIELDS,
}


@dataclass(frozen=True)
class BatchOp:
    """One request of a batch: `relative_url` is the path after the version, e.g. `1234`."""

    method: str
    relative_url: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchResult:
    """One answer of a batch: `body` on success, `error` (a connector error) otherwise."""

    ok: bool
    body: Any = None
    error: ConnectorError | None = None


@dataclass(frozen=True)
class InsightRow:
    """One ad's numbers for a day (or an hour of it), as Meta reports them."""

    ad_id: str
    date: date
    hour: int | None
    impressions: int
    reach: int
    clicks: int
    spend: str  # decimal string in the account currency's major unit, e.g. "12.34"
    actions: list[dict[str, Any]]
    action_values: list[dict[str, Any]]
    raw: dict[str, Any] = field(default_factory=dict)


class MetaAdsConnector:
    platform: ClassVar[str] = "meta_ads"

    page_size: int = 100

    def __init__(self, config: AccountConfig, *, http: httpx.Client | None = None) -> None:
        self.config = config
        token = config.credentials.get("access_token", "")
        self._page_token = config.credentials.get("page_access_token", "") or token
        self._graph = GraphCaller(config, http=http, token=token, what="Meta ad account")
        handle = config.handle.strip()
        self.account_path = handle if handle.startswith("act_") else f"act_{handle}"
        self._rate_default = self._graph.rate_default

    # --- the common connector interface -------------------------------------------------------------

    def check(self) -> str:
        info = self.account_info()
        return str(info.get("name") or info.get("id") or self.account_path)

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        # Ad accounts are read by the ads app (sync, insights, comments), not by channel polling.
        return FetchPage(items=[], cursor=cursor, more=False)

    def publish(self, outgoing: Outgoing) -> Published:
        raise NotSupported("an ad account does not publish posts; launch a campaign instead")

    def reply(self, outgoing: Outgoing) -> Published:
        """Answer a comment under one of our ads as the Page: `POST /{comment-id}/comments` with
        `message`, which answers `{"id": <the new comment's id>}`.

        Graph takes no idempotency key. A retry after a lost answer (a timeout once Meta acted, a
        worker that died before recording the result) would post the answer twice, so the Page's
        answers already under the comment are read first and one with exactly this text is
        adopted instead. What remains: Meta not yet listing an answer it has just accepted (a
        retry within seconds of the lost answer), and an agent sending word for word the same
        answer to the same comment twice, which is sent once.
        """
        comment_id = (outgoing.reply_to or "").strip()
        if not comment_id:
            raise PermanentError("a reply on an ad answers one comment; none was named")
        text = outgoing.text.strip()
        if not text:
            raise PermanentError("the reply is empty")
        existing = self._page_reply_with_text(comment_id, text)
        if existing is not None:
            return Published(external_id=str(existing["id"]), raw=existing)
        body = self._call("POST", f"{comment_id}/comments", data={"message": text}, token=self._page_token)
        reply_id = body.get("id")
        if not reply_id:
            raise PermanentError(f"Meta created no reply to {comment_id}: {str(body)[:200]}")
        return Published(external_id=str(reply_id), raw=body)

    def fetch_metrics(self, external_ids: list[str]) -> list[PostMetrics]:
        return []

    def limits(self) -> Limits:
        # Primary text has no hard limit but Meta truncates after 125 characters in most placements.
        return Limits(max_text_length=8000, max_media=0, can_publish=False, can_reply=True)

    # --- the ad account -------------------------------------------------------------------------------

    def account_info(self) -> dict[str, Any]:
        return self._call(
            "GET",
            self.account_path,
            params={"fields": "id,account_id,name,currency,timezone_name,account_status"},
        )

    # --- reading edges ----------------------------------------------------------------------------------

    def list_page(
        self,
        edge: str,
        *,
        fields: str | None = None,
        after: str | None = None,
        filtering: list[dict[str, Any]] | None = None,
        limit: int | None = None,
        parent: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of an edge of the ad account (or of `parent`); the cursor for the next page,
        or None on the last one (Meta leaves `paging.next` out there)."""
        params: dict[str, Any] = {
            "fields": fields or DEFAULT_FIELDS.get(edge, "id,name"),
            "limit": limit or self.page_size,
        }
        if after:
            params["after"] = after
        if filtering:
            params["filtering"] = json.dumps(filtering)
        body = self._call("GET", f"{parent or self.account_path}/{edge}", params=params)
        rows = list(body.get("data") or [])
        paging = body.get("paging") or {}
        cursor = (paging.get("cursors") or {}).get("after")
        return rows, (cursor if paging.get("next") and cursor else None)

    def list_all(self, edge: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        after = None
        while True:
            rows, after = self.list_page(edge, after=after, **kwargs)
            yield from rows
            if not after:
                return

    def campaigns(self) -> Iterator[dict[str, Any]]:
        return self.list_all("campaigns")

    def adsets(self) -> Iterator[dict[str, Any]]:
        return self.list_all("adsets")

    def adcreatives(self) -> Iterator[dict[str, Any]]:
        return self.list_all("adcreatives")

    def ads(self) -> Iterator[dict[str, Any]]:
        return self.list_all("ads")

    def find_by_ref(self, edge: str, ref: str) -> dict[str, Any] | None:
        """The object of this edge whose name carries our reference, if one was created already."""
        filtering = [{"field": "name", "operator": "CONTAIN", "value": ref}]
        for row in self.list_all(edge, fields="id,name,status", filtering=filtering):
            if ref in str(row.get("name") or ""):
                return row
        return None

    def get(self, object_id: str, *, fields: str) -> dict[str, Any]:
        return self._call("GET", str(object_id), params={"fields": fields})

    def get_many(self, object_ids: list[str], *, fields: str) -> dict[str, dict[str, Any]]:
        """Several objects by id (`GET /?ids=`), at most 50 per call; missing ones are left out."""
        found: dict[str, dict[str, Any]] = {}
        ids = [str(i) for i in object_ids]
        for start in range(0, len(ids), IDS_LIMIT):
            chunk = ids[start : start + IDS_LIMIT]
            body = self._call("GET", "", params={"ids": ",".join(chunk), "fields": fields})
            found.update({str(k): v for k, v in body.items() if isinstance(v, dict)})
        return found

    # --- writing -----------------------------------------------------------------------------------------

    def create(self, edge: str, params: dict[str, Any]) -> str:
        """Create one object on an edge of the ad account; answers its id."""
        if edge not in EDGES:
            raise ValueError(f"unknown ad account edge {edge!r}")
        body = self._call("POST", f"{self.account_path}/{edge}", data=graph_form(params))
        object_id = body.get("id")
        if not object_id:
            raise PermanentError(f"Meta created no {edge} object: {str(body)[:200]}")
        return str(object_id)

    def update(self, object_id: str, params: dict[str, Any]) -> None:
        body = self._call("POST", str(object_id), data=graph_form(params))
        if body.get("success") is not True:
            raise PermanentError(f"Meta did not confirm the update of {object_id}: {str(body)[:200]}")

    def set_status(self, object_id: str, status: str) -> None:
        self.update(object_id, {"status": status})

    def batch(self, ops: list[BatchOp]) -> list[BatchResult]:
        """Up to 50 requests in one `POST /` call; one result per request, in order.

        A throttled or failed call as a whole raises like any call; a request inside it that
        failed comes back as a result holding its mapped error (`RateLimited`, `PermanentError`...).
        """
        if len(ops) > BATCH_LIMIT:
            raise ValueError(f"a batch holds at most {BATCH_LIMIT} requests, not {len(ops)}")
        if not ops:
            return []
        payload = []
        for op in ops:
            entry: dict[str, Any] = {"method": op.method.upper(), "relative_url": op.relative_url}
            if op.params and op.method.upper() == "GET":
                query = str(httpx.QueryParams(graph_form(op.params)))
                entry["relative_url"] = f"{op.relative_url}?{query}"
            elif op.params:
                entry["body"] = str(httpx.QueryParams(graph_form(op.params)))
            payload.append(entry)
        answers = self._call(
            "POST", "", data={"batch": json.dumps(payload), "include_headers": "true"}, expect=list
        )
        results: list[BatchResult] = []
        for index in range(len(ops)):
            answer = answers[index] if index < len(answers) else None
            results.append(self._batch_result(answer))
        return results

    def set_statuses(self, statuses: dict[str, str]) -> dict[str, ConnectorError | None]:
        """Set many objects' status in batches of 50: object id -> None when confirmed, else the error."""
        outcome: dict[str, ConnectorError | None] = {}
        ids = list(statuses)
        for start in range(0, len(ids), BATCH_LIMIT):
            chunk = ids[start : start + BATCH_LIMIT]
            results = self.batch(
                [BatchOp("POST", object_id, {"status": statuses[object_id]}) for object_id in chunk]
            )
            for object_id, result in zip(chunk, results, strict=True):
                if result.ok and not (
                    isinstance(result.body, dict) and result.body.get("success") is not True
                ):
                    outcome[object_id] = None
                else:
                    outcome[object_id] = result.error or PermanentError(
                        f"Meta did not confirm the status of {object_id}: {str(result.body)[:200]}"
                    )
        return outcome

    def create_campaign(
        self,
        *,
        name: str,
        objective: str,
        status: str,
        daily_budget: int | None = None,
        lifetime_budget: int | None = None,
        start_time: str | None = None,
        stop_time: str | None = None,
        special_ad_categories: list[str] | None = None,
    ) -> str:
        params: dict[str, Any] = {
            "name": name,
            "objective": objective,
            "status": status,
            "special_ad_categories": special_ad_categories or [],
        }
        _put_optional(
            params,
            daily_budget=daily_budget,
            lifetime_budget=lifetime_budget,
            start_time=start_time,
            stop_time=stop_time,
        )
        return self.create("campaigns", params)

    def create_adset(
        self,
        *,
        name: str,
        campaign_id: str,
        status: str,
        targeting: dict[str, Any],
        billing_event: str = "IMPRESSIONS",
        optimization_goal: str = "LINK_CLICKS",
        daily_budget: int | None = None,
        lifetime_budget: int | None = None,
        bid_amount: int | None = None,
        start_time: str | None = None,
        end_time: str | None = None,
    ) -> str:
        params: dict[str, Any] = {
            "name": name,
            "campaign_id": campaign_id,
            "status": status,
            "targeting": targeting,
            "billing_event": billing_event,
            "optimization_goal": optimization_goal,
        }
        if bid_amount is None:
            params["bid_strategy"] = "LOWEST_COST_WITHOUT_CAP"
        _put_optional(
            params,
            daily_budget=daily_budget,
            lifetime_budget=lifetime_budget,
            bid_amount=bid_amount,
            start_time=start_time,
            end_time=end_time,
        )
        return self.create("adsets", params)

    def create_creative(self, *, name: str, object_story_spec: dict[str, Any]) -> str:
        return self.create("adcreatives", {"name": name, "object_story_spec": object_story_spec})

    def create_ad(self, *, name: str, adset_id: str, creative_id: str, status: str) -> str:
        return self.create(
            "ads",
            {"name": name, "adset_id": adset_id, "creative": {"creative_id": creative_id}, "status": status},
        )

    def link_story_spec(
        self,
        *,
        primary_text: str,
        link: str,
        headline: str = "",
        description: str = "",
        call_to_action: str = "",
        image_url: str = "",
        image_hash: str = "",
    ) -> dict[str, Any]:
        """An `object_story_spec` for a link ad published as the account's Page."""
        page_id = str(self.config.options.get("page_id") or "")
        if not page_id:
            raise PermanentError("the ad account needs options.page_id (the Page its ads run as)")
        link_data: dict[str, Any] = {"message": primary_text, "link": link}
        if headline:
            link_data["name"] = headline
        if description:
            link_data["description"] = description
        if image_hash:
            link_data["image_hash"] = image_hash
        elif image_url:
            link_data["picture"] = image_url
        if call_to_action:
            link_data["call_to_action"] = {"type": call_to_action, "value": {"link": link}}
        return {"page_id": page_id, "link_data": link_data}

    # --- insights -------------------------------------------------------------------------------------

    def insights(
        self, object_id: str | None = None, *, since: date, until: date, hourly: bool = False
    ) -> Iterator[InsightRow]:
        """Per-ad numbers per day (or hour) between `since` and `until`, inclusive, for the ad
        account or one campaign / ad set / ad."""
        params: dict[str, Any] = {
            "fields": INSIGHT_FIELDS,
            "level": "ad",
            "time_increment": 1,
            "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
            "limit": self.page_size,
        }
        if hourly:
            params["breakdowns"] = HOURLY_BREAKDOWN
        path = f"{object_id or self.account_path}/insights"
        after = None
        while True:
            page = dict(params)
            if after:
                page["after"] = after
            body = self._call("GET", path, params=page)
            for row in body.get("data") or []:
                yield _insight_row(row)
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not (paging.get("next") and after):
                return

    # --- comments on ads --------------------------------------------------------------------------------

    def post_comments(
        self, post_id: str, *, after: str | None = None, limit: int | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the comments under an ad's post (its creative's effective_object_story_id)."""
        params: dict[str, Any] = {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "chronological",
            "limit": limit or self.page_size,
        }
        if after:
            params["after"] = after
        body = self._call("GET", f"{post_id}/comments", params=params)
        paging = body.get("paging") or {}
        cursor = (paging.get("cursors") or {}).get("after")
        return list(body.get("data") or []), (cursor if paging.get("next") and cursor else None)

    def comment_hide(self, comment_id: str, *, hidden: bool = True) -> None:
        """Hide (or show again) a comment; raises unless Meta answers `{"success": true}`."""
        body = self._call(
            "POST",
            str(comment_id),
            data={"is_hidden": "true" if hidden else "false"},
            token=self._page_token,
        )
        if body.get("success") is not True:
            raise PermanentError(f"Meta did not confirm hiding {comment_id}: {str(body)[:200]}")

    def comment_replies(
        self, comment_id: str, *, after: str | None = None, limit: int | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the answers under a comment (`GET /{comment-id}/comments`)."""
        params: dict[str, Any] = {
            "fields": "id,message,from,created_time",
            "order": "chronological",
            "limit": limit or self.page_size,
        }
        if after:
            params["after"] = after
        body = self._call("GET", f"{comment_id}/comments", params=params, token=self._page_token)
        paging = body.get("paging") or {}
        cursor = (paging.get("cursors") or {}).get("after")
        return list(body.get("data") or []), (cursor if paging.get("next") and cursor else None)

    def _page_reply_with_text(self, comment_id: str, text: str) -> dict[str, Any] | None:
        # Without the Page's id our own answers cannot be told from the customers'.
        page_id = str(self.config.options.get("page_id") or "")
        if not page_id:
            return None
        after = None
        for _ in range(MAX_REPLY_PAGES):
            rows, after = self.comment_replies(comment_id, after=after)
            for row in rows:
                author = str((row.get("from") or {}).get("id") or "")
                if page_id and author == page_id and str(row.get("message") or "").strip() == text:
                    return row
            if after is None:
                return None
        return None

    # --- HTTP ----------------------------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, *, expect: type = dict, token: str | None = None, **kwargs: Any
    ) -> Any:
        return self._graph.call(method, path, expect=expect, token=token, **kwargs)

    def _batch_result(self, answer: Any) -> BatchResult:
        if answer is None:
            # Meta answers null for a request that did not complete within the batch's time.
            return BatchResult(ok=False, error=TransientError("the request timed out inside the batch"))
        code = int(answer.get("code") or 0)
        headers = {
            str(h.get("name", "")).lower(): str(h.get("value", "")) for h in answer.get("headers") or []
        }
        try:
            body = json.loads(answer.get("body") or "null")
        except ValueError:
            body = answer.get("body")
        error = graph_error(code, body, headers, default_retry=self._rate_default)
        if error is not None:
            return BatchResult(ok=False, body=body, error=error)
        return BatchResult(ok=True, body=body)


def _put_optional(params: dict[str, Any], **values: Any) -> None:
    params.update({key: value for key, value in values.items() if value is not None})


def _insight_row(row: dict[str, Any]) -> InsightRow:
    hour = None
    hourly = row.get(HOURLY_BREAKDOWN)
    if hourly:
        hour = int(str(hourly)[:2])
    return InsightRow(
        ad_id=str(row.get("ad_id") or ""),
        date=date.fromisoformat(str(row["date_start"])),
        hour=hour,
        impressions=int(row.get("impressions") or 0),
        reach=int(row.get("reach") or 0),
        clicks=int(row.get("clicks") or 0),
        spend=str(row.get("spend") or "0"),
        actions=list(row.get("actions") or []),
        action_values=list(row.get("action_values") or []),
        raw=row,
    )
