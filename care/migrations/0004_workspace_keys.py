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
        ("care", "0003_message_platform_deletion"),
    ]
    run_before = [
        ("customers", "0004_workspace_keys"),
        ("channels", "0009_workspace_keys"),
        ("tenancy", "0005_workspace_keys"),
    ]

    operations = [
        WorkspaceReferences(
            {
                "case": ["business_unit", "case_type", "channel_account", "customer", "queue"],
                "caseevent": ["case"],
                "csatresponse": ["case", "customer"],
                "message": ["author_identity", "case"],
                "notification": ["case"],
            }
        ),
        WorkspaceKeys(),
    ]
