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
        ("transformation", "0002_raci_one_accountable"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="assessmentresponse",
            name="transformation_response_once",
        ),
        migrations.AddConstraint(
            model_name="assessmentresponse",
            constraint=models.UniqueConstraint(
                fields=("workspace", "round", "user"), name="transformation_response_once"
            ),
        ),
        WorkspaceReferences(
            {
                "assessmentresponse": ["round"],
            }
        ),
        WorkspaceKeys(),
    ]
