"""A model that would stop the schema from being spread by workspace fails `manage.py check` (and
so `migrate` and the test suite) with the reason, before any table is made."""

from __future__ import annotations

from django.apps import apps
from django.core import checks
from django.db.models import F

from cxm.db.citus import is_distributed
from cxm.db.fields import WORKSPACE_COLUMN, WorkspaceForeignKey, WorkspaceOneToOneField

SEE = "See docs/scale-out.md."


def _constraint_columns(model, constraint) -> set[str] | None:
    """The columns of a unique constraint, or None for one over expressions that names none."""
    names = set(getattr(constraint, "fields", ()) or ())
    pending = list(getattr(constraint, "expressions", ()) or ())
    while pending:
        expression = pending.pop()
        if isinstance(expression, F):
            names.add(expression.name)
        elif hasattr(expression, "get_source_expressions"):
            pending.extend(expression.get_source_expressions())
    return {model._meta.get_field(name).column for name in names if name} or None


def _model_errors(model) -> list[checks.Error]:
    errors = []
    label = model._meta.label
    for field in model._meta.local_fields:
        linked = (field.many_to_one or field.one_to_one) and field.column != WORKSPACE_COLUMN
        if (
            linked
            and is_distributed(field.related_model)
            and not isinstance(field, WorkspaceForeignKey | WorkspaceOneToOneField)
        ):
            errors.append(
                checks.Error(
                    f"{label}.{field.name} refers to another tenant model with a plain {type(field).__name__}.",
                    hint="Declare it as cxm.db.fields.WorkspaceForeignKey (or WorkspaceOneToOneField) "
                    f"and add a WorkspaceKeys() operation to the app's migration. {SEE}",
                    obj=model,
                    id="cxm_db.E001",
                )
            )
        if field.unique and not field.primary_key and not isinstance(field, WorkspaceOneToOneField):
            errors.append(
                checks.Error(
                    f"{label}.{field.name} is unique across workspaces.",
                    hint=f"Use UniqueConstraint(fields=['workspace', '{field.name}']) in Meta. {SEE}",
                    obj=model,
                    id="cxm_db.E002",
                )
            )
    uniques = [c for c in model._meta.constraints if hasattr(c, "fields") or hasattr(c, "expressions")]
    uniques = [c for c in uniques if type(c).__name__ == "UniqueConstraint"]
    for constraint in uniques:
        columns = _constraint_columns(model, constraint)
        if columns is not None and WORKSPACE_COLUMN not in columns:
            errors.append(
                checks.Error(
                    f"{label}'s constraint {constraint.name} leaves out the workspace.",
                    hint=f"Add 'workspace' to its fields. {SEE}",
                    obj=model,
                    id="cxm_db.E003",
                )
            )
    for together in model._meta.unique_together:
        if "workspace" not in together and WORKSPACE_COLUMN not in together:
            errors.append(
                checks.Error(
                    f"{label}'s unique_together {together} leaves out the workspace.",
                    hint=f"Add 'workspace' to it. {SEE}",
                    obj=model,
                    id="cxm_db.E003",
                )
            )
    for field in model._meta.local_many_to_many:
        if field.remote_field.through._meta.auto_created:
            errors.append(
                checks.Error(
                    f"{label}.{field.name} keeps its pairs in a table without a workspace.",
                    hint=f"Give it a through model that is WorkspaceOwned. {SEE}",
                    obj=model,
                    id="cxm_db.E004",
                )
            )
    return errors


def tenant_keys_check(app_configs=None, **kwargs) -> list[checks.Error]:
    models_ = (
        [model for config in app_configs for model in config.get_models()]
        if app_configs
        else apps.get_models()
    )
    errors = []
    for model in models_:
        if is_distributed(model) and model._meta.managed:
            errors.extend(_model_errors(model))
    return errors
