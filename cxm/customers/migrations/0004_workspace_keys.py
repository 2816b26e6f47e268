"""Lead the keys with the workspace: the references from this app's tables to other tenant rows
become composite `(workspace_id, x_id) -> (workspace_id, id)` (WorkspaceReferences drops the plain
ones, WorkspaceKeys makes these), unique constraints gain the workspace, and each tenant table's
primary key becomes `(workspace_id, id)`. It runs before the same step of the apps it refers to
(`run_before`), as their keys can change only once no plain reference to them is left.
See docs/scale-out.md for the lock each step takes."""

from django.db import migrations

from cxm.db.citus import WorkspaceKeys, WorkspaceReferences


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_identity_phone"),
    ]

    operations = [
        WorkspaceReferences(
            {
                "customermerge": ["source", "target"],
                "customerprofile": ["merged_into"],
                "identity": ["profile"],
            }
        ),
        WorkspaceKeys(),
    ]
