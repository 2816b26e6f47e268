"""Django's PostgreSQL backend, told that a tenant table's primary key is (workspace_id, id).

Django groups an aggregate's rows by the model's `id` alone and lets PostgreSQL infer the other
columns from the primary key. PostgreSQL infers them only from the whole key, which on a tenant
table holds the workspace too (docs/scale-out.md), so for those models Django groups by every
selected column instead.
"""

from django.db.backends.postgresql import base, features

from cxm.db.citus import is_distributed


class DatabaseFeatures(features.DatabaseFeatures):
    def allows_group_by_selected_pks_on_model(self, model):
        return super().allows_group_by_selected_pks_on_model(model) and not is_distributed(model)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
