"""The migrated schema is ready to be distributed by workspace (docs/scale-out.md): read from the
database's catalogue, every key, unique index and reference of a tenant table holds workspace_id,
no table that stays whole refers to a sharded one, and the plan in the docs is the schema's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

from cxm.db.citus import workspace_links
from cxm.db.plan import DISTRIBUTED, placements, tables_with_workspace

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def _rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _distributed() -> list[str]:
    """Every table whose rows all carry a workspace (memberships too, though copied whole)."""
    with connection.cursor() as cursor:
        return sorted(table for table, nullable in tables_with_workspace(cursor).items() if not nullable)


# Each constraint and unique index with its columns by name, in order (a 0 in indkey is an
# expression and has no name).
CONSTRAINTS = """
SELECT c.conrelid::regclass::text, c.conname, c.contype, c.confrelid::regclass::text,
       ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
       ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)
FROM pg_constraint c WHERE c.connamespace = 'public'::regnamespace AND c.contype IN ('p', 'f')
"""
UNIQUE_INDEXES = """
SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text,
       ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) k(n)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n)
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
WHERE i.indisunique AND c.relnamespace = 'public'::regnamespace AND NOT c.relispartition
"""


def test_the_tenant_tables_are_the_ones_expected():
    tables = _distributed()
    # A sample across the modules, the SQL-made mention tables and the approvers' pairs among them.
    for table in (
        "care_case",
        "listening_mention",
        "listening_mention_key",
        "publishing_approvalrule_approvers",
    ):
        assert table in tables
    assert "tenancy_workspace" not in tables and "audit_auditentry" not in tables


def test_every_tenant_table_has_a_primary_key_led_by_the_workspace():
    keys = {table: columns for table, _name, kind, _t, columns, _c in _rows(CONSTRAINTS) if kind == "p"}
    wrong = {
        table: keys.get(table) for table in _distributed() if (keys.get(table) or [None])[0] != "workspace_id"
    }
    assert wrong == {}


def test_every_unique_index_of_a_tenant_table_holds_the_workspace():
    tenant = set(_distributed())
    wrong = [
        name
        for table, name, columns in _rows(UNIQUE_INDEXES)
        if table in tenant and "workspace_id" not in columns
    ]
    assert wrong == []


def test_every_reference_between_tenant_tables_pairs_the_workspaces():
    tenant = set(_distributed())
    wrong = []
    for table, name, kind, target, columns, target_columns in _rows(CONSTRAINTS):
        if kind != "f" or table not in tenant or target not in tenant:
            continue
        if ("workspace_id", "workspace_id") not in zip(columns, target_columns, strict=True):
            wrong.append(f"{table}.{name}")
    assert wrong == []


def test_every_reference_the_models_declare_between_tenant_rows_is_enforced():
    declared = {
        (field.model._meta.db_table, field.column, field.related_model._meta.db_table)
        for field in workspace_links(apps.get_models(include_auto_created=True))
    }
    enforced = {
        (table, columns[1], target)
        for table, _name, kind, target, columns, target_columns in _rows(CONSTRAINTS)
        if kind == "f" and columns[:1] == ["workspace_id"] and target_columns == ["workspace_id", "id"]
    }
    assert len(declared) > 50
    assert declared - enforced == set()


def test_no_table_that_stays_whole_refers_to_a_sharded_one():
    """Citus keeps a reference from a reference or local table to a distributed one nowhere."""
    with connection.cursor() as cursor:
        kinds = {placement.table: placement.kind for placement in placements(cursor)}
    wrong = [
        f"{table} -> {target}"
        for table, _name, kind, target, _columns, _c in _rows(CONSTRAINTS)
        if kind == "f" and kinds[target] == DISTRIBUTED and kinds[table] != DISTRIBUTED
    ]
    assert wrong == []


def test_the_plan_in_the_docs_is_the_schemas():
    text = (ROOT / "docs" / "scale-out.md").read_text()
    documented = dict(re.findall(r"^\| `(\w+)` \| (distributed|reference|local) ", text, flags=re.MULTILINE))
    with connection.cursor() as cursor:
        schema = {placement.table: placement.kind for placement in placements(cursor)}
    assert documented == schema
