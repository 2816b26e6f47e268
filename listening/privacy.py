"""What listening holds about a person, for data-subject requests and retention.

Erasure pseudonymises the person's mentions in place rather than deleting them: the roll-ups
(`listening_mention_daily` and friends) keep counting them, and the dedupe key keeps a connector
from storing the same post again. Author fields, text and raw payload go (the search vector is a
generated column and follows the text, and so does the text's search_text); the author roll-up
moves their rows to the pseudonym;
the term roll-up loses the words they wrote; other people's texts that name them are scrubbed.

Archived months (`listening.archive`) get the same: a month file that holds the person's
mentions, or names them, is loaded into a temporary table, changed by the same statements, and
written back over itself (a new file, then a rename). A month a crashed archive run left detached
is changed where it lies. Files the audit log says were written but that are gone cannot be
reached; the request reports how many.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC
from typing import Any

from django.db import connection, transaction
from psycopg.types.json import Jsonb

from cxm.privacy.registry import ExportWriter, RetentionCutoffs
from cxm.privacy.subject import ERASED, Subject, names, scrub_json, scrub_text
from listening.archive import (
    archive_files,
    archive_loaded,
    archive_lock,
    archive_rewrite,
    archive_rows,
    holding_tables,
)
from listening.ingest.rollups import STOPWORDS
from listening.query import search_text, tokenize_text

PARENT = "listening_mention"

# Raw keys that say where a comment came from, not who wrote it or what they said: ad comments
# resume their pull from `page_after` and show `hidden`.
KEPT_RAW_KEYS = ("ad_id", "page_after", "hidden", "post_id", "campaign_id")
EXPORT_COLUMNS = (
    "id, platform, external_id, created_at, kind, media_type, author_handle, author_name, text, url, "
    "language, sentiment, country, tags, engagement, in_reply_to, thread_id, raw"
)


def _subject_where(workspace_id: int, subject: Subject) -> tuple[str, list[Any]]:
    return (
        "m.workspace_id = %s AND (m.customer_id = ANY(%s) OR m.author_identity_id = ANY(%s) "
        "OR lower(m.author_handle) = ANY(%s))",
        [
            workspace_id,
            subject.profile_ids,
            subject.identity_ids,
            [handle.lower() for handle in subject.handle_variants],
        ],
    )


def _rows(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _search_text_set(table: str) -> str:
    """The assignment keeping a table's search_text in step with a new text (`%s`: the text's
    search_text), or nothing for a month file exported before mentions had one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'search_text' "
            "AND NOT attisdropped",
            [table],
        )
        return ", search_text = %s" if cursor.fetchone() else ""


def _hashed(value: str) -> str:
    return "erased-" + hashlib.sha256(value.encode()).hexdigest()[:24]


def _archive_file_holds(path, workspace_id: int, subject: Subject) -> tuple[int, bool]:
    """(the person's mentions in the file, whether any other row names them), read as text: the
    same tests as `_subject_where` and `_scrub_others`, without loading the file."""
    profiles = {str(pk) for pk in subject.profile_ids}
    identities = {str(pk) for pk in subject.identity_ids}
    handles = {handle.lower() for handle in subject.handle_variants}
    pattern = subject.pattern()
    workspace = str(workspace_id)
    theirs, naming = 0, False
    for row in archive_rows(path):
        if row.get("workspace_id") != workspace:
            continue
        if (
            row.get("customer_id") in profiles
            or row.get("author_identity_id") in identities
            or (row.get("author_handle") or "").lower() in handles
        ):
            theirs += 1
        elif not naming and pattern is not None:
            naming = any(pattern.search(row.get(key) or "") for key in ("text", "author_name", "url", "raw"))
    return theirs, naming


class ListeningHandler:
    name = "listening"
    order = 20
    # Earned and owned mentions; paid ones (comments on ads) are ads' to report. Archived
    # mentions are counted apart, paid ones included: they are only in the month files.
    kinds = ("mentions", "archived_mentions")

    def find(self, workspace_id: int, subject: Subject) -> dict[str, int]:
        where, params = _subject_where(workspace_id, subject)
        archived = 0
        with connection.cursor() as cursor:
            sql = f"SELECT count(*) FROM {PARENT} m WHERE {where} AND m.media_type <> 'paid'"  # noqa: S608
            cursor.execute(sql, params)
            mentions = cursor.fetchone()[0]
            for table in holding_tables():
                cursor.execute(f"SELECT count(*) FROM {table} m WHERE {where}", params)  # noqa: S608
                archived += cursor.fetchone()[0]
        files, _out_of_reach = archive_files(workspace_id=workspace_id)
        archived += sum(_archive_file_holds(path, workspace_id, subject)[0] for path in files)
        return {"mentions": mentions, "archived_mentions": archived}

    def export(self, workspace_id: int, subject: Subject, writer: ExportWriter) -> None:
        with transaction.atomic():
            archive_lock()
            self._export_from(PARENT, workspace_id, subject, writer, kind="mentions")
            for table in holding_tables():
                self._export_from(table, workspace_id, subject, writer, kind="archived_mentions")
            files, _out_of_reach = archive_files(workspace_id=workspace_id)
            for path in files:
                if not _archive_file_holds(path, workspace_id, subject)[0]:
                    continue
                with archive_loaded(path) as table:
                    self._export_from(
                        table, workspace_id, subject, writer, kind="archived_mentions", archive_file=path.name
                    )

    def _export_from(
        self,
        table: str,
        workspace_id: int,
        subject: Subject,
        writer: ExportWriter,
        *,
        kind: str,
        archive_file: str = "",
    ) -> None:
        where, params = _subject_where(workspace_id, subject)
        if kind == "mentions":
            where += " AND m.media_type <> 'paid'"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {EXPORT_COLUMNS} FROM {table} m WHERE {where} ORDER BY m.created_at, m.id",  # noqa: S608 (names from the catalogue and this module)
                params,
            )
            columns = [column.name for column in cursor.description]
            while batch := cursor.fetchmany(2000):
                for row in batch:
                    record = dict(zip(columns, row, strict=True))
                    record["created_at"] = record["created_at"].isoformat()
                    if archive_file:
                        record["archive_file"] = archive_file
                    writer.write(kind, record)

    def erase(self, workspace_id: int, subject: Subject) -> dict[str, int]:
        archive_lock()  # before the first row is touched: see listening.archive.ARCHIVE_LOCK
        pseudonym = subject.pseudonym or _hashed(subject.identity)
        theirs, scrubbed = self._erase_in(PARENT, workspace_id, subject, pseudonym)
        self._move_author_rollups(workspace_id, subject, pseudonym)
        archived, archived_naming, rewritten = 0, 0, 0
        for table in holding_tables():
            rows, named = self._erase_in(table, workspace_id, subject, pseudonym)
            archived, archived_naming = archived + len(rows), archived_naming + named
        files, out_of_reach = archive_files(workspace_id=workspace_id)
        for path in files:
            holds, naming = _archive_file_holds(path, workspace_id, subject)
            if not (holds or naming):
                continue
            with archive_loaded(path) as table:
                rows, named = self._erase_in(table, workspace_id, subject, pseudonym)
                archive_rewrite(path)
            archived, archived_naming, rewritten = (
                archived + len(rows),
                archived_naming + named,
                rewritten + 1,
            )
        return {
            "mentions": sum(1 for row in theirs if row["media_type"] != "paid"),
            "mentions_naming_them": scrubbed,
            "archived_mentions": archived,
            "archived_mentions_naming_them": archived_naming,
            "archive_files_rewritten": rewritten,
            "archive_files_out_of_reach": len(out_of_reach),
        }

    def _erase_in(
        self, table: str, workspace_id: int, subject: Subject, pseudonym: str
    ) -> tuple[list[dict[str, Any]], int]:
        """Pseudonymise the person's mentions in `table` (the mention table, a detached month or a
        loaded archive file) and scrub the others that name them; (their rows, rows scrubbed)."""
        where, params = _subject_where(workspace_id, subject)
        pattern = subject.pattern()
        theirs = _rows(
            f"SELECT m.id, m.created_at, m.platform, m.external_id, m.text, m.media_type, m.raw, m.in_reply_to, "  # noqa: S608 (constant clauses; values are parameters)
            f"m.thread_id FROM {table} m WHERE {where}",
            params,
        )
        self._forget_terms(workspace_id, theirs, subject)
        spelled_set = _search_text_set(table)
        with connection.cursor() as cursor:
            for row in theirs:
                external_id = row["external_id"]
                if names(external_id, pattern):
                    external_id = _hashed(f"{workspace_id}:{row['platform']}:{external_id}")
                    cursor.execute(
                        "UPDATE listening_mention_key SET external_id = %s "
                        "WHERE workspace_id = %s AND platform = %s AND external_id = %s",
                        [external_id, workspace_id, row["platform"], row["external_id"]],
                    )
                raw = row["raw"]
                kept = {
                    key: raw[key] for key in KEPT_RAW_KEYS if isinstance(raw, dict) and key in raw
                } or None
                cursor.execute(
                    f"UPDATE {table} SET author_handle = %s, author_name = '', text = %s{spelled_set}, url = '', "  # noqa: S608 (constant clauses; values are parameters)
                    "raw = %s, author_identity_id = NULL, customer_id = NULL, external_id = %s, "
                    "in_reply_to = %s, thread_id = %s "
                    "WHERE workspace_id = %s AND id = %s AND created_at = %s",
                    [
                        pseudonym,
                        ERASED,
                        *([search_text(ERASED)] if spelled_set else []),
                        Jsonb(kept) if kept else None,
                        external_id,
                        scrub_text(row["in_reply_to"], pattern) if row["in_reply_to"] else None,
                        scrub_text(row["thread_id"], pattern) if row["thread_id"] else None,
                        workspace_id,
                        row["id"],
                        row["created_at"],
                    ],
                )
        return theirs, self._scrub_others(table, workspace_id, subject)

    def _forget_terms(self, workspace_id: int, theirs: list[dict[str, Any]], subject: Subject) -> None:
        """Take the person's words out of the term roll-up: their count is subtracted, and a
        term left at zero (a word only they used that day) disappears."""
        counts: Counter = Counter()
        for row in theirs:
            day = row["created_at"].astimezone(UTC).date()
            tokens = {
                token[:100]
                for token in tokenize_text(row["text"] or "")
                if len(token) >= 3 and token not in STOPWORDS and not token.isdigit()
            }
            counts.update((day, token) for token in tokens)
        with connection.cursor() as cursor:
            if counts:
                keys = list(counts)
                cursor.execute(
                    """
                    UPDATE listening_term_daily t SET mentions = t.mentions - c.n
                    FROM unnest(%s::date[], %s::text[], %s::bigint[]) AS c(day, term, n)
                    WHERE t.workspace_id = %s AND t.day = c.day AND t.term = c.term
                    """,
                    [[k[0] for k in keys], [k[1] for k in keys], [counts[k] for k in keys], workspace_id],
                )
            identifiers = [value.lower().lstrip("@") for value in subject.identifiers()]
            cursor.execute(
                "DELETE FROM listening_term_daily WHERE workspace_id = %s AND (mentions <= 0 OR term = ANY(%s))",
                [workspace_id, identifiers],
            )

    def _move_author_rollups(self, workspace_id: int, subject: Subject, pseudonym: str) -> None:
        """The author roll-up is keyed by handle: their rows fold into the pseudonym's, counts kept."""
        match = "workspace_id = %s AND (lower(author_handle) = ANY(%s) OR customer_id = ANY(%s))"
        match_params = [workspace_id, [h.lower() for h in subject.handle_variants], subject.profile_ids]
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO listening_author_daily AS a (workspace_id, day, platform, author_handle, customer_id,
                    mentions, positive, negative)
                SELECT workspace_id, day, platform, %s, NULL, sum(mentions), sum(positive), sum(negative)
                FROM listening_author_daily WHERE {match} AND author_handle <> %s
                GROUP BY workspace_id, day, platform
                ON CONFLICT (workspace_id, day, platform, author_handle) DO UPDATE SET
                    mentions = a.mentions + EXCLUDED.mentions, positive = a.positive + EXCLUDED.positive,
                    negative = a.negative + EXCLUDED.negative
                """,  # noqa: S608 (constant clauses; values are parameters)
                [pseudonym, *match_params, pseudonym],
            )
            cursor.execute(
                f"DELETE FROM listening_author_daily WHERE {match} AND author_handle <> %s",  # noqa: S608 (constant clauses; values are parameters)
                [*match_params, pseudonym],
            )

    def _scrub_others(self, table: str, workspace_id: int, subject: Subject) -> int:
        """Other people's mentions that name the person (a reply to @them, their email quoted)."""
        likes = subject.like_patterns()
        if not likes:
            return 0
        pattern = subject.pattern()
        rows = _rows(
            f"SELECT m.id, m.created_at, m.text, m.author_name, m.url, m.raw FROM {table} m "  # noqa: S608 (constant clauses; values are parameters)
            "WHERE m.workspace_id = %s AND (m.text ILIKE ANY(%s) OR m.author_name ILIKE ANY(%s) "
            "OR m.url ILIKE ANY(%s) OR m.raw::text ILIKE ANY(%s))",
            [workspace_id, likes, likes, likes, likes],
        )
        scrubbed = 0
        spelled_set = _search_text_set(table)
        with connection.cursor() as cursor:
            for row in rows:
                raw = scrub_json(row["raw"], pattern)
                text, author_name, url = (
                    scrub_text(row[key], pattern) for key in ("text", "author_name", "url")
                )
                if (text, author_name, url, raw) == (row["text"], row["author_name"], row["url"], row["raw"]):
                    continue  # the database matched a longer word that only contains an identifier
                scrubbed += 1
                cursor.execute(
                    f"UPDATE {table} SET text = %s{spelled_set}, author_name = %s, url = %s, raw = %s "  # noqa: S608 (constant clauses; values are parameters)
                    "WHERE workspace_id = %s AND id = %s AND created_at = %s",
                    [
                        text,
                        *([search_text(text)] if spelled_set else []),
                        author_name,
                        url,
                        Jsonb(raw) if raw is not None else None,
                        workspace_id,
                        row["id"],
                        row["created_at"],
                    ],
                )
        return scrubbed

    def purge(self, workspace_id: int, cutoffs: RetentionCutoffs, batch_size: int) -> dict[str, int]:
        """Delete mentions older than the cutoff, `batch_size` at a time, each batch its own short
        transaction that skips rows another transaction holds (ingest, an erasure). The roll-ups
        keep their counts; the dedupe keys of deleted mentions go with them."""
        if cutoffs.mentions_before is None:
            return {}
        deleted = 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    """
                    DELETE FROM listening_mention m USING (
                        SELECT workspace_id, id, created_at FROM listening_mention
                        WHERE workspace_id = %s AND created_at < %s
                        ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED
                    ) old
                    WHERE m.workspace_id = old.workspace_id AND m.id = old.id AND m.created_at = old.created_at
                    RETURNING m.id
                    """,
                    [workspace_id, cutoffs.mentions_before, batch_size],
                )
                ids = [row[0] for row in cursor.fetchall()]
                if ids:
                    cursor.execute(
                        "DELETE FROM listening_mention_key WHERE workspace_id = %s AND mention_id = ANY(%s)",
                        [workspace_id, ids],
                    )
            deleted += len(ids)
            if len(ids) < batch_size:
                return {"mentions_purged": deleted}
