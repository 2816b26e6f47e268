"""Old months of mentions leave the database: a gzip CSV per month, then the partition goes.

What stays: the daily roll-ups (`listening_mention_daily`, `_author_daily`, `_term_daily`,
`_tag_daily`), so dashboards, spike baselines and facets keep their history; and the keys in
`listening_mention_key`, so an archived item that arrives again (a connector re-reading history,
a client re-sending a batch) counts as a duplicate instead of coming back as a new mention. A
key is about 100 bytes; deleting keys older than a date lets such items in again.

With `drop`, a month is first detached and renamed to `listening_mention_archiving_y...` in one
short transaction, then exported, then dropped: the file holds exactly the rows that were
dropped, and ingest never waits on the export. A late item for that month meanwhile gets a new,
empty partition, which a later run archives on its own. A run that dies between detach and drop
leaves the renamed table behind; the next run exports and drops it first.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from cxm.audit.services import audit_record
from listening.partitions import current_month, forget_partition, month_bounds, partition_month

PARENT = "listening_mention"
HOLDING_PREFIX = "listening_mention_archiving_"
# DETACH needs the parent table to itself for a moment: wait this long for running queries, and
# no longer, so searches and ingest never queue behind us for long.
LOCK_TIMEOUT = "5s"


@dataclass(frozen=True)
class ArchivedMonth:
    month: date
    partition: str
    rows: int
    file: Path | None  # None when the month was empty
    dropped: bool
    rows_by_workspace: dict[int, int]


def mentions_archive(*, before: date, export_dir: Path, drop: bool = False, by=None) -> list[ArchivedMonth]:
    """Export every month partition entirely before `before`'s month to `export_dir`, oldest
    first; with `drop`, detach and drop each one after its file is written. Audited per month."""
    before = before.replace(day=1)
    if before > current_month():
        raise ValidationError(
            {"before": "Only months before the current one can be archived; this month is still written."}
        )
    export_dir.mkdir(parents=True, exist_ok=True)
    archived = []
    for table, month, detached in _candidates(before):
        if drop:
            archived.append(_archive(table, month, detached=detached, export_dir=export_dir, by=by))
        else:
            archived.append(_export_only(table, month, export_dir=export_dir, by=by))
    return archived


def _candidates(before: date) -> list[tuple[str, date, bool]]:
    """(table, month, already detached) for each month before `before`, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [PARENT],
        )
        attached = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace "
            "AND starts_with(relname, %s)",
            [HOLDING_PREFIX],
        )
        leftovers = [row[0] for row in cursor.fetchall()]
    found = []
    for name in attached:
        month = partition_month(name)
        if month is not None and month < before:
            found.append((name, month, False))
    for name in leftovers:
        month = partition_month(PARENT + "_" + name.removeprefix(HOLDING_PREFIX))
        if month is not None and month < before:
            found.append((name, month, True))
    return sorted(found, key=lambda entry: (entry[1], entry[2]))


def _export_only(table: str, month: date, *, export_dir: Path, by) -> ArchivedMonth:
    rows, path = _export(table, month, export_dir)
    result = ArchivedMonth(
        month, table, rows, path, dropped=False, rows_by_workspace=_rows_by_workspace(table)
    )
    with transaction.atomic():
        _audit(result, by=by)
    return result


def _archive(table: str, month: date, *, detached: bool, export_dir: Path, by) -> ArchivedMonth:
    partition = PARENT + "_" + table.removeprefix(HOLDING_PREFIX) if detached else table
    holding = table if detached else HOLDING_PREFIX + partition.removeprefix(PARENT + "_")
    if not detached:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            cursor.execute(f"ALTER TABLE {PARENT} DETACH PARTITION {partition}")
            cursor.execute(f"ALTER TABLE {partition} RENAME TO {holding}")
        forget_partition(partition)
    try:
        rows, path = _export(holding, month, export_dir)
        by_workspace = _rows_by_workspace(holding)
    except BaseException:
        if not detached:
            _reattach(holding, partition, month)
        raise
    result = ArchivedMonth(month, partition, rows, path, dropped=True, rows_by_workspace=by_workspace)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {holding}")
        _audit(result, by=by)
    return result


def _reattach(holding: str, partition: str, month: date) -> None:
    """Undo a detach whose export failed, so the month is searchable again."""
    start, end = month_bounds(month)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [partition])
        if cursor.fetchone()[0] is not None:
            # A late item re-created the month meanwhile; the next run archives both tables.
            return
        cursor.execute(f"ALTER TABLE {holding} RENAME TO {partition}")
        cursor.execute(
            f"ALTER TABLE {PARENT} ATTACH PARTITION {partition} "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )


def _export(table: str, month: date, export_dir: Path) -> tuple[int, Path | None]:
    """Stream a table to `<dir>/listening_mentions_YYYY-MM.csv.gz` with COPY, never holding more
    than a block in memory; an existing file is never overwritten (a -2, -3... name is used).
    An empty table writes no file (ingest re-creates a month, empty, when an archived item is
    sent again: its key makes it a duplicate, but the partition is made before keys are checked)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608 (a name from the catalogue)
        if not cursor.fetchone()[0]:
            return 0, None
    path = _free_path(export_dir, f"listening_mentions_{month:%Y-%m}")
    partial = path.with_name(path.name + ".partial")
    columns = ", ".join(_export_columns())
    # Names from the catalogue and this module, never from input.
    sql = f"COPY (SELECT {columns} FROM {table} ORDER BY created_at, id) TO STDOUT WITH (FORMAT csv, HEADER)"  # noqa: S608
    try:
        with connection.cursor() as wrapper, gzip.open(partial, "wb") as out:
            cursor = wrapper.cursor  # psycopg's own cursor, for COPY
            with cursor.copy(sql) as copy:
                for block in copy:
                    out.write(block)
            rows = cursor.rowcount
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return rows, path


def _free_path(directory: Path, stem: str) -> Path:
    path, n = directory / f"{stem}.csv.gz", 1
    while path.exists():
        n += 1
        path = directory / f"{stem}-{n}.csv.gz"
    return path


def _export_columns() -> list[str]:
    """The mention columns in table order, less the generated search vector (rebuilt on load)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
            [PARENT],
        )
        return [row[0] for row in cursor.fetchall()]


def _rows_by_workspace(table: str) -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT workspace_id, count(*) FROM {table} GROUP BY 1 ORDER BY 1")  # noqa: S608
        return dict(cursor.fetchall())


def _audit(result: ArchivedMonth, *, by) -> None:
    """One platform entry for the month, and one in each workspace that had mentions in it, so
    workspace admins see in their own log where their data went."""
    from cxm.tenancy.models import Workspace

    action = "listening.mentions_archive" if result.dropped else "listening.mentions_export"
    label = f"mentions of {result.month:%Y-%m}"
    details = {
        "month": f"{result.month:%Y-%m}",
        "partition": result.partition,
        "file": str(result.file) if result.file else None,
        "dropped": result.dropped,
    }
    audit_record(
        workspace=None, actor=by, action=action, object_repr=label, after=details | {"rows": result.rows}
    )
    for workspace in Workspace.objects.filter(pk__in=result.rows_by_workspace):
        audit_record(
            workspace=workspace,
            actor=by,
            action=action,
            object_repr=label,
            after=details | {"rows": result.rows_by_workspace[workspace.pk]},
        )
