"""Where each table goes when the database is spread over Citus nodes by workspace, read from the
database's catalogue (so listening's tables made in SQL count as well as the models' tables).

- distributed: rows carry a NOT NULL `workspace_id`; sharded by it and co-located with every other
  distributed table, so one workspace's rows of all tables share a node.
- reference: no workspace, but a distributed table (or another reference table) refers to it:
  copied to every node, so the reference and a join with it stay on the node. Memberships too,
  though they carry a workspace: few, seldom written, and read by person across workspaces on
  every page (the workspace switcher), which a shard by workspace could answer only from all.
- local: the rest stay on the coordinator; so does a table whose workspace may be empty (the audit
  log keeps platform events, such as sign-ins, that belong to no workspace).
"""

from __future__ import annotations

from dataclasses import dataclass

from cxm.db.fields import WORKSPACE_COLUMN

DISTRIBUTED = "distributed"
REFERENCE = "reference"
LOCAL = "local"


REFERENCE_BY_CHOICE = frozenset({"tenancy_membership"})


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
    distributed = {table for table, nullable in workspace.items() if not nullable} - REFERENCE_BY_CHOICE
    edges = references(cursor)
    reference = set(REFERENCE_BY_CHOICE & tables)
    sources = set(distributed) | reference
    while sources:
        # A reference table may refer only to reference tables: follow the arrows to the end.
        found = {target for source, target in edges if source in sources} - distributed - reference
        reference |= found
        sources = found
    kinds = dict.fromkeys(tables, LOCAL)
    kinds.update(dict.fromkeys(reference, REFERENCE))
    kinds.update(dict.fromkeys(distributed, DISTRIBUTED))
    return sorted((Placement(table, kind) for table, kind in kinds.items()), key=lambda p: (p.kind, p.table))


def _in_reference_order(tables: list[str], edges: list[tuple[str, str]]) -> list[str]:
    """Each table after the tables of the list it refers to (a cycle is broken anywhere)."""
    pending, done, order = sorted(tables), set(), []
    while pending:
        ready = [t for t in pending if all(b in done or b not in tables for a, b in edges if a == t)]
        for table in ready or pending[:1]:
            order.append(table)
            done.add(table)
            pending.remove(table)
    return order


def distribution_sql(cursor) -> list[str]:
    """The statements that spread a migrated database over Citus nodes, in an order Citus
    accepts: reference tables, those referred to first; then the distributed tables, each after
    those it refers to, all co-located with the first; last, local tables that refer to a
    reference table join Citus's metadata on the coordinator."""
    kinds = {placement.table: placement.kind for placement in placements(cursor)}
    edges = [(source, target) for source, target in references(cursor) if source != target]
    of_kind = {
        kind: [t for t, found in kinds.items() if found == kind] for kind in (REFERENCE, DISTRIBUTED, LOCAL)
    }
    statements = [
        f"SELECT create_reference_table('{t}');" for t in _in_reference_order(of_kind[REFERENCE], edges)
    ]
    distributed = _in_reference_order(of_kind[DISTRIBUTED], edges)
    for table in distributed:
        group = "default" if table == distributed[0] else distributed[0]
        statements.append(
            f"SELECT create_distributed_table('{table}', '{WORKSPACE_COLUMN}', colocate_with => '{group}');"
        )
    for table in sorted(of_kind[LOCAL]):
        if any(source == table and kinds[target] == REFERENCE for source, target in edges):
            statements.append(f"SELECT citus_add_local_table_to_metadata('{table}');")
    return statements
