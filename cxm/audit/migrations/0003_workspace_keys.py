"""Lead the audit exports' primary key with the workspace (docs/scale-out.md). The audit log itself
stays keyed by id: it keeps platform events without a workspace, on the coordinator."""

from django.db import migrations

from cxm.db.citus import WorkspaceKeys


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]

    operations = [WorkspaceKeys()]
