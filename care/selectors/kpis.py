"""Care figures for the transformation KPIs: set-based aggregates over one workspace's cases,
messages and CSAT answers, a few queries per call whatever the number of cases.

"A person's reply" is an outbound message with an author user that went out (status sent),
not a CSAT survey: what a customer saw a person write. Replies queued by automation rules have
no author user, so a rule's auto-acknowledgement never counts as an answer. Time spans of cases
are also given in business hours of the SLA policy for the case's priority, computed in SQL
(see `_business_sql`); a priority without a policy, or a policy with an empty schedule, is open
round the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from care.models import Case, CaseType, CsatResponse, Message, SlaPolicy
from care.sla import parse_schedule
from cxm.channels.models import ChannelAccount
from cxm.customers.models import CustomerMerge, CustomerProfile, Identity

YOUNG = timedelta(hours=24)  # an item younger than this is too young to call unanswered
REPEAT_WITHIN = timedelta(days=7)
# Platforms whose identity is an address or a number the customer gave us.
CONTACT_PLATFORMS = ("email", "phone", "sms", "whatsapp")

CASE = Case._meta.db_table
MESSAGE = Message._meta.db_table
CASE_TYPE = CaseType._meta.db_table
CSAT = CsatResponse._meta.db_table
ACCOUNT = ChannelAccount._meta.db_table
PROFILE = CustomerProfile._meta.db_table
IDENTITY = Identity._meta.db_table
MERGE = CustomerMerge._meta.db_table


def _person_reply(alias: str) -> str:
    """SQL: message `alias` is a person's reply the customer saw before %(until)s."""
    return (
        f"{alias}.direction = 'outbound' AND {alias}.author_user_id IS NOT NULL "
        f"AND {alias}.status = 'sent' AND {alias}.sent_at < %(until)s AND NOT {alias}.meta ? 'csat'"
    )


def _case_scope(
    alias: str, workspace_id: int, business_unit_id: int | None, brand_id: int | None
) -> tuple[str, dict[str, Any]]:
    """SQL and parameters keeping the workspace's cases of the business unit and brand. A case
    carries its business unit; its brand is the brand of the channel account it came in on."""
    clauses = [f"{alias}.workspace_id = %(workspace_id)s"]
    params: dict[str, Any] = {"workspace_id": workspace_id}
    if business_unit_id:
        clauses.append(f"{alias}.business_unit_id = %(business_unit_id)s")
        params["business_unit_id"] = business_unit_id
    if brand_id:
        clauses.append(
            f"{alias}.channel_account_id IN (SELECT id FROM {ACCOUNT} "  # noqa: S608 (a constant table name)
            "WHERE workspace_id = %(workspace_id)s AND brand_id = %(brand_id)s)"
        )
        params["brand_id"] = brand_id
    return " AND ".join(clauses), params


@contextmanager
def _reporting(*, nested_loops: bool = True) -> Iterator[Any]:
    """A cursor in a transaction with room to hash and sort a month of cases in memory (at the
    default 4 MB the aggregates over 500,000 cases spill to disk and take several times longer),
    planned without parallel workers, which each rebuilt the same hash of replies, or JIT.
    `nested_loops=False` for a join the planner underestimates: a month's first replies, which
    it guesses at a tenth of their number, looked up case by case take seconds."""
    settings = {
        "work_mem": "64MB",
        "max_parallel_workers_per_gather": "0",
        "jit": "off",
        "enable_nestloop": "on" if nested_loops else "off",
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # Local to the transaction, which may be the caller's: put back what was there after (on
        # an error, rolling back to the savepoint of `atomic` undoes them).
        cursor.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in settings))
        before = dict(zip(settings, cursor.fetchone(), strict=True))
        _configure(cursor, settings)
        yield cursor
        _configure(cursor, before)


def _configure(cursor: Any, settings: dict[str, str]) -> None:
    cursor.execute(
        "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in settings),
        [value for pair in settings.items() for value in pair],
    )


def _fetch(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    with _reporting() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        names = [column.name for column in cursor.description]
    return dict(zip(names, row, strict=True))


def _judged_at(until: datetime) -> datetime:
    """Whether an item is too young to judge is decided at `until`, or now when `until` is still
    to come (today's snapshot)."""
    return min(until, timezone.now())


def _number(value: Any) -> float | None:
    return float(value) if value is not None else None


# --- answers -------------------------------------------------------------------------------------


def kpi_case_answers(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    business_unit_id: int | None = None,
    brand_id: int | None = None,
) -> dict[str, int]:
    """Cases opened from a direct message or an email in [since, until), and whether a person
    answered them: `items`, `answered` (a person's reply went out before `until`), `young` (opened
    in the last 24 h, see `_judged_at`, and not answered yet), `old` (opened earlier) and
    `late` (old, and no person's reply went out within 24 h of opening). Cases opened from public
    mentions are left out: listening counts those mentions."""
    scope, params = _case_scope("c", workspace_id, business_unit_id, brand_id)
    params |= {"since": since, "until": until, "young_since": _judged_at(until) - YOUNG, "young": YOUNG}
    row = _fetch(
        f"""
        WITH first_reply AS (
            SELECT m.case_id, min(m.sent_at) AS first_at FROM {MESSAGE} m
            WHERE m.workspace_id = %(workspace_id)s AND {_person_reply("m")} AND m.sent_at >= %(since)s
            GROUP BY m.case_id
        ),
        items AS (
            SELECT c.id, c.created_at, f.first_at
            FROM {CASE} c LEFT JOIN first_reply f ON f.case_id = c.id
            WHERE {scope} AND c.channel_kind IN ('dm', 'email')
              AND c.created_at >= %(since)s AND c.created_at < %(until)s
        )
        SELECT count(*) AS items,
               count(first_at) AS answered,
               count(*) FILTER (WHERE first_at IS NULL AND created_at > %(young_since)s) AS young,
               count(*) FILTER (WHERE created_at <= %(young_since)s) AS old,
               count(*) FILTER (WHERE created_at <= %(young_since)s
                                  AND (first_at IS NULL OR first_at > created_at + %(young)s)) AS late
        FROM items
        """,  # noqa: S608 (table names are constants; values are parameters)
        params,
    )
    return {key: int(value or 0) for key, value in row.items()}


# --- times ---------------------------------------------------------------------------------------


def _business_sql(workspace_id: int) -> tuple[str, str, dict[str, Any]] | None:
    """CTEs laying out the SLA policies' open time day by day, and the SQL expression of the open
    seconds between `s.start_at` and `s.end_at` of a span `s` joined to `pol p` (its priority's
    policy), `open_days a` (the local day of its start) and `open_days b` (of its end). None when
    no policy has a schedule (every span is then open round the clock).

    Set-based and exact: each policy's weekly intervals become instants local day by local day
    (the zone's rules applied to each day's wall-clock times, as `care.sla` does; holidays
    skipped) over the spans' range. A day's row carries the open seconds before its local
    midnight and its intervals side by side (slot 1..k, k the most intervals any weekday has), so
    the open time up to an instant is the day's "before" plus the part of each slot before it,
    one row per endpoint: a span costs two hash look-ups, whatever its length."""
    rows = SlaPolicy.objects.filter(workspace_id=workspace_id).values_list(
        "priority", "time_zone", "schedule", "holidays"
    )
    pol_priority, pol_tz = [], []
    sched_priority, sched_weekday, sched_start, sched_end = [], [], [], []
    hol_priority, hol_day = [], []
    slots = 1
    for priority, time_zone, raw, holidays in rows:
        schedule = parse_schedule(raw)
        if not schedule:
            continue
        pol_priority.append(priority)
        pol_tz.append(time_zone)
        for weekday, intervals in schedule.items():
            slots = max(slots, len(intervals))
            for start, end in intervals:
                sched_priority.append(priority)
                sched_weekday.append(weekday)
                sched_start.append(start)
                sched_end.append(end)
        for day in holidays or []:
            hol_priority.append(priority)
            hol_day.append(day)
    if not pol_priority:
        return None
    slot_columns = ",\n".join(
        f"max(i.o) FILTER (WHERE i.slot = {k}) AS o{k}, max(i.c) FILTER (WHERE i.slot = {k}) AS c{k}"
        for k in range(1, slots + 1)
    )
    ctes = f"""
        pol(priority, tz, idx) AS (
            SELECT * FROM unnest(%(pol_priority)s::text[], %(pol_tz)s::text[]) WITH ORDINALITY
        ),
        sched(priority, weekday, start_min, end_min) AS (
            SELECT * FROM unnest(%(sched_priority)s::text[], %(sched_weekday)s::int[],
                                 %(sched_start)s::int[], %(sched_end)s::int[])
        ),
        hol(priority, day) AS (SELECT * FROM unnest(%(hol_priority)s::text[], %(hol_day)s::date[])),
        bounds AS (SELECT min(start_at) AS lo, max(end_at) AS hi FROM spans),
        days AS (
            SELECT p.priority, p.idx, g.day::date AS day
            FROM pol p CROSS JOIN bounds b
            CROSS JOIN LATERAL generate_series(
                (b.lo AT TIME ZONE p.tz)::date - 1, (b.hi AT TIME ZONE p.tz)::date + 1, interval '1 day'
            ) AS g(day)
            WHERE b.lo IS NOT NULL
        ),
        opened AS (
            SELECT d.priority, d.day,
                   (d.day + s.start_min * interval '1 minute') AT TIME ZONE p.tz AS o,
                   (d.day + s.end_min * interval '1 minute') AT TIME ZONE p.tz AS c
            FROM days d
            JOIN pol p ON p.priority = d.priority
            JOIN sched s ON s.priority = d.priority AND s.weekday = extract(isodow FROM d.day)::int - 1
            WHERE NOT EXISTS (SELECT 1 FROM hol h WHERE h.priority = d.priority AND h.day = d.day)
        ),
        slotted AS (
            SELECT priority, day, o, c, row_number() OVER (PARTITION BY priority, day ORDER BY o) AS slot
            FROM opened WHERE c > o
        ),
        open_days AS MATERIALIZED (
            SELECT d.idx * 100000 + (d.day - DATE '2000-01-01') AS key,
                   coalesce(sum(coalesce(sum(date_part('epoch', i.c - i.o)), 0)) OVER (
                       PARTITION BY d.priority ORDER BY d.day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                   ), 0) AS before_s,
                   {slot_columns}
            FROM days d LEFT JOIN slotted i ON i.priority = d.priority AND i.day = d.day
            GROUP BY d.priority, d.idx, d.day
        ),
        local_spans AS MATERIALIZED (
            SELECT s.*, p.priority AS policy,
                   p.idx * 100000 + ((s.start_at AT TIME ZONE p.tz)::date - DATE '2000-01-01') AS start_key,
                   p.idx * 100000 + ((s.end_at AT TIME ZONE p.tz)::date - DATE '2000-01-01') AS end_key
            FROM spans s LEFT JOIN pol p ON p.priority = s.priority
        )
    """  # noqa: S608 (no table name or value in it; values are parameters)

    def open_until(day: str, instant: str) -> str:
        parts = " + ".join(
            f"coalesce(greatest(date_part('epoch', least({instant}, {day}.c{k}) - {day}.o{k}), 0), 0)"
            for k in range(1, slots + 1)
        )
        return f"({day}.before_s + {parts})"

    seconds = f"{open_until('b', 's.end_at')} - {open_until('a', 's.start_at')}"
    params = {
        "pol_priority": pol_priority,
        "pol_tz": pol_tz,
        "sched_priority": sched_priority,
        "sched_weekday": sched_weekday,
        "sched_start": sched_start,
        "sched_end": sched_end,
        "hol_priority": hol_priority,
        "hol_day": hol_day,
    }
    return ctes, seconds, params


def kpi_case_times(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    business_unit_id: int | None = None,
    brand_id: int | None = None,
) -> dict[str, dict[str, float | int | None]]:
    """First response and resolution times, in seconds, calendar and business: the median and the
    mean of each, and n.

    `first_response`: cases (not opened by hand) whose first person's reply went out in
    [since, until), from the case's creation to that reply. `resolution`: cases (not opened by
    hand) resolved in [since, until), from creation to resolution (a case reopened and resolved
    again counts once, to its latest resolution)."""
    scope, params = _case_scope("c", workspace_id, business_unit_id, brand_id)
    params |= {"since": since, "until": until}
    calendar = "date_part('epoch', s.end_at - s.start_at)"
    business = _business_sql(workspace_id)
    if business is None:
        business_ctes, source, business_seconds = "", "spans s", calendar
    else:
        business_ctes = "," + business[0]
        params |= business[2]
        source = (
            "local_spans s LEFT JOIN open_days a ON a.key = s.start_key "
            "LEFT JOIN open_days b ON b.key = s.end_key"
        )
        business_seconds = f"CASE WHEN s.policy IS NULL THEN {calendar} ELSE {business[1]} END"
    sql = f"""
        WITH first_reply AS (
            SELECT m.case_id, min(m.sent_at) AS at FROM {MESSAGE} m
            WHERE m.workspace_id = %(workspace_id)s AND {_person_reply("m")}
              AND m.sent_at >= %(since)s
            GROUP BY m.case_id
        ),
        spans AS MATERIALIZED (
            SELECT c.id, 'first_response' AS kind, c.priority, c.created_at AS start_at, f.at AS end_at
            FROM first_reply f JOIN {CASE} c ON c.id = f.case_id
            WHERE {scope} AND c.channel_kind <> 'manual'
              -- a case opened in the window had no reply before it; only older ones are looked up
              AND (c.created_at >= %(since)s OR NOT EXISTS (
                  SELECT 1 FROM {MESSAGE} e
                  WHERE e.workspace_id = c.workspace_id AND e.case_id = c.id AND {_person_reply("e")}
                    AND e.sent_at < %(since)s
              ))
            UNION ALL
            SELECT c.id, 'resolution', c.priority, c.created_at, c.resolved_at
            FROM {CASE} c
            WHERE {scope} AND c.channel_kind <> 'manual'
              AND c.resolved_at >= %(since)s AND c.resolved_at < %(until)s
        ){business_ctes},
        timed AS MATERIALIZED (
            SELECT s.kind, greatest({calendar}, 0) AS calendar, greatest({business_seconds}, 0) AS business
            FROM {source}
        )
        SELECT kind, count(*) AS n,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY calendar) AS median,
               avg(calendar) AS mean,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY business) AS business_median,
               avg(business) AS business_mean
        FROM timed GROUP BY kind
    """  # noqa: S608 (table names are constants; values are parameters)
    empty = {"n": 0, "median": None, "mean": None, "business_median": None, "business_mean": None}
    figures = {"first_response": dict(empty), "resolution": dict(empty)}
    with _reporting(nested_loops=False) as cursor:
        cursor.execute(sql, params)
        for kind, n, median, mean, business_median, business_mean in cursor.fetchall():
            figures[kind] = {
                "n": int(n),
                "median": _number(median),
                "mean": _number(mean),
                "business_median": _number(business_median),
                "business_mean": _number(business_mean),
            }
    return figures


# --- satisfaction --------------------------------------------------------------------------------


def kpi_csat(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    business_unit_id: int | None = None,
    brand_id: int | None = None,
) -> dict[str, Any]:
    """CSAT answers given in [since, until) (`responses`, `average` 1-5), and the surveys that went
    out in [since, until - 24 h) (`surveys`) with how many were answered by `until`
    (`surveys_answered`); `surveys_young` went out in the last 24 h and are not judged yet."""
    scope, params = _case_scope("c", workspace_id, business_unit_id, brand_id)
    params |= {"since": since, "until": until, "young_since": _judged_at(until) - YOUNG}
    row = _fetch(
        f"""
        SELECT
            (SELECT count(*) FROM {CSAT} r JOIN {CASE} c ON c.id = r.case_id
             WHERE {scope} AND r.workspace_id = %(workspace_id)s
               AND r.created_at >= %(since)s AND r.created_at < %(until)s) AS responses,
            (SELECT avg(r.score) FROM {CSAT} r JOIN {CASE} c ON c.id = r.case_id
             WHERE {scope} AND r.workspace_id = %(workspace_id)s
               AND r.created_at >= %(since)s AND r.created_at < %(until)s) AS average,
            s.surveys, s.surveys_answered, s.surveys_young
        FROM (
            SELECT count(*) FILTER (WHERE m.sent_at < %(young_since)s) AS surveys,
                   count(*) FILTER (WHERE m.sent_at < %(young_since)s AND EXISTS (
                       SELECT 1 FROM {CSAT} r
                       WHERE r.workspace_id = m.workspace_id AND r.case_id = m.case_id
                         AND r.created_at < %(until)s
                   )) AS surveys_answered,
                   count(*) FILTER (WHERE m.sent_at >= %(young_since)s) AS surveys_young
            FROM {MESSAGE} m JOIN {CASE} c ON c.id = m.case_id
            WHERE {scope} AND m.workspace_id = %(workspace_id)s AND m.direction = 'outbound'
              AND m.meta ? 'csat' AND m.status = 'sent'
              AND m.sent_at >= %(since)s AND m.sent_at < %(until)s
        ) s
        """,  # noqa: S608 (table names are constants; values are parameters)
        params,
    )
    return {
        "responses": int(row["responses"] or 0),
        "average": _number(row["average"]),
        "surveys": int(row["surveys"] or 0),
        "surveys_answered": int(row["surveys_answered"] or 0),
        "surveys_young": int(row["surveys_young"] or 0),
    }


# --- replies, customers, resolutions -------------------------------------------------------------


def kpi_reply_language(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    business_unit_id: int | None = None,
    brand_id: int | None = None,
) -> dict[str, int]:
    """People's replies that went out in [since, until): on cases whose language is known
    (`replies`), how many were in it (`same_language`, compared on the primary subtag, so "pt-BR"
    matches "pt"), and how many went out on cases of unknown language (`unknown_language`)."""
    scope, params = _case_scope("c", workspace_id, business_unit_id, brand_id)
    params |= {"since": since, "until": until}
    row = _fetch(
        f"""
        SELECT count(*) FILTER (WHERE c.language <> '') AS replies,
               count(*) FILTER (
                   WHERE c.language <> ''
                     AND lower(split_part(m.language, '-', 1)) = lower(split_part(c.language, '-', 1))
               ) AS same_language,
               count(*) FILTER (WHERE c.language = '') AS unknown_language
        FROM {MESSAGE} m JOIN {CASE} c ON c.id = m.case_id
        WHERE {scope} AND m.workspace_id = %(workspace_id)s AND {_person_reply("m")}
          AND m.sent_at >= %(since)s
        """,  # noqa: S608 (table names are constants; values are parameters)
        params,
    )
    return {key: int(value or 0) for key, value in row.items()}


def kpi_case_customers(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    business_unit_id: int | None = None,
    brand_id: int | None = None,
) -> dict[str, int]:
    """Cases opened in [since, until) (every channel, by hand too) and their customers.

    `cases`, `known`: the case's customer (followed to the profile it was merged into) is known --
    one of its identities is an email address or a phone number (an email identity, or any
    identity with an email address recorded), or it has identities on two or more platforms, or
    another profile was merged into it (a merge not undone).
    `repeat_base`: cases opened at least 7 days ago (see `_judged_at`); `repeats`: those followed by
    another case of the same customer (in any business unit or brand) opened within 7 days after
    them; `repeat_young`: cases opened in the last 7 days, not judged yet."""
    scope, params = _case_scope("c", workspace_id, business_unit_id, brand_id)
    params |= {
        "since": since,
        "until": until,
        "repeat_since": _judged_at(until) - REPEAT_WITHIN,
        "within": REPEAT_WITHIN,
        "contact_platforms": list(CONTACT_PLATFORMS),
    }
    row = _fetch(
        f"""
        WITH opened AS (
            SELECT c.id, c.created_at, coalesce(p.merged_into_id, p.id) AS customer_id,
                   lead(c.created_at) OVER (
                       PARTITION BY coalesce(p.merged_into_id, p.id) ORDER BY c.created_at, c.id
                   ) AS next_at,
                   ({scope}) AS in_scope
            FROM {CASE} c JOIN {PROFILE} p ON p.id = c.customer_id
            WHERE c.workspace_id = %(workspace_id)s AND c.created_at >= %(since)s AND c.created_at < %(until)s
        ),
        cases AS (SELECT id, created_at, customer_id, next_at FROM opened WHERE in_scope),
        known AS (
            SELECT i.profile_id AS customer_id FROM {IDENTITY} i
            WHERE i.workspace_id = %(workspace_id)s
              AND i.profile_id IN (SELECT customer_id FROM cases)
            GROUP BY i.profile_id
            HAVING bool_or(i.email <> '' OR i.platform = ANY(%(contact_platforms)s))
                OR count(DISTINCT i.platform) >= 2
            UNION
            SELECT g.target_id FROM {MERGE} g
            WHERE g.workspace_id = %(workspace_id)s AND g.undone_at IS NULL
              AND g.target_id IN (SELECT customer_id FROM cases)
        )
        SELECT count(*) AS cases,
               count(*) FILTER (WHERE customer_id IN (SELECT customer_id FROM known)) AS known,
               count(*) FILTER (WHERE created_at < %(repeat_since)s) AS repeat_base,
               count(*) FILTER (
                   WHERE created_at < %(repeat_since)s AND next_at <= created_at + %(within)s
               ) AS repeats,
               count(*) FILTER (WHERE created_at >= %(repeat_since)s) AS repeat_young
        FROM cases
        """,  # noqa: S608 (table names are constants; values are parameters)
        params,
    )
    return {key: int(value or 0) for key, value in row.items()}


def kpi_resolutions(
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    business_unit_id: int | None = None,
    brand_id: int | None = None,
) -> dict[str, int]:
    """Cases (not opened by hand) resolved in [since, until): `resolved`; `first_contact`: resolved
    with exactly one person's reply and never reopened; `guided`: a person replied with a macro on
    the case, or the case has a type with a checklist."""
    scope, params = _case_scope("c", workspace_id, business_unit_id, brand_id)
    params |= {"since": since, "until": until}
    row = _fetch(
        f"""
        WITH resolved AS (
            SELECT c.id, c.reopen_count, c.case_type_id FROM {CASE} c
            WHERE {scope} AND c.channel_kind <> 'manual'
              AND c.resolved_at >= %(since)s AND c.resolved_at < %(until)s
        ),
        replies AS (
            SELECT m.case_id, count(*) AS n, bool_or(m.meta ? 'macro') AS macro
            FROM {MESSAGE} m JOIN resolved s ON s.id = m.case_id
            WHERE m.workspace_id = %(workspace_id)s AND {_person_reply("m")}
            GROUP BY m.case_id
        )
        SELECT count(*) AS resolved,
               count(*) FILTER (WHERE r.n = 1 AND s.reopen_count = 0) AS first_contact,
               count(*) FILTER (
                   WHERE coalesce(r.macro, false)
                      OR CASE WHEN jsonb_typeof(t.checklist) = 'array'
                              THEN jsonb_array_length(t.checklist) > 0 ELSE false END
               ) AS guided
        FROM resolved s
        LEFT JOIN replies r ON r.case_id = s.id
        LEFT JOIN {CASE_TYPE} t ON t.id = s.case_type_id
        """,  # noqa: S608 (table names are constants; values are parameters)
        params,
    )
    return {key: int(value or 0) for key, value in row.items()}
