"""The migration operations that make tenant tables' keys ready for Citus (docs/scale-out.md);
`cxm.db.plan` says where each table goes.

A tenant table is one whose rows carry a NOT NULL `workspace_id`: Citus distributes it by that
column, co-located with every other tenant table, so one workspace's rows of all tables live on
one node. Citus keeps a primary key, a unique constraint or a foreign key only within a shard, so
each must contain the distribution column: the primary key becomes `(workspace_id, id)` and a
reference between tenant rows `(workspace_id, x_id) REFERENCES t (workspace_id, id)`. Django keeps
`id` as the model's primary key; every query it makes by id still finds one row, as ids come from
one sequence per table.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.migrations.operations.base import Operation
from django.utils.module_loading import import_string

from cxm.db.fields import WORKSPACE_COLUMN, workspace_field


def is_distributed(model) -> bool:
    """A tenant model: its rows carry a workspace that is never empty."""
    field = workspace_field(model)
    return field is not None and not field.null


def workspace_links(models_: Iterable) -> list[models.ForeignKey]:
    """The foreign keys from one tenant model to another, each kept as a composite reference."""
    links = []
    for model in models_:
        if not is_distributed(model):
            continue
        for field in model._meta.local_concrete_fields:
            linked = (field.many_to_one or field.one_to_one) and field.column != WORKSPACE_COLUMN
            if linked and is_distributed(field.related_model):
                links.append(field)
    return links


def _tables(apps) -> list:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


# -- the migration operation -------------------------------------------------------------------


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _primary_key(cursor, table: str) -> tuple[str, list[str]] | None:
    cursor.execute(
        "SELECT c.conname, array_agg(a.attname ORDER BY k.ordinality) FROM pg_constraint c "
        "CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY k(attnum, ordinality) "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum "
        "WHERE c.conrelid = %s::regclass AND c.contype = 'p' GROUP BY c.conname",
        [table],
    )
    row = cursor.fetchone()
    return (row[0], list(row[1])) if row else None


def _references_to(cursor, table: str) -> list[tuple[str, str]]:
    """(table, constraint) of each foreign key pointing at `table`."""
    cursor.execute(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint "
        "WHERE contype = 'f' AND confrelid = %s::regclass",
        [table],
    )
    return cursor.fetchall()


def valid_index(cursor, name: str) -> bool:
    cursor.execute(
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = %s AND c.relnamespace = 'public'::regnamespace",
        [name],
    )
    row = cursor.fetchone()
    return bool(row and row[0])


def prepared_index_names(table: str) -> tuple[str, str]:
    """The unique (workspace_id, id) index that becomes the primary key, and the index on id that
    keeps lookups by id alone (prefetches, a task's reload) fast; `citus_prepare_keys` builds both
    without locking writes before the migration runs."""
    return f"{table[:50]}_ws_id_key", f"{table[:54]}_id_idx"


def key_with_workspace(cursor, table: str) -> None:
    pk = _primary_key(cursor, table)
    if pk is None or pk[1][:1] == [WORKSPACE_COLUMN]:
        return
    name, _columns = pk
    unique, by_id = prepared_index_names(table)
    for source, constraint in _references_to(cursor, table):
        # Every reference between tenant tables was made composite (or dropped, to be made
        # composite) by the migrations of the tables above; a plain one left over would lose
        # its target here.
        raise RuntimeError(
            f"{source}.{constraint} still refers to {table}(id): declare the field as a "
            "WorkspaceForeignKey and migrate its app first (docs/scale-out.md)"
        )
    if not valid_index(cursor, by_id):
        cursor.execute(f"DROP INDEX IF EXISTS {quote(by_id)}")
        cursor.execute(f"CREATE INDEX {quote(by_id)} ON {quote(table)} (id)")
    if valid_index(cursor, unique):
        new_key = f"PRIMARY KEY USING INDEX {quote(unique)}"
    else:
        cursor.execute(f"DROP INDEX IF EXISTS {quote(unique)}")
        new_key = f"PRIMARY KEY ({WORKSPACE_COLUMN}, id)"
    cursor.execute(
        f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}, ADD CONSTRAINT {quote(name)} {new_key}"
    )


def key_by_id(cursor, table: str) -> None:
    pk = _primary_key(cursor, table)
    if pk is None or pk[1] == ["id"]:
        return
    for source, constraint in _references_to(cursor, table):
        cursor.execute(f"ALTER TABLE {quote(source)} DROP CONSTRAINT {quote(constraint)}")
    _unique, by_id = prepared_index_names(table)
    cursor.execute(
        f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(pk[0])}, "
        f"ADD CONSTRAINT {quote(pk[0])} PRIMARY KEY (id)"
    )
    cursor.execute(f"DROP INDEX IF EXISTS {quote(by_id)}")


def reference_name(schema_editor, field) -> str:
    return schema_editor._create_index_name(
        field.model._meta.db_table, [WORKSPACE_COLUMN, field.column], "_ws_fk"
    )


def _constraint_exists(cursor, table: str, name: str) -> bool:
    cursor.execute(
        "SELECT 1 FROM pg_constraint WHERE conrelid = %s::regclass AND conname = %s", [table, name]
    )
    return cursor.fetchone() is not None


def reference_with_workspace(schema_editor, cursor, field) -> None:
    source, target = field.model._meta.db_table, field.related_model._meta.db_table
    name = reference_name(schema_editor, field)
    pk = _primary_key(cursor, target)
    if _constraint_exists(cursor, source, name) or pk is None or pk[1][:1] != [WORKSPACE_COLUMN]:
        return  # made already, or made by the target's own migration once its key is ready
    column = field.column
    # Identifiers come from the models, quoted; nothing here is input.
    cursor.execute(
        f"SELECT count(*) FROM {quote(source)} s JOIN {quote(target)} t ON t.id = s.{quote(column)} "  # noqa: S608
        f"WHERE t.{WORKSPACE_COLUMN} <> s.{WORKSPACE_COLUMN}"
    )
    crossing = cursor.fetchone()[0]
    if crossing:
        raise RuntimeError(
            f"{source}.{column}: {crossing} row(s) refer to a row of another workspace in {target}; "
            "correct them before this migration"
        )
    # Deferred to the commit, like Django's own references: a deletion cascading through the ORM
    # deletes children and parents in one transaction in whatever order it likes.
    cursor.execute(
        f"ALTER TABLE {quote(source)} ADD CONSTRAINT {quote(name)} "
        f"FOREIGN KEY ({WORKSPACE_COLUMN}, {quote(column)}) "
        f"REFERENCES {quote(target)} ({WORKSPACE_COLUMN}, id) DEFERRABLE INITIALLY DEFERRED"
    )


class WorkspaceKeys(Operation):
    """Lead the primary key of each of this app's tenant tables with workspace_id, and make each
    reference from or to them between tenant tables composite. Reads the models of the migration
    state, so a later migration with this operation covers the tables and fields added since;
    what is already in place is left alone."""

    reversible = True
    reduces_to_sql = False

    def deconstruct(self):
        return self.__class__.__name__, [], {}

    def state_forwards(self, app_label, state):
        pass

    def _work(self, apps, app_label):
        own = [
            model for model in _tables(apps) if model._meta.app_label == app_label and is_distributed(model)
        ]
        own_tables = {model._meta.db_table for model in own}
        links = [
            field
            for field in workspace_links(_tables(apps))
            if field.model._meta.db_table in own_tables or field.related_model._meta.db_table in own_tables
        ]
        return own, links

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        own, links = self._work(to_state.apps, app_label)
        with schema_editor.connection.cursor() as cursor:
            for model in own:
                key_with_workspace(cursor, model._meta.db_table)
            for field in links:
                reference_with_workspace(schema_editor, cursor, field)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        own, links = self._work(from_state.apps, app_label)
        with schema_editor.connection.cursor() as cursor:
            for field in links:
                name = reference_name(schema_editor, field)
                cursor.execute(
                    f"ALTER TABLE {quote(field.model._meta.db_table)} DROP CONSTRAINT IF EXISTS {quote(name)}"
                )
            for model in own:
                key_by_id(cursor, model._meta.db_table)

    def describe(self):
        return "Lead tenant tables' primary keys and references between them with workspace_id"

    @property
    def migration_name_fragment(self):
        return "workspace_keys"


class WorkspaceReferences(Operation):
    """Turn these foreign keys (`{model_name: [field names]}`) into references Django leaves to the
    database (`db_constraint=False`, as `WorkspaceForeignKey` declares them) and drop their plain
    constraints; `WorkspaceKeys` then makes the composite ones. One operation for the lot, as an
    AlterField per field would re-render the related models once each."""

    reversible = True
    reduces_to_sql = False

    def __init__(self, fields: dict[str, list[str]]):
        self.fields = fields

    def deconstruct(self):
        return self.__class__.__name__, [self.fields], {}

    def _pairs(self):
        return [(model_name, name) for model_name, names in self.fields.items() for name in names]

    def state_forwards(self, app_label, state):
        for model_name, name in self._pairs():
            key = app_label, model_name
            fields = state.models[key].fields
            _name, path, args, kwargs = fields[name].deconstruct()
            field = import_string(path)(*args, **{**kwargs, "db_constraint": False})
            # What ProjectState.alter_field does, less its reload of the related models per field.
            if state._relations is not None:
                state.resolve_model_field_relations(key, name, fields.pop(name))
                fields[name] = field
                state.resolve_model_field_relations(key, name, field)
            else:
                fields[name] = field
        state.reload_models([(app_label, model_name) for model_name in self.fields], delay=False)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for model_name, name in self._pairs():
            model = from_state.apps.get_model(app_label, model_name)
            column = model._meta.get_field(name).column
            for constraint in schema_editor._constraint_names(model, [column], foreign_key=True):
                schema_editor.execute(schema_editor._delete_fk_sql(model, constraint))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for model_name, name in self._pairs():
            model = to_state.apps.get_model(app_label, model_name)
            field = model._meta.get_field(name)
            schema_editor.execute(
                schema_editor._create_fk_sql(model, field, "_fk_%(to_table)s_%(to_column)s")
            )

    def describe(self):
        return f"Leave the references of {', '.join(self.fields)} to WorkspaceKeys"
