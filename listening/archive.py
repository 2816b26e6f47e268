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

import csv
import gzip
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from cxm.audit.selectors import audit_entries
from cxm.audit.services import audit_record
from cxm.tenancy.models import Workspace
from listening.partitions import current_month, forget_partition, month_bounds, partition_month

PARENT = "listening_mention"
HOLDING_PREFIX = "listening_mention_archiving_"
# DETACH needs the parent table to itself for a moment: wait this long for running queries, and
# no longer, so searches and ingest never queue behind us for long.
LOCK_TIMEOUT = "5s"
FILE_GLOB = "listening_mentions_*.csv.gz"
# Held by an archive run from a month's detach (or export) until its file is in place, and by an
# erasure while it scrubs mentions, the left-over tables and the files: an erasure never runs
# while a month is in neither the table nor a file, nor while a file is being written from rows
# it has not scrubbed yet; and two erasures never rewrite the same file at once.
ARCHIVE_LOCK = "listening_mention_archive"
LOADED_TABLE = "listening_mention_from_archive"
FILE_RECORDING_ACTIONS = ("listening.mentions_archive", "listening.mentions_export")


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
        with _month_locked():
            if drop:
                archived.append(_archive(table, month, detached=detached, export_dir=export_dir, by=by))
            else:
                archived.append(_export_only(table, month, export_dir=export_dir, by=by))
    return archived


@contextmanager
def _month_locked() -> Iterator[None]:
    """ARCHIVE_LOCK for one month, across the short transactions that archive it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [ARCHIVE_LOCK])
    try:
        yield
    finally:
        # A transaction broken by the failure cannot run the unlock; the lock then ends with the
        # connection, and the original error is the one worth seeing.
        if not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [ARCHIVE_LOCK])


def archive_lock() -> None:
    """Wait for a month being archived, then hold ARCHIVE_LOCK until the caller's transaction ends.
    Take it before touching any mention row: archiving takes it before its detach."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [ARCHIVE_LOCK])


def _candidates(before: date) -> list[tuple[str, date, bool]]:
    """(table, month, already detached) for each month before `before`, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [PARENT],
        )
        attached = [row[0] for row in cursor.fetchall()]
    leftovers = holding_tables()
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


def holding_tables() -> list[str]:
    """Months a run detached and died before dropping: out of the table, not yet in a file."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace "
            "AND starts_with(relname, %s) ORDER BY relname",
            [HOLDING_PREFIX],
        )
        return [row[0] for row in cursor.fetchall()]


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
    return _write(table, _export_columns(), path), path


def _write(table: str, columns: list[str], path: Path) -> int:
    """COPY the table out to `path`: a `.partial` file first, synced, then renamed over `path`,
    so a reader (or a crash) sees the old file or the new one, never half of one."""
    partial = path.with_name(path.name + ".partial")
    # Names from the catalogue and this module, never from input.
    sql = f"COPY (SELECT {', '.join(columns)} FROM {table} ORDER BY created_at, id) TO STDOUT WITH (FORMAT csv, HEADER)"  # noqa: S608
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
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return rows


def default_archive_dir() -> Path:
    return Path(settings.DATA_DIR) / "archive" / "listening"


def archive_files(*, workspace_id: int) -> tuple[list[Path], list[str]]:
    """The month files that may hold the workspace's mentions, and those it cannot reach. Files
    are looked for in the default folder and wherever an archive run recorded writing one for the
    workspace (its audit entries name the file, whatever `--export-dir` was); a recorded file
    that is gone (moved to offline storage, deleted) is out of reach."""
    found = {path.resolve() for path in default_archive_dir().glob(FILE_GLOB) if path.is_file()}
    missing: set[str] = set()
    entries = audit_entries(workspace=workspace_id).filter(action__in=FILE_RECORDING_ACTIONS)
    for details in entries.values_list("after", flat=True):
        recorded = (details or {}).get("file") if isinstance(details, dict) else None
        if not recorded:
            continue
        path = Path(recorded)
        if path.is_file():
            found.add(path.resolve())
        else:
            missing.add(recorded)
    return sorted(found), sorted(missing)


def archive_rows(path: Path) -> Iterator[dict[str, str]]:
    """The file's rows as text, a block at a time. An empty field is NULL or an empty string alike:
    enough to find rows; `archive_loaded` keeps the difference."""
    with gzip.open(path, "rt", newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def _file_columns(path: Path) -> list[str]:
    with gzip.open(path, "rt", newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), [])
    known = set(_export_columns())
    unknown = [column for column in header if column not in known]
    if not header or unknown:
        raise ValueError(f"{path.name}: not a mention archive (unknown columns {unknown})")
    return header


@contextmanager
def archive_loaded(path: Path) -> Iterator[str]:
    """The file loaded into a temporary table with the mention columns it has (constraints and
    the search vector left out), for the caller to read or change with SQL; yields the table's
    name. The caller's transaction holds it; it is dropped on the way out."""
    columns = _file_columns(path)
    with transaction.atomic(), connection.cursor() as wrapper:
        wrapper.execute(f"DROP TABLE IF EXISTS {LOADED_TABLE}")
        wrapper.execute(
            f"CREATE TEMPORARY TABLE {LOADED_TABLE} AS SELECT {', '.join(columns)} FROM {PARENT} WITH NO DATA"  # noqa: S608 (columns checked against the catalogue)
        )
        sql = f"COPY {LOADED_TABLE} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, HEADER)"
        with gzip.open(path, "rb") as handle, wrapper.cursor.copy(sql) as copy:
            while block := handle.read(1 << 16):
                copy.write(block)
        # On an error the transaction (or savepoint) is rolled back, and the table with it.
        yield LOADED_TABLE
        wrapper.execute(f"DROP TABLE IF EXISTS {LOADED_TABLE}")


def archive_rewrite(path: Path) -> int:
    """Write the table `archive_loaded` made back over its file, same columns and order."""
    return _write(LOADED_TABLE, _file_columns(path), path)


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
