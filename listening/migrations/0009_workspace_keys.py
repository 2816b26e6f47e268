"""Lead the keys with the workspace: the references from this app's tables to other tenant rows
become composite `(workspace_id, x_id) -> (workspace_id, id)` (WorkspaceReferences drops the plain
ones, WorkspaceKeys makes these), unique constraints gain the workspace, and each tenant table's
primary key becomes `(workspace_id, id)`. It runs before the same step of the apps it refers to
(`run_before`), as their keys can change only once no plain reference to them is left.
See docs/scale-out.md for the lock each step takes."""

from django.conf import settings
from django.db import migrations, models

from cxm.db.citus import WorkspaceKeys, WorkspaceReferences


class Migration(migrations.Migration):
    dependencies = [
        ("listening", "0008_mention_search_text"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    run_before = [
        ("tenancy", "0005_workspace_keys"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="alert",
            name="alert_once_per_day",
        ),
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.UniqueConstraint(
                fields=("workspace", "topic", "kind", "day"), name="alert_once_per_day"
            ),
        ),
        WorkspaceReferences(
            {
                "alert": ["topic"],
                "dictionaryentry": ["brand"],
                "topic": ["brand"],
            }
        ),
        WorkspaceKeys(),
    ]
