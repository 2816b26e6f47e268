"""Lead the keys with the workspace: the references from this app's tables to other tenant rows
become composite `(workspace_id, x_id) -> (workspace_id, id)` (WorkspaceKeys makes them, after
Django drops the plain ones), unique constraints gain the workspace, and each tenant table's
primary key becomes `(workspace_id, id)`. It runs before the same step of the apps it refers to
(`run_before`), as their keys can change only once no plain reference to them is left.
See docs/scale-out.md for the lock each step takes."""

import django.db.models.deletion
from django.db import migrations, models

from cxm.db.citus import WorkspaceKeys


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_identity_phone"),
    ]

    operations = [
        migrations.AlterField(
            model_name="customermerge",
            name="source",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="customers.customerprofile",
            ),
        ),
        migrations.AlterField(
            model_name="customermerge",
            name="target",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="merges_in",
                to="customers.customerprofile",
            ),
        ),
        migrations.AlterField(
            model_name="customerprofile",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="merged_profiles",
                to="customers.customerprofile",
            ),
        ),
        migrations.AlterField(
            model_name="identity",
            name="profile",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="identities",
                to="customers.customerprofile",
            ),
        ),
        WorkspaceKeys(),
    ]
