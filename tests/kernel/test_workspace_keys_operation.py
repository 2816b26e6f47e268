"""The migration operation that leads keys with the workspace: it goes back and forth, it uses the
indexes `citus_prepare_keys` builds beforehand, and it stops on a row that refers into another
workspace instead of carrying it over."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from cxm.db.citus import WorkspaceKeys, prepared_index_names, reference_name, reference_with_workspace
from cxm.tenancy.models import Brand
from tests.factories import BrandFactory, BusinessUnitFactory

pytestmark = pytest.mark.django_db

STATE = SimpleNamespace(apps=apps)


def _key(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_constraint c CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY k(n, i) "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n "
            "WHERE c.conrelid = %s::regclass AND c.contype = 'p' ORDER BY k.i",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def _references(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' AND conrelid = %s::regclass "
            "AND confrelid = 'transformation_assessmentround'::regclass",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def test_the_operation_goes_back_to_keys_by_id_and_forward_again():
    operation = WorkspaceKeys()
    with connection.schema_editor() as editor:
        operation.database_backwards("transformation", editor, STATE, STATE)
    assert _key("transformation_assessmentround") == ["id"]
    assert _references("transformation_assessmentresponse") == []

    with connection.schema_editor() as editor:
        operation.database_forwards("transformation", editor, STATE, STATE)
    assert _key("transformation_assessmentround") == ["workspace_id", "id"]
    assert _references("transformation_assessmentresponse") == [
        "FOREIGN KEY (workspace_id, round_id) REFERENCES transformation_assessmentround(workspace_id, id) "
        "DEFERRABLE INITIALLY DEFERRED"
    ]


def test_a_prepared_index_becomes_the_primary_key():
    operation = WorkspaceKeys()
    with connection.schema_editor() as editor:
        operation.database_backwards("transformation", editor, STATE, STATE)
    unique, _by_id = prepared_index_names("transformation_roicase")
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE UNIQUE INDEX "{unique}" ON transformation_roicase (workspace_id, id)')
    with connection.schema_editor() as editor:
        operation.database_forwards("transformation", editor, STATE, STATE)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text FROM pg_index "
            "WHERE indrelid = 'transformation_roicase'::regclass AND indisunique"
        )
        assert [row[0] for row in cursor.fetchall()] == ["transformation_roicase_pkey"]
    assert _key("transformation_roicase") == ["workspace_id", "id"]


def test_a_row_referring_into_another_workspace_stops_the_migration_with_the_count(workspace_a, workspace_b):
    unit = BusinessUnitFactory(workspace=workspace_a, name="Beverages")
    brand = BrandFactory(workspace=workspace_a, business_unit=unit, name="Kopi")
    field = Brand._meta.get_field("business_unit")
    with connection.schema_editor() as editor, connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check the rows made so far, so the table may change
        cursor.execute(f'ALTER TABLE tenancy_brand DROP CONSTRAINT "{reference_name(editor, field)}"')
        # The bug the composite reference rules out: a brand of one workspace in another's unit.
        cursor.execute("UPDATE tenancy_brand SET workspace_id = %s WHERE id = %s", [workspace_b.pk, brand.pk])
        with pytest.raises(RuntimeError, match=re.escape("tenancy_brand.business_unit_id: 1 row(s) refer")):
            reference_with_workspace(editor, cursor, field)
