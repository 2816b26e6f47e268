"""Monthly partitions of the mention table: created on demand, detachable when a month ages out."""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection

_known: set[str] = set()


def partition_name(month: date) -> str:
    return f"listening_mention_y{month.year:04d}m{month.month:02d}"


def _month_bounds(month: date) -> tuple[date, date]:
    start = month.replace(day=1)
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, end


def ensure_partitions(moments: set[datetime] | list[datetime]) -> None:
    """Create the partitions the given times fall into, if missing (inside the caller's transaction)."""
    months = {date(moment.year, moment.month, 1) for moment in moments}
    missing = [month for month in months if partition_name(month) not in _known]
    if not missing:
        return
    with connection.cursor() as cursor:
        # Serialise creators: two workers meeting a new month at once must not both CREATE it.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('listening_mention_partitions'))")
        for month in sorted(missing):
            name = partition_name(month)
            start, end = _month_bounds(month)
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF listening_mention "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
    connection.on_commit(lambda: _known.update(partition_name(m) for m in missing))


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
