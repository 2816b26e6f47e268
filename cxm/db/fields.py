"""A foreign key between two rows of one workspace.

Each tenant table's primary key is `(workspace_id, id)` in the database (Citus shards by
workspace, and a key or a reference must carry the shard's column), so a reference from one tenant
row to another is the composite `(workspace_id, x_id) REFERENCES t (workspace_id, id)`. Django
cannot declare that, so the field leaves the database constraint to `cxm.db.citus.WorkspaceKeys`
(`db_constraint=False`) and adds the workspace to every join it makes: `select_related("case")`
reads `... JOIN care_case ON m.case_id = care_case.id AND care_case.workspace_id = m.workspace_id`,
which keeps both rows on one shard and lets the planner use the `(workspace_id, id)` key.
"""

from __future__ import annotations

from django.db import models
from django.db.models.fields.related_descriptors import (
    ForwardManyToOneDescriptor,
    ForwardOneToOneDescriptor,
    ReverseManyToOneDescriptor,
    ReverseOneToOneDescriptor,
)
from django.db.models.lookups import Exact
from django.utils.functional import cached_property

WORKSPACE_COLUMN = "workspace_id"


def workspace_field(model) -> models.Field | None:
    """The field holding a model's workspace, if it has one (a ForeignKey or a plain integer)."""
    for field in model._meta.concrete_fields:
        if field.column == WORKSPACE_COLUMN:
            return field
    return None


# Fetching through the relation (`message.case`, `case.messages.all()`, prefetches) names the
# workspace too, so each statement carries the distribution column and goes to one node.


def _same_workspace(instances) -> dict:
    return {f"{WORKSPACE_COLUMN}__in": {instance.workspace_id for instance in instances}}


class _ForwardDescriptor(ForwardManyToOneDescriptor):
    def get_prefetch_querysets(self, instances, querysets=None):
        queryset = querysets[0] if querysets else self.get_queryset()
        return super().get_prefetch_querysets(instances, [queryset.filter(**_same_workspace(instances))])


class _ForwardOneToOneDescriptor(ForwardOneToOneDescriptor, _ForwardDescriptor):
    pass


class _ReverseDescriptor(ReverseManyToOneDescriptor):
    @cached_property
    def related_manager_cls(self):
        base = super().related_manager_cls

        class WorkspaceRelatedManager(base):
            def __init__(self, instance):
                super().__init__(instance)
                self.core_filters[WORKSPACE_COLUMN] = instance.workspace_id

            def get_prefetch_querysets(self, instances, querysets=None):
                queryset = querysets[0] if querysets else self.model._default_manager.all()
                return super().get_prefetch_querysets(
                    instances, [queryset.filter(**_same_workspace(instances))]
                )

        return WorkspaceRelatedManager


class _ReverseOneToOneDescriptor(ReverseOneToOneDescriptor):
    def get_prefetch_querysets(self, instances, querysets=None):
        queryset = querysets[0] if querysets else self.get_queryset()
        return super().get_prefetch_querysets(instances, [queryset.filter(**_same_workspace(instances))])


class _SameWorkspace:
    def get_extra_restriction(self, alias, related_alias):
        # `alias` is the referenced table's, `related_alias` this field's model's, whichever
        # direction the join runs. Django passes no alias when it pushes a join into a subquery
        # (an exclude() across a relation); the subquery is then filtered by id alone.
        if alias is None or related_alias is None:
            return None
        target, source = workspace_field(self.related_model), workspace_field(self.model)
        return Exact(target.get_col(alias), source.get_col(related_alias))

    def get_extra_descriptor_filter(self, instance):
        # `message.case` reads the case of the message's workspace.
        return {WORKSPACE_COLUMN: instance.workspace_id}


class WorkspaceForeignKey(_SameWorkspace, models.ForeignKey):
    forward_related_accessor_class = _ForwardDescriptor
    related_accessor_class = _ReverseDescriptor

    def __init__(self, *args, **kwargs):
        kwargs["db_constraint"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        # Migrations record a plain ForeignKey without a database constraint: the composite
        # constraint is their own operation, and old migrations never import this module.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.ForeignKey", args, kwargs


class WorkspaceOneToOneField(_SameWorkspace, models.OneToOneField):
    """One row per referenced row, like a OneToOneField, but unique within the workspace: the model
    declares `UniqueConstraint(fields=["workspace", <this field>])`, as a column unique on its own
    could not be kept across shards."""

    forward_related_accessor_class = _ForwardOneToOneDescriptor
    related_accessor_class = _ReverseOneToOneDescriptor

    def __init__(self, *args, **kwargs):
        kwargs["db_constraint"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        # To migrations, and so to the database, it is an indexed foreign key column: the ORM
        # keeps treating it as unique (select_related follows it backwards), the database keeps
        # the model's (workspace, field) constraint instead of a unique column.
        name, _path, args, kwargs = models.ForeignKey.deconstruct(self)
        kwargs.pop("unique", None)
        return name, "django.db.models.ForeignKey", args, kwargs
