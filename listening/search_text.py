"""Stored mentions' `search_text` made again from their text (listening.query.segments).

Ingest writes it with each mention; this fills it in for mentions stored before it existed
(migration 0008) and rewrites it after the way texts are broken changes (an icu4py upgrade, a
change to `segments`), so that stored mentions are broken as new queries are:
`cxm manage listening_search_text`.
"""

from __future__ import annotations

from django.db import connection

from listening.query import UNSPACED_CHAR, search_text

BATCH = 2_000


def mentions_search_text_refresh(*, batch_size: int = BATCH) -> tuple[int, int]:
    """Make every mention's `search_text` from its text again; returns (mentions of the unspaced
    scripts read, rows changed). Only texts PostgreSQL finds a character of those scripts in are
    read (one scan of the table). Outside a transaction each batch's update commits on its own
    (it regenerates those rows' search vectors); inside one (migration 0008) all do together."""
    read = changed = 0
    with connection.chunked_cursor() as rows:
        rows.execute(
            "SELECT workspace_id, id, created_at, text, search_text FROM listening_mention "
            "WHERE text ~ %s OR search_text IS NOT NULL",
            [UNSPACED_CHAR.pattern],
        )
        while batch := rows.fetchmany(batch_size):
            read += len(batch)
            stale = [
                (workspace_id, mention_id, created_at, spelled)
                for workspace_id, mention_id, created_at, text, stored in batch
                if (spelled := search_text(text)) != stored
            ]
            if stale:
                changed += _write(stale)
    return read, changed


def _write(rows: list[tuple]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE listening_mention m SET search_text = u.spelled "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], %s::text[]) "
            "AS u(workspace_id, id, created_at, spelled) "
            "WHERE m.workspace_id = u.workspace_id AND m.id = u.id AND m.created_at = u.created_at",
            [list(column) for column in zip(*rows, strict=True)],
        )
        return cursor.rowcount
