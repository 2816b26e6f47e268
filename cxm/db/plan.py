"""Where each table goes when the database is spread over Citus nodes by workspace, read from the
database's catalogue (so listening's tables made in SQL count as well as the models' tables).

- distributed: rows carry a NOT NULL `workspace_id`; sharded by it and co-located with every other
  distributed table, so one workspace's rows of all tables share a node.
- reference: no workspace, but a distributed table (or another reference table) refers to it:
  copied to every node, so the reference and a join with it stay on the node.
- local: the rest stay on the coordinator; so does a table whose workspace may be empty (the audit
  log keeps platform events, such as sign-ins, that belong to no workspace).
"""

from __future__ import annotations

from dataclasses import dataclass

from cxm.db.fields import WORKSPACE_COLUMN

DISTRIBUTED = "distributed"
REFERENCE = "reference"
LOCAL = "local"


@dataclass(frozen=True)
class Placement:
    table: str
    kind: str  # DISTRIBUTED, REFERENCE or LOCAL


def tables_with_workspace(cursor) -> dict[str, bool]:
    """Each table (not a partition) with a workspace_id column, and whether it may be empty."""
    cursor.execute(
        "SELECT c.relname, NOT a.attnotnull FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
        "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') "
        "AND NOT c.relispartition AND a.attname = %s AND NOT a.attisdropped",
        [WORKSPACE_COLUMN],
    )
    return dict(cursor.fetchall())


def references(cursor) -> list[tuple[str, str]]:
    """(from table, to table) of every foreign key in the schema."""
    cursor.execute(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
    )
    return cursor.fetchall()


def placements(cursor) -> list[Placement]:
    cursor.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
        "AND relkind IN ('r', 'p') AND NOT relispartition"
    )
    tables = {row[0] for row in cursor.fetchall()}
    workspace = tables_with_workspace(cursor)
    distributed = {table for table, nullable in workspace.items() if not nullable}
    edges = references(cursor)
    reference: set[str] = set()
    sources = set(distributed)
    while sources:
        # A reference table may refer only to reference tables: follow the arrows to the end.
        found = {target for source, target in edges if source in sources} - distributed - reference
        reference |= found
        sources = found
    kinds = {table: LOCAL for table in tables}
    kinds.update({table: REFERENCE for table in reference})
    kinds.update({table: DISTRIBUTED for table in distributed})
    return sorted((Placement(table, kind) for table, kind in kinds.items()), key=lambda p: (p.kind, p.table))
