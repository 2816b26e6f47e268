"""Lead the keys with the workspace: the references from this app's tables to other tenant rows
become composite `(workspace_id, x_id) -> (workspace_id, id)` (WorkspaceKeys makes them, after
Django drops the plain ones), unique constraints gain the workspace, and each tenant table's
primary key becomes `(workspace_id, id)`. It runs before the same step of the apps it refers to
(`run_before`), as their keys can change only once no plain reference to them is left.
See docs/scale-out.md for the lock each step takes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from cxm.db.citus import WorkspaceKeys


class Migration(migrations.Migration):
    dependencies = [
        ("listening", "0007_mention_answer_reason"),
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
        migrations.AlterField(
            model_name="alert",
            name="topic",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="alerts",
                to="listening.topic",
            ),
        ),
        migrations.AlterField(
            model_name="dictionaryentry",
            name="brand",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tenancy.brand",
            ),
        ),
        migrations.AlterField(
            model_name="topic",
            name="brand",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="tenancy.brand",
            ),
        ),
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.UniqueConstraint(
                fields=("workspace", "topic", "kind", "day"), name="alert_once_per_day"
            ),
        ),
        WorkspaceKeys(),
    ]
