"""Build, without blocking writes, the indexes the workspace-keys migrations turn into primary
keys: on a populated database run this first, and `migrate` then only swaps each key (a moment's
lock per table) instead of building it under lock (docs/scale-out.md)."""

from django.core.management.base import BaseCommand
from django.db import connection

from cxm.db.citus import prepared_index_names, quote, valid_index
from cxm.db.plan import tables_with_workspace

KEYED_BY_ID = """
SELECT c.conrelid::regclass::text FROM pg_constraint c
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.contype = 'p' AND array_length(c.conkey, 1) = 1 AND a.attname = 'id'
"""


class Command(BaseCommand):
    help = "Build the (workspace_id, id) and (id) indexes concurrently before the keys migrations."

    def handle(self, *args, **options):
        with connection.cursor() as cursor:
            tenant = {table for table, nullable in tables_with_workspace(cursor).items() if not nullable}
            cursor.execute(KEYED_BY_ID)
            tables = sorted(tenant & {row[0] for row in cursor.fetchall()})
            for table in tables:
                unique, by_id = prepared_index_names(table)
                for name, kind, columns in (
                    (unique, "UNIQUE INDEX", "(workspace_id, id)"),
                    (by_id, "INDEX", "(id)"),
                ):
                    if valid_index(cursor, name):
                        continue
                    # A build interrupted earlier leaves an invalid index behind: start it again.
                    cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {quote(name)}")
                    cursor.execute(f"CREATE {kind} CONCURRENTLY {quote(name)} ON {quote(table)} {columns}")
                self.stdout.write(f"{table}: ready")
        self.stdout.write(f"{len(tables)} tables ready for the workspace-keys migrations")
