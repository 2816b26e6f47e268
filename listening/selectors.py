"""Reads for the Explorer, mention detail and dashboards. Every query starts from a workspace."""

from __future__ import annotations

import base64
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from cxm.web.templatetags.labels import platform_label
from listening.models import Alert, Mention, SavedSearch, Sentiment, Topic
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
) -> ExplorerPage:
    """One page of matching mentions, newest (or most engaging) first, by keyset; plus facet counts.

    Raises QuerySyntaxError for a bad query and ValueError for a bad cursor.
    """
    workspace_id = workspace.pk if hasattr(workspace, "pk") else int(workspace)
    sampled_facets = facets and not filters.rollup_compatible
    with _interactive():
        if sampled_facets and not cursor and filters.sort == "recent" and limit < FACET_SAMPLE:
            # The first page is the newest matches, which the facet sample holds already: one
            # search answers both. (It also spares the page a plan that walks the newest
            # mentions looking for a rare word, which is what a LIMIT 26 tempts the planner into.)
            facet_counts, sampled, newest = _sampled_facets(workspace_id, filters, page=limit + 1)
            rows = _mentions_by_key(workspace_id, newest)
        else:
            rows = _page(workspace_id, filters, cursor, limit + 1)
            facet_counts, sampled = (
                mention_facets(workspace_id=workspace_id, filters=filters) if facets else ({}, False)
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
def _interactive():
    """A transaction for the queries of one Explorer search, planned without parallel workers
    or JIT compilation, with room to sort a facet sample in memory. On a server of a few cores
    shared by many users, a parallel scan of a month of mentions takes longer than the index
    plan it displaced, and compiling a query costs more than the milliseconds these queries run
    for; sorting a sample of 20,000 matches spills to disk at the default 4 MB."""
    with transaction.atomic(), connection.cursor() as db:
        db.execute(
            "SELECT set_config('max_parallel_workers_per_gather', '0', true), set_config('jit', 'off', true), "
            "set_config('work_mem', '32MB', true)"
        )
        yield


def _page(workspace_id: int, filters: ExplorerFilters, cursor: str | None, size: int) -> list[dict[str, Any]]:
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
    return _fetch_mentions(sql, [*params, size])


def _mentions_by_key(workspace_id: int, keys: list[tuple[int, datetime]]) -> list[dict[str, Any]]:
    """The mentions with these (id, created_at), newest first."""
    if not keys:
        return []
    moments = [moment for _, moment in keys]
    sql = (
        f"SELECT {SELECT_COLUMNS} FROM listening_mention m WHERE m.workspace_id = %s "
        "AND m.id = ANY(%s) AND m.created_at BETWEEN %s AND %s ORDER BY m.created_at DESC, m.id DESC"
    )
    return _fetch_mentions(
        sql, [workspace_id, [mention_id for mention_id, _ in keys], min(moments), max(moments)]
    )


def _fetch_mentions(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    with connection.cursor() as db:
        db.execute(sql, params)
        columns = [col[0] for col in db.description]
        return [dict(zip(columns, row, strict=True)) for row in db.fetchall()]


def mention_facets(*, workspace_id: int, filters: ExplorerFilters) -> tuple[dict[str, list[dict]], bool]:
    if filters.rollup_compatible:
        return _facets_from_rollups(workspace_id, filters), False
    facet_counts, sampled, _ = _sampled_facets(workspace_id, filters)
    return facet_counts, sampled


def _sampled_facets(
    workspace_id: int, filters: ExplorerFilters, *, page: int = 0
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
    for since, until in _newest_first_windows(workspace_id, filters):
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
        with connection.cursor() as db:
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
    workspace_id: int, filters: ExplorerFilters
) -> list[tuple[datetime | None, datetime | None]]:
    """[since, until) periods that together cover the workspace's mentions, newest first: the
    newest month (the table's partitions are months), the month before, then two, four...
    months, and last everything older. None is an open end.

    (Shorter periods read fewer rows of a month that holds more matches than the sample needs,
    but each period searches the text index again; on the benchmark, days did worse.)"""
    with connection.cursor() as db:
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


def _facets_from_rollups(workspace_id: int, filters: ExplorerFilters) -> dict[str, list[dict]]:
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
    with connection.cursor() as db:
        db.execute(sql, params * len(ROLLUP_FACETS))
        return _facet_dict(db.fetchall())


def _facet_dict(rows) -> dict[str, list[dict]]:
    facets: dict[str, list[dict]] = {}
    for name, value, count in rows:
        facets.setdefault(name, []).append({"value": value, "count": int(count)})
    for values in facets.values():
        values.sort(key=lambda item: (-item["count"], item["value"] or ""))
    return facets


def mention_get(*, workspace, mention_id: int) -> Mention | None:
    return Mention.objects.filter(workspace_id=workspace.pk, pk=mention_id).first()


def mentions_by_external_ids(*, workspace, platform: str, external_ids: list[str]) -> list[Mention]:
    """The mentions of these items of one platform (e.g. the comments a care case holds)."""
    if not external_ids:
        return []
    return list(
        Mention.objects.filter(workspace_id=workspace.pk, platform=platform, external_id__in=external_ids)
    )


def mention_thread(*, workspace, mention: Mention, limit: int = 50) -> list[Mention]:
    """The conversation around a mention: same thread, oldest first."""
    if not mention.thread_id:
        return [mention]
    # Thread ids are a platform's own. The thread index holds replies only (migration 0006); the
    # root, whose thread id is its own external id, is found through the key table.
    replies = list(
        Mention.objects.filter(
            workspace_id=workspace.pk, platform=mention.platform, thread_id=mention.thread_id
        )
        .extra(where=["listening_mention.thread_id <> listening_mention.external_id"])
        .order_by("created_at", "id")[:limit]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT mention_id, created_at FROM listening_mention_key "
            "WHERE workspace_id = %s AND platform = %s AND external_id = %s",
            [workspace.pk, mention.platform, mention.thread_id],
        )
        key = cursor.fetchone()
    root = None
    if key is not None:
        root = Mention.objects.filter(
            workspace_id=workspace.pk, pk=key[0], created_at=key[1], thread_id=mention.thread_id
        ).first()
    thread = sorted([root, *replies] if root else replies, key=lambda item: (item.created_at, item.pk))
    return thread[:limit]


def author_history(
    *, workspace, customer_id: int | None, exclude: int | None = None, limit: int = 20
) -> list[Mention]:
    if customer_id is None:
        return []
    history = Mention.objects.filter(workspace_id=workspace.pk, customer_id=customer_id).order_by(
        "-created_at"
    )
    if exclude is not None:
        history = history.exclude(pk=exclude)
    return list(history[:limit])


def topics(*, workspace):
    return Topic.objects.for_workspace(workspace).order_by("name")


def languages_detect(*, texts: list[str]) -> list[str]:
    """The language of each text as the Explorer detects a mention's (the same model, no
    candidates): an ISO 639-1 code, or "" when a text is too short to tell."""
    from listening.enrichment import detect_languages

    return [code or "" for code, _confidence in detect_languages(texts)]


def topic_mention_counts(*, workspace, topic_ids: list[int]) -> dict[int, int]:
    """How many mentions each topic matches today, new ones and back-filled ones alike, from the
    daily roll-up that ingest and the back-fill keep current."""
    if not topic_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT topic_id, sum(mentions) FROM listening_mention_daily "
            "WHERE workspace_id = %s AND topic_id = ANY(%s) GROUP BY topic_id",
            [workspace.pk, topic_ids],
        )
        return {topic_id: int(count) for topic_id, count in cursor.fetchall()}


def topic_get(*, workspace, topic_id: int) -> Topic | None:
    return Topic.objects.for_workspace(workspace).filter(pk=topic_id).first()


def topic_names(*, workspace) -> dict[int, str]:
    return dict(Topic.objects.for_workspace(workspace).values_list("pk", "name"))


def saved_searches(*, workspace, user):
    return SavedSearch.objects.for_workspace(workspace).filter(user=user)


def alerts(*, workspace, open_only: bool = False):
    result = Alert.objects.for_workspace(workspace).select_related("topic")
    if open_only:
        result = result.filter(acknowledged_at__isnull=True)
    return result


def query_error(query: str) -> QuerySyntaxError | None:
    try:
        parse(query)
    except QuerySyntaxError as exc:
        return exc
    return None


# --- dashboards (roll-ups only) ----------------------------------------------------------------------


def _rollup_where(workspace_id: int, filters: ExplorerFilters, *, days: int) -> tuple[str, list[Any]]:
    since = filters.since.date() if filters.since else timezone.now().date() - timedelta(days=days - 1)
    clauses, params = (
        ["workspace_id = %s", "topic_id = %s", "day >= %s"],
        [workspace_id, filters.topic or 0, since],
    )
    if filters.until:
        clauses.append("day < %s")
        params.append(filters.until.date())
    for column in ROLLUP_FACETS:
        value = getattr(filters, column)
        if value:
            clauses.append(f"{column} = %s")
            params.append(value)
    if filters.brand is not None:
        clauses.append("brand_id = %s")
        params.append(filters.brand)
    return " AND ".join(clauses), params


def dashboard(*, workspace, filters: ExplorerFilters, days: int = 30) -> dict[str, Any]:
    """Everything the dashboard draws, from the daily roll-ups the ingest pipeline keeps."""
    workspace_id = workspace.pk
    where, params = _rollup_where(workspace_id, filters, days=days)
    result: dict[str, Any] = {}
    with connection.cursor() as db:
        db.execute(
            f"SELECT day, sentiment, sum(mentions) FROM listening_mention_daily WHERE {where} "
            "GROUP BY day, sentiment ORDER BY day",
            params,
        )
        series: dict[str, dict[str, int]] = {}
        for day, sentiment, count in db.fetchall():
            series.setdefault(day.isoformat(), {})[sentiment] = int(count)
        result["volume"] = [
            {
                "day": day,
                "total": sum(values.values()),
                **{k: values.get(k, 0) for k in ("positive", "neutral", "negative")},
            }
            for day, values in sorted(series.items())
        ]
        db.execute(
            f"SELECT brand_id, sum(mentions), sum(sentiment_sum) FROM listening_mention_daily WHERE {where} "
            "GROUP BY brand_id ORDER BY 2 DESC",
            params,
        )
        result["share_of_voice"] = [
            {
                "brand_id": brand or None,
                "mentions": int(count),
                "net_sentiment": float(total) / float(count) if count else 0,
            }
            for brand, count, total in db.fetchall()
        ]
        for dimension in ("media_type", "country", "platform", "language"):
            db.execute(
                f"SELECT {dimension}, sum(mentions) FROM listening_mention_daily WHERE {where} "
                f"GROUP BY {dimension} ORDER BY 2 DESC LIMIT 12",
                params,
            )
            result[dimension] = [{"value": value, "mentions": int(count)} for value, count in db.fetchall()]
        db.execute(
            f"SELECT sum(needs_answer), sum(answered) FROM listening_mention_daily WHERE {where}",
            params,
        )
        needing, answered = db.fetchone()
        result["response_coverage"] = {
            "needs_answer": int(needing or 0),
            "answered": int(answered or 0),
            "share": (float(answered) / float(needing)) if needing else None,
        }
        since = params[2]
        db.execute(
            "SELECT author_handle, platform, max(customer_id), sum(mentions), sum(positive), sum(negative) "
            "FROM listening_author_daily WHERE workspace_id = %s AND day >= %s "
            "GROUP BY author_handle, platform ORDER BY 4 DESC LIMIT 10",
            [workspace_id, since],
        )
        result["top_authors"] = [
            {
                "handle": h,
                "platform": p,
                "customer_id": c,
                "mentions": int(n),
                "positive": int(pos),
                "negative": int(neg),
            }
            for h, p, c, n, pos, neg in db.fetchall()
        ]
        db.execute(
            "SELECT term, sum(mentions) FROM listening_term_daily WHERE workspace_id = %s AND day >= %s "
            "GROUP BY term ORDER BY 2 DESC LIMIT 20",
            [workspace_id, since],
        )
        result["top_terms"] = [{"term": t, "mentions": int(n)} for t, n in db.fetchall()]
        db.execute(
            "SELECT tag, sum(mentions), sum(negative) FROM listening_tag_daily WHERE workspace_id = %s AND day >= %s "
            "GROUP BY tag ORDER BY 2 DESC LIMIT 30",
            [workspace_id, since],
        )
        tags = [{"tag": t, "mentions": int(n), "negative": int(neg)} for t, n, neg in db.fetchall()]
        result["products"] = [
            t | {"name": t["tag"].split(":", 1)[1]} for t in tags if t["tag"].startswith("product:")
        ]
        result["locations"] = [
            t | {"name": t["tag"].split(":", 1)[1]} for t in tags if t["tag"].startswith("location:")
        ]
    return result


def topic_daily_series(*, workspace_id: int, topic_id: int, since: date) -> list[tuple[date, int, int]]:
    """(day, mentions, negative mentions) of a topic, for spike detection."""
    with connection.cursor() as db:
        db.execute(
            "SELECT day, sum(mentions), sum(mentions) FILTER (WHERE sentiment = 'negative') "
            "FROM listening_mention_daily WHERE workspace_id = %s AND topic_id = %s AND day >= %s "
            "GROUP BY day ORDER BY day",
            [workspace_id, topic_id, since],
        )
        return [(day, int(n), int(neg or 0)) for day, n, neg in db.fetchall()]


def customer_mentions_timeline(workspace_id: int, profile_ids: list[int], before, limit: int):
    """The customer's public mentions, for the unified customer timeline (newest first)."""
    from django.urls import reverse

    from cxm.customers.timeline import TimelineEntry

    mentions = Mention.objects.filter(workspace_id=workspace_id, customer_id__in=profile_ids)
    if before is not None:
        mentions = mentions.filter(created_at__lt=before)
    return [
        TimelineEntry(
            at=m.created_at,
            source="listening",
            kind="mention",
            title=gettext("%(platform)s mention · %(sentiment)s")
            % {
                "platform": platform_label(m.platform),
                "sentiment": dict(Sentiment.choices).get(m.sentiment, m.sentiment),
            },
            text=m.text[:280],
            url=reverse("listening:mention", args=[m.pk]),
            ref={"mention_id": m.pk, "answered": m.answered},
        )
        for m in mentions.order_by("-created_at")[:limit]
    ]


# --- comments on ads -------------------------------------------------------------------------------
#
# Comments pulled from under our ads are paid mentions whose raw JSON names the ad (`ad_id`) and
# the Graph paging cursor of the page they arrived on (`page_after`).

_AD_COMMENTS = "m.workspace_id = %s AND m.media_type = 'paid' AND m.kind = 'comment' AND (m.raw->>'ad_id')::bigint = ANY(%s)"


def ad_comments_resume_cursor(*, workspace_id: int, ad_id: int) -> tuple[bool, str | None]:
    """Where pulling an ad's comments resumes: the page of the newest comment we hold (re-read,
    its known comments come back as duplicates). (False, None) when none is held yet."""
    with connection.cursor() as db:
        db.execute(
            f"SELECT m.raw->>'page_after' FROM listening_mention m WHERE {_AD_COMMENTS} "
            "ORDER BY m.created_at DESC, m.id DESC LIMIT 1",
            [workspace_id, [ad_id]],
        )
        row = db.fetchone()
    return (False, None) if row is None else (True, row[0])


def ad_comment_stats(*, workspace_id: int, ad_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per ad: comment volume, negative count and share, and comments waiting for an answer."""
    stats: dict[int, dict[str, Any]] = {}
    if not ad_ids:
        return stats
    with connection.cursor() as db:
        db.execute(
            "SELECT (m.raw->>'ad_id')::bigint, count(*), count(*) FILTER (WHERE m.sentiment = 'negative'), "
            "count(*) FILTER (WHERE m.needs_answer AND NOT m.answered) "
            f"FROM listening_mention m WHERE {_AD_COMMENTS} GROUP BY 1",
            [workspace_id, list(ad_ids)],
        )
        for ad_id, comments, negative, unanswered in db.fetchall():
            stats[ad_id] = _comment_totals(comments, negative, unanswered)
    return stats


def ad_comment_totals(*, workspace_id: int, ad_ids: list[int]) -> dict[str, Any]:
    """The same figures summed over several ads (a campaign's)."""
    per_ad = ad_comment_stats(workspace_id=workspace_id, ad_ids=ad_ids).values()
    return _comment_totals(
        sum(s["comments"] for s in per_ad),
        sum(s["negative"] for s in per_ad),
        sum(s["unanswered"] for s in per_ad),
    )


def _comment_totals(comments: int, negative: int, unanswered: int) -> dict[str, Any]:
    return {
        "comments": comments,
        "negative": negative,
        "negative_share": round(negative / comments, 3) if comments else None,
        "unanswered": unanswered,
    }


def ad_comments(
    *, workspace_id: int, ad_ids: list[int], sentiment: str = "", limit: int = 100
) -> list[dict[str, Any]]:
    """The newest comments under these ads, with whether each was hidden by a moderator."""
    if not ad_ids:
        return []
    where, params = _AD_COMMENTS, [workspace_id, list(ad_ids)]
    if sentiment:
        where += " AND m.sentiment = %s"
        params.append(sentiment)
    return _fetch_mentions(
        f"SELECT {SELECT_COLUMNS}, coalesce((m.raw->>'hidden')::boolean, false) AS hidden "
        f"FROM listening_mention m WHERE {where} ORDER BY m.created_at DESC, m.id DESC LIMIT %s",
        [*params, limit],
    )


def ad_negative_comment_count(*, workspace_id: int, ad_id: int, since: datetime, keywords: list[str]) -> int:
    """Comments under an ad since a moment that are negative or contain a flagged keyword."""
    conditions = ["m.sentiment = 'negative'"] + ["m.text ILIKE %s"] * len(keywords)
    with connection.cursor() as db:
        db.execute(
            f"SELECT count(*) FROM listening_mention m WHERE {_AD_COMMENTS} AND m.created_at >= %s "
            f"AND ({' OR '.join(conditions)})",
            [workspace_id, [ad_id], since, *[f"%{word}%" for word in keywords]],
        )
        return db.fetchone()[0]


# --- transformation KPIs ---------------------------------------------------------------------------
#
# Set-based figures over a window [since, until) for cxm.transformation. Mentions of competitor
# brands are left out everywhere (they measure the competitor, not us); owned media (our own
# posts) are left out of what customers say about us. The daily roll-up answers when the window
# falls on whole UTC days and no business unit is asked for (the roll-up has no unit column);
# otherwise the mention rows do.

_NOT_COMPETITOR_ROLLUP = (
    "brand_id NOT IN (SELECT id FROM tenancy_brand WHERE workspace_id = %s AND is_competitor)"
)
_NOT_COMPETITOR = (
    "(m.brand_id IS NULL OR m.brand_id NOT IN "
    "(SELECT id FROM tenancy_brand WHERE workspace_id = %s AND is_competitor))"
)


def _midnight(moment: datetime) -> bool:
    moment = moment.astimezone(UTC)
    return (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


def _mention_scope(workspace_id: int, brand_id: int | None, business_unit_id: int | None) -> tuple[str, list]:
    clauses, params = ["m.workspace_id = %s", _NOT_COMPETITOR], [workspace_id, workspace_id]
    if brand_id:
        clauses.append("m.brand_id = %s")
        params.append(brand_id)
    if business_unit_id:
        clauses.append("m.business_unit_id = %s")
        params.append(business_unit_id)
    return " AND ".join(clauses), params


def kpi_sentiment_counts(
    *,
    workspace_id: int,
    periods: list[tuple[datetime, datetime]],
    brand_id: int | None = None,
    business_unit_id: int | None = None,
) -> list[dict[str, int]]:
    """Per period: mentions by others (owned media left out) and their positive and negative
    counts, and the same three for earned media alone. One query for all periods."""
    figures = ("mentions", "positive", "negative", "earned", "earned_positive", "earned_negative")
    if not periods:
        return []
    from_rollup = business_unit_id is None and all(_midnight(a) and _midnight(b) for a, b in periods)
    selects, params = [], []
    if from_rollup:
        count = "sum(mentions)"
        for since, until in periods:
            window = "day >= %s AND day < %s"
            selects.append(
                f"{count} FILTER (WHERE {window}), "
                f"{count} FILTER (WHERE {window} AND sentiment = 'positive'), "
                f"{count} FILTER (WHERE {window} AND sentiment = 'negative'), "
                f"{count} FILTER (WHERE {window} AND media_type = 'earned'), "
                f"{count} FILTER (WHERE {window} AND media_type = 'earned' AND sentiment = 'positive'), "
                f"{count} FILTER (WHERE {window} AND media_type = 'earned' AND sentiment = 'negative')"
            )
            params += [since.astimezone(UTC).date(), until.astimezone(UTC).date()] * 6
        where = [
            "workspace_id = %s",
            "topic_id = 0",
            "media_type <> 'owned'",
            "day >= %s",
            "day < %s",
            _NOT_COMPETITOR_ROLLUP,
        ]
        where_params: list[Any] = [
            workspace_id,
            min(a for a, _ in periods).astimezone(UTC).date(),
            max(b for _, b in periods).astimezone(UTC).date(),
            workspace_id,
        ]
        if brand_id:
            where.append("brand_id = %s")
            where_params.append(brand_id)
        sql = f"SELECT {', '.join(selects)} FROM listening_mention_daily WHERE {' AND '.join(where)}"
    else:
        for since, until in periods:
            window = "m.created_at >= %s AND m.created_at < %s"
            selects.append(
                f"count(*) FILTER (WHERE {window}), "
                f"count(*) FILTER (WHERE {window} AND m.sentiment = 'positive'), "
                f"count(*) FILTER (WHERE {window} AND m.sentiment = 'negative'), "
                f"count(*) FILTER (WHERE {window} AND m.media_type = 'earned'), "
                f"count(*) FILTER (WHERE {window} AND m.media_type = 'earned' AND m.sentiment = 'positive'), "
                f"count(*) FILTER (WHERE {window} AND m.media_type = 'earned' AND m.sentiment = 'negative')"
            )
            params += [since, until] * 6
        scope, where_params = _mention_scope(workspace_id, brand_id, business_unit_id)
        sql = (
            f"SELECT {', '.join(selects)} FROM listening_mention m WHERE {scope} "
            "AND m.media_type <> 'owned' AND m.created_at >= %s AND m.created_at < %s"
        )
        where_params += [min(a for a, _ in periods), max(b for _, b in periods)]
    with connection.cursor() as db:
        db.execute(sql, params + where_params)
        row = db.fetchone()
    values = [int(value or 0) for value in row]
    return [dict(zip(figures, values[i * 6 : i * 6 + 6], strict=True)) for i in range(len(periods))]


def kpi_advocate_counts(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    previous_since: datetime,
    min_positive: int = 3,
    brand_id: int | None = None,
    business_unit_id: int | None = None,
) -> dict[str, int]:
    """Authors (platform and handle) with at least `min_positive` positive mentions in
    [since, until) ("advocates"), in the period before it [previous_since, since) ("previous"),
    and with at least one in [since, until) ("authors"). Our own posts (owned media) and
    mentions of competitors do not make anyone an advocate."""
    scope, params = _mention_scope(workspace_id, brand_id, business_unit_id)
    with connection.cursor() as db:
        db.execute(
            f"""
            SELECT count(*) FILTER (WHERE now_n >= %s), count(*) FILTER (WHERE before_n >= %s),
                   count(*) FILTER (WHERE now_n >= 1)
            FROM (
                SELECT count(*) FILTER (WHERE m.created_at >= %s) AS now_n,
                       count(*) FILTER (WHERE m.created_at < %s) AS before_n
                FROM listening_mention m
                WHERE {scope} AND m.sentiment = 'positive' AND m.media_type <> 'owned'
                  AND m.created_at >= %s AND m.created_at < %s
                GROUP BY m.platform, m.author_handle
            ) authors
            """,
            [min_positive, min_positive, since, since, *params, previous_since, until],
        )
        current, previous, authors = db.fetchone()
    return {"advocates": int(current), "previous": int(previous), "authors": int(authors)}


def kpi_ad_comment_counts(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    answer_within: timedelta = timedelta(hours=24),
    brand_id: int | None = None,
    business_unit_id: int | None = None,
) -> dict[str, int]:
    """Comments under our ads created in [since, until): all of them, the negative ones, and of
    those that need an answer: the ones old enough to judge (created before until minus
    `answer_within`), how many of those were answered before `until`, and how many were too
    young to judge."""
    scope, params = _mention_scope(workspace_id, brand_id, business_unit_id)
    judged_before = until - answer_within
    with connection.cursor() as db:
        db.execute(
            f"""
            SELECT count(*), count(*) FILTER (WHERE m.sentiment = 'negative'),
                   count(*) FILTER (WHERE m.needs_answer AND m.created_at < %s),
                   count(*) FILTER (WHERE m.needs_answer AND m.created_at < %s AND m.answered
                                    AND coalesce(m.answered_at, m.created_at) < %s),
                   count(*) FILTER (WHERE m.needs_answer AND m.created_at >= %s)
            FROM listening_mention m
            WHERE {scope} AND m.media_type = 'paid' AND m.kind = 'comment' AND m.raw ? 'ad_id'
              AND m.created_at >= %s AND m.created_at < %s
            """,
            [judged_before, judged_before, until, judged_before, *params, since, until],
        )
        comments, negative, judged, answered, young = db.fetchone()
    return {
        "comments": int(comments),
        "negative": int(negative),
        "needing_answer": int(judged),
        "answered": int(answered),
        "too_young": int(young),
    }


def kpi_alert_acknowledgements(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    target: timedelta,
    brand_id: int | None = None,
    business_unit_id: int | None = None,
) -> dict[str, int]:
    """Spike alerts raised in [since, until): acknowledged within `target` (before `until`), not
    (late or never, once `target` has passed), and still open but younger than `target`. Alerts
    of topics without a brand belong to no brand or business unit."""
    alerts = Alert.objects.filter(workspace_id=workspace_id, created_at__gte=since, created_at__lt=until)
    if brand_id:
        alerts = alerts.filter(topic__brand_id=brand_id)
    if business_unit_id:
        alerts = alerts.filter(topic__brand__business_unit_id=business_unit_id)
    return _acknowledgement_counts(alerts, until=until, target=target)


def _acknowledgement_counts(alerts, *, until: datetime, target: timedelta) -> dict[str, int]:
    from django.db.models import Count, DurationField, ExpressionWrapper, F

    acknowledged = Q(acknowledged_at__isnull=False, acknowledged_at__lt=until)
    took = ExpressionWrapper(F("acknowledged_at") - F("created_at"), output_field=DurationField())
    totals = alerts.annotate(took=took).aggregate(
        total=Count("pk"),
        in_target=Count("pk", filter=acknowledged & Q(took__lte=target)),
        decided=Count("pk", filter=acknowledged | Q(created_at__lte=until - target)),
    )
    return {
        "in_target": totals["in_target"],
        "missed": totals["decided"] - totals["in_target"],
        "too_young": totals["total"] - totals["decided"],
    }


def kpi_active_authors(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    brand_id: int | None = None,
    business_unit_id: int | None = None,
):
    """The customer profiles that wrote a mention in [since, until), as a subquery (values of
    `customer_id`, repeats included) for the customer profile figures to count in SQL."""
    mentions = Mention.objects.filter(
        workspace_id=workspace_id, created_at__gte=since, created_at__lt=until, customer_id__isnull=False
    ).exclude(media_type="owned")
    if brand_id:
        mentions = mentions.filter(brand_id=brand_id)
    if business_unit_id:
        mentions = mentions.filter(business_unit_id=business_unit_id)
    return mentions.values("customer_id")


def mentions_exist(*, workspace_id: int, since: datetime | None = None) -> bool:
    """Whether the workspace has any mention (since `since`): listening is in use."""
    rows = Mention.objects.filter(workspace_id=workspace_id)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return rows.exists()


def architecture_counts(*, workspace, since: datetime) -> dict[str, Any]:
    """What listening took in and raised since `since`, for the reference architecture: mentions
    per channel account, the topics configured, and the spike alerts raised."""
    from django.db.models import Count

    by_account = {
        row["account_id"]: row["n"]
        for row in Mention.objects.filter(workspace_id=workspace.pk, created_at__gte=since)
        .values("account_id")
        .annotate(n=Count("id"))
    }
    return {
        "mentions_by_account": by_account,
        "mentions": sum(by_account.values()),
        "topics": Topic.objects.for_workspace(workspace).count(),
        "alerts": Alert.objects.for_workspace(workspace).filter(created_at__gte=since).count(),
    }


def kpi_mention_answers(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    brand_id: int | None = None,
    business_unit_id: int | None = None,
) -> dict[str, int]:
    """Mentions that need an answer, arrived in [since, until) (competitors' left out): `items`,
    `answered` (marked answered before `until`), `young` (arrived in the last 24 h, not answered
    yet), `old` (arrived earlier) and `late` (old, and not answered within 24 h of arriving). A mention is marked answered when a reply to it goes out."""
    scope, params = _mention_scope(workspace_id, brand_id, business_unit_id)
    answered = "m.answered AND m.answered_at IS NOT NULL AND m.answered_at < %s"
    # Too young to judge is decided at `until`, or now when `until` is still to come.
    young_since, day = min(until, timezone.now()) - timedelta(hours=24), timedelta(hours=24)
    with connection.cursor() as db:
        db.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {answered}), "
            f"count(*) FILTER (WHERE m.created_at > %s AND NOT ({answered})), "
            "count(*) FILTER (WHERE m.created_at <= %s), "
            f"count(*) FILTER (WHERE m.created_at <= %s AND NOT ({answered} AND m.answered_at <= m.created_at + %s)) "
            f"FROM listening_mention m WHERE {scope} AND m.needs_answer "
            "AND m.created_at >= %s AND m.created_at < %s",
            [until, young_since, until, young_since, young_since, until, day, *params, since, until],
        )
        items, answered_count, young, old, late = db.fetchone()
    return {"items": items, "answered": answered_count, "young": young, "old": old, "late": late}
