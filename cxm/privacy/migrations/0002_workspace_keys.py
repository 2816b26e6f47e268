"""Lead the privacy tables' primary keys with the workspace (docs/scale-out.md)."""

from django.db import migrations

from cxm.db.citus import WorkspaceKeys


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [WorkspaceKeys()]
