"""The Explorer: mentions matching a query and filters, a page at a time by keyset, with facet
counts (from the daily roll-ups when the filters allow, else over a sample of the newest
matches); the query language's errors; a user's saved searches."""

from __future__ import annotations

import base64
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from listening.models import SavedSearch
from listening.query import QuerySyntaxError, parse, to_sql

FACETS = ("language", "sentiment", "platform", "media_type", "country", "kind")
ROLLUP_FACETS = ("language", "sentiment", "platform", "media_type", "country")
# Beyond this many matches, facets over a text search are counted on the newest rows only.
FACET_SAMPLE = 20_000
PAGE_SIZE = 25
SELECT_COLUMNS = (
    "id, platform, external_id, text, language, sentiment, sentiment_score, author_handle, author_name, "
    "customer_id, created_at, topic_ids, answered, needs_answer, answer_reason, media_type, kind, url, country, brand_id, "
    "engagement, tags, thread_id, in_reply_to, account_id, (raw->>'ad_id')::bigint AS ad_id"
)


@dataclass
class ExplorerFilters:
    q: str = ""
    topic: int | None = None
    brand: int | None = None
    business_unit: int | None = None
    platform: str = ""
    language: str = ""
    sentiment: str = ""
    country: str = ""
    media_type: str = ""
    kind: str = ""
    since: datetime | None = None
    until: datetime | None = None
    answered: bool | None = None
    customer: int | None = None
    sort: str = "recent"  # or "engagement"

    @classmethod
    def from_params(cls, params) -> ExplorerFilters:
        """Read filters from query parameters; a bad value raises ValueError naming the parameter."""

        def integer(name):
            value = params.get(name)
            if value in (None, ""):
                return None
            try:
                return int(value)
            except ValueError:
                raise ValueError(f"{name}: expected a number") from None

        def moment(name):
            value = params.get(name)
            if not value:
                return None
            try:
                parsed = parse_datetime(value) or datetime.combine(
                    date.fromisoformat(value), datetime.min.time()
                )
                # In UTC: PostgreSQL refuses offsets Python accepts (e.g. +20:00).
                return (parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)).astimezone(
                    UTC
                )
            except (ValueError, OverflowError):
                raise ValueError(f"{name}: expected a date or ISO 8601 date-time") from None

        answered = params.get("answered")
        if answered not in (None, "", "true", "false", "1", "0"):
            raise ValueError("answered: expected true or false")
        sort = params.get("sort") or "recent"
        if sort not in ("recent", "engagement"):
            raise ValueError("sort: expected recent or engagement")
        return cls(
            q=(params.get("q") or "").strip(),
            topic=integer("topic"),
            brand=integer("brand"),
            business_unit=integer("business_unit"),
            platform=params.get("platform") or "",
            language=params.get("language") or "",
            sentiment=params.get("sentiment") or "",
            country=(params.get("country") or "").upper(),
            media_type=params.get("media_type") or "",
            kind=params.get("kind") or "",
            since=moment("since"),
            until=moment("until"),
            answered=None if answered in (None, "") else answered in ("true", "1"),
            customer=integer("customer"),
            sort=sort,
        )

    def as_params(self) -> dict[str, str]:
        params = {}
        for name, value in self.__dict__.items():
            if value in (None, "") or (name == "sort" and value == "recent"):
                continue
            params[name] = (
                value.isoformat()
                if isinstance(value, datetime)
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
        return params

    @property
    def rollup_compatible(self) -> bool:
        """Facets can come from the daily roll-ups when no filter needs the mention rows."""
        return not (
            self.q
            or self.business_unit
            or self.kind
            or self.answered is not None
            or self.customer
            or (self.since and self.since.time() != datetime.min.time())
            or (self.until and self.until.time() != datetime.min.time())
        )


def _where(workspace_id: int, filters: ExplorerFilters) -> tuple[str, list[Any]]:
    clauses, params = ["m.workspace_id = %s"], [workspace_id]
    if filters.q:
        sql, query_params = to_sql(parse(filters.q), alias="m")
        clauses.append(f"({sql})")
        params += query_params
    for column in ("platform", "language", "sentiment", "country", "media_type", "kind"):
        value = getattr(filters, column)
        if value:
            clauses.append(f"m.{column} = %s")
            params.append(value)
    for column, value in (
        ("brand_id", filters.brand),
        ("business_unit_id", filters.business_unit),
        ("customer_id", filters.customer),
    ):
        if value is not None:
            clauses.append(f"m.{column} = %s")
            params.append(value)
    if filters.topic is not None:
        clauses.append("m.topic_ids @> ARRAY[%s]::int[]")
        params.append(filters.topic)
    if filters.since:
        clauses.append("m.created_at >= %s")
        params.append(filters.since)
    if filters.until:
        clauses.append("m.created_at < %s")
        params.append(filters.until)
    if filters.answered is not None:
        clauses.append("m.needs_answer AND m.answered = %s")
        params.append(filters.answered)
    return " AND ".join(clauses), params


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != 2:
            raise ValueError
        return values
    except (ValueError, json.JSONDecodeError):
        raise ValueError("cursor: not a cursor this API gave out") from None


@dataclass
class ExplorerPage:
    results: list[dict[str, Any]]
    next_cursor: str | None
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    facets_sampled: bool = False


def mentions_search(
    *,
    workspace,
    filters: ExplorerFilters,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    facets: bool = True,
    using: str = DEFAULT_DB_ALIAS,
) -> ExplorerPage:
    """One page of matching mentions, newest (or most engaging) first, by keyset; plus facet counts,
    read through the database alias `using` (the replica, when cxm.replica.read_alias allows).

    Raises QuerySyntaxError for a bad query and ValueError for a bad cursor.
    """
    workspace_id = workspace.pk if hasattr(workspace, "pk") else int(workspace)
    sampled_facets = facets and not filters.rollup_compatible
    with _interactive(using):
        if sampled_facets and not cursor and filters.sort == "recent" and limit < FACET_SAMPLE:
            # The first page is the newest matches, which the facet sample holds already: one
            # search answers both. (It also spares the page a plan that walks the newest
            # mentions looking for a rare word, which is what a LIMIT 26 tempts the planner into.)
            facet_counts, sampled, newest = _sampled_facets(workspace_id, filters, using, page=limit + 1)
            rows = _mentions_by_key(workspace_id, newest, using)
        else:
            rows = _page(workspace_id, filters, cursor, limit + 1, using)
            facet_counts, sampled = (
                mention_facets(workspace_id=workspace_id, filters=filters, using=using)
                if facets
                else ({}, False)
            )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(
            [last["engagement"] if filters.sort == "engagement" else last["created_at"], last["id"]]
        )
    return ExplorerPage(results=rows, next_cursor=next_cursor, facets=facet_counts, facets_sampled=sampled)


@contextmanager
def _interactive(using: str):
    """A transaction for the queries of one Explorer search, planned without parallel workers
    or JIT compilation, with room to sort a facet sample in memory. On a server of a few cores
    shared by many users, a parallel scan of a month of mentions takes longer than the index
    plan it displaced, and compiling a query costs more than the milliseconds these queries run
    for; sorting a sample of 20,000 matches spills to disk at the default 4 MB."""
    with transaction.atomic(using=using), connections[using].cursor() as db:
        db.execute(
            "SELECT set_config('max_parallel_workers_per_gather', '0', true), set_config('jit', 'off', true), "
            "set_config('work_mem', '32MB', true)"
        )
        yield


def _page(
    workspace_id: int, filters: ExplorerFilters, cursor: str | None, size: int, using: str
) -> list[dict[str, Any]]:
    where, params = _where(workspace_id, filters)
    order_column = "m.engagement" if filters.sort == "engagement" else "m.created_at"
    if cursor:
        last_value, last_id = decode_cursor(cursor)
        if filters.sort != "engagement":
            last_value = parse_datetime(last_value)
        where += f" AND ({order_column}, m.id) < (%s, %s)"
        params += [last_value, last_id]
    sql = (
        f"SELECT {SELECT_COLUMNS} FROM listening_mention m WHERE {where} "
        f"ORDER BY {order_column} DESC, m.id DESC LIMIT %s"
    )
    return fetch_mentions(sql, [*params, size], using=using)


def _mentions_by_key(workspace_id: int, keys: list[tuple[int, datetime]], using: str) -> list[dict[str, Any]]:
    """The mentions with these (id, created_at), newest first."""
    if not keys:
        return []
    moments = [moment for _, moment in keys]
    sql = (
        f"SELECT {SELECT_COLUMNS} FROM listening_mention m WHERE m.workspace_id = %s "
        "AND m.id = ANY(%s) AND m.created_at BETWEEN %s AND %s ORDER BY m.created_at DESC, m.id DESC"
    )
    return fetch_mentions(
        sql, [workspace_id, [mention_id for mention_id, _ in keys], min(moments), max(moments)], using=using
    )


def fetch_mentions(sql: str, params: list[Any], *, using: str = DEFAULT_DB_ALIAS) -> list[dict[str, Any]]:
    with connections[using].cursor() as db:
        db.execute(sql, params)
        columns = [col[0] for col in db.description]
        return [dict(zip(columns, row, strict=True)) for row in db.fetchall()]


def mention_facets(
    *, workspace_id: int, filters: ExplorerFilters, using: str = DEFAULT_DB_ALIAS
) -> tuple[dict[str, list[dict]], bool]:
    if filters.rollup_compatible:
        return _facets_from_rollups(workspace_id, filters, using), False
    facet_counts, sampled, _ = _sampled_facets(workspace_id, filters, using)
    return facet_counts, sampled


def _sampled_facets(
    workspace_id: int, filters: ExplorerFilters, using: str, *, page: int = 0
) -> tuple[dict[str, list[dict]], bool, list[tuple[int, datetime]]]:
    """Facet counts over the newest FACET_SAMPLE + 1 matches, whether there were more matches
    than FACET_SAMPLE, and the (id, created_at) of the newest `page` of them.

    The matches are taken a few months at a time, newest first, until the sample is full. A
    word in a few percent of mentions is cheapest to find through the text index, which finds
    all of its matches at once, and each must then be read from the table to learn its date: in
    month-sized steps, the months older than the sample are never read.
    """
    where, params = _where(workspace_id, filters)
    selects = ", ".join(FACETS)
    counts: dict[str, dict[Any, int]] = {name: {} for name in FACETS}
    found, newest = 0, []
    for since, until in _newest_first_windows(workspace_id, filters, using):
        window, window_params = "", []
        if since is not None:
            window += " AND m.created_at >= %s"
            window_params.append(since)
        if until is not None:
            window += " AND m.created_at < %s"
            window_params.append(until)
        # The sample is counted by combination of facet values, one hash for all six facets;
        # the combinations are few, and are summed per facet here.
        sql = (
            f"WITH hits AS MATERIALIZED (SELECT m.id, m.created_at, {selects} FROM listening_mention m "
            f"WHERE {where}{window} ORDER BY m.created_at DESC, m.id DESC LIMIT {FACET_SAMPLE + 1 - found}) "
            f"SELECT 0, {selects}, count(*), NULL::bigint, NULL::timestamptz FROM hits GROUP BY {selects}"
        )
        wanted = page - len(newest)
        if wanted > 0:
            nothing = ", ".join("NULL" for _ in FACETS)
            sql += (
                f" UNION ALL (SELECT 1, {nothing}, NULL, id, created_at FROM hits "
                f"ORDER BY created_at DESC, id DESC LIMIT {wanted})"
            )
        with connections[using].cursor() as db:
            db.execute(sql, [*params, *window_params])
            rows = db.fetchall()
        for newest_row, *values, count, mention_id, created_at in rows:
            if newest_row:
                newest.append((mention_id, created_at))
                continue
            found += count
            for name, value in zip(FACETS, values, strict=True):
                counts[name][value] = counts[name].get(value, 0) + count
        if found > FACET_SAMPLE:
            break
    facet_rows = [(name, value, count) for name, values in counts.items() for value, count in values.items()]
    return _facet_dict(facet_rows), found > FACET_SAMPLE, newest


def _newest_first_windows(
    workspace_id: int, filters: ExplorerFilters, using: str
) -> list[tuple[datetime | None, datetime | None]]:
    """[since, until) periods that together cover the workspace's mentions, newest first: the
    newest month (the table's partitions are months), the month before, then two, four...
    months, and last everything older. None is an open end.

    (Shorter periods read fewer rows of a month that holds more matches than the sample needs,
    but each period searches the text index again; on the benchmark, days did worse.)"""
    with connections[using].cursor() as db:
        db.execute(
            "SELECT min(created_at), max(created_at) FROM listening_mention WHERE workspace_id = %s",
            [workspace_id],
        )
        oldest, newest = db.fetchone()
    if newest is None:
        return [(None, None)]
    if filters.since:
        oldest = max(oldest, filters.since)
    if filters.until:
        newest = min(newest, filters.until - timedelta(microseconds=1))
    start = newest.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    windows: list[tuple[datetime | None, datetime | None]] = []
    until, months = None, 1
    while start > oldest:
        windows.append((start, until))
        until = start
        start = _months_before(start, months)
        months = months * 2 if len(windows) > 1 else 1
    windows.append((None, until))
    return windows


def _months_before(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    return moment.replace(year=index // 12, month=index % 12 + 1)


def _facets_from_rollups(workspace_id: int, filters: ExplorerFilters, using: str) -> dict[str, list[dict]]:
    clauses, params = ["workspace_id = %s", "topic_id = %s"], [workspace_id, filters.topic or 0]
    for column in ROLLUP_FACETS:
        value = getattr(filters, column)
        if value:
            clauses.append(f"{column} = %s")
            params.append(value)
    if filters.brand is not None:
        clauses.append("brand_id = %s")
        params.append(filters.brand)
    if filters.since:
        clauses.append("day >= %s")
        params.append(filters.since.date())
    if filters.until:
        clauses.append("day < %s")
        params.append(filters.until.date())
    where = " AND ".join(clauses)
    sql = " UNION ALL ".join(
        f"SELECT '{name}', {name}::text, sum(mentions) FROM listening_mention_daily WHERE {where} GROUP BY {name}"
        for name in ROLLUP_FACETS
    )
    with connections[using].cursor() as db:
        db.execute(sql, params * len(ROLLUP_FACETS))
        return _facet_dict(db.fetchall())


def _facet_dict(rows) -> dict[str, list[dict]]:
    facets: dict[str, list[dict]] = {}
    for name, value, count in rows:
        facets.setdefault(name, []).append({"value": value, "count": int(count)})
    for values in facets.values():
        values.sort(key=lambda item: (-item["count"], item["value"] or ""))
    return facets


def saved_searches(*, workspace, user, using: str = DEFAULT_DB_ALIAS):
    return SavedSearch.objects.using(using).for_workspace(workspace).filter(user=user)


def query_error(query: str) -> QuerySyntaxError | None:
    try:
        parse(query)
    except QuerySyntaxError as exc:
        return exc
    return None
