"""Monthly partitions of the mention table: created on demand, detachable when a month ages out."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from django.db import connection

# Partitions this process saw committed, from the current month on. Older months are not kept
# here: `listening_archive` may detach and drop them from another process at any time, so a
# batch that touches one looks it up in the catalogue (one cheap query) and re-creates it if gone.
_known: set[str] = set()
_NAME = re.compile(r"^listening_mention_y(\d{4})m(\d{2})$")


def partition_name(month: date) -> str:
    return f"listening_mention_y{month.year:04d}m{month.month:02d}"


def partition_month(name: str) -> date | None:
    """The month a partition named by `partition_name` holds; None for any other table."""
    match = _NAME.match(name)
    return date(int(match.group(1)), int(match.group(2)), 1) if match else None


def current_month() -> date:
    return datetime.now(UTC).date().replace(day=1)


def month_bounds(month: date) -> tuple[date, date]:
    start = month.replace(day=1)
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, end


def ensure_partitions(moments: set[datetime] | list[datetime]) -> None:
    """Create the partitions the given times fall into, if missing (inside the caller's transaction)."""
    # Partitions are bounded in UTC: 2030-01-01T03:00+07:00 is stored in December 2029.
    months = {date(utc.year, utc.month, 1) for utc in (moment.astimezone(UTC) for moment in moments)}
    this_month = current_month()
    unsure = [month for month in months if month < this_month or partition_name(month) not in _known]
    if not unsure:
        return
    with connection.cursor() as cursor:
        attached = set(attached_partitions(cursor, [partition_name(month) for month in unsure]))
        missing = [month for month in unsure if partition_name(month) not in attached]
        if missing:
            # Serialise creators: two workers meeting a new month at once must not both CREATE it.
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('listening_mention_partitions'))")
            for month in sorted(missing):
                name = partition_name(month)
                start, end = month_bounds(month)
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF listening_mention "
                    f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
                )
    trusted = {partition_name(month) for month in unsure if month >= this_month}
    if trusted:
        connection.on_commit(lambda: _known.update(trusted))


def attached_partitions(cursor, names: list[str]) -> list[str]:
    """Which of `names` are partitions of the mention table now (a detached one is not)."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'listening_mention'::regclass AND c.relname = ANY(%s)",
        [names],
    )
    return [row[0] for row in cursor.fetchall()]


def forget_partition(name: str) -> None:
    _known.discard(name)


def partitions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'listening_mention' ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def forget_known_partitions() -> None:
    """Tests recreate the database; the in-process memory of created partitions must go with it."""
    _known.clear()
