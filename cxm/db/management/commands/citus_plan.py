"""Print where each table goes on Citus, or (--sql) the statements that put it there; run those
with psql against the Citus coordinator after `migrate` (docs/scale-out.md)."""

from django.core.management.base import BaseCommand
from django.db import connection

from cxm.db.plan import distribution_sql, placements


class Command(BaseCommand):
    help = "Print the Citus plan of every table, or the SQL that distributes them (--sql)."

    def add_arguments(self, parser):
        parser.add_argument("--sql", action="store_true", help="print the distribution statements")

    def handle(self, *args, **options):
        with connection.cursor() as cursor:
            if options["sql"]:
                lines = distribution_sql(cursor)
            else:
                lines = [f"{placement.kind:12} {placement.table}" for placement in placements(cursor)]
        self.stdout.write("\n".join(lines))
