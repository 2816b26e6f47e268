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
        ("care", "0003_message_platform_deletion"),
    ]
    run_before = [
        ("customers", "0004_workspace_keys"),
        ("channels", "0009_workspace_keys"),
        ("tenancy", "0005_workspace_keys"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="business_unit",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="tenancy.businessunit",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="case_type",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="care.casetype",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="channel_account",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="channels.channelaccount",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="customer",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="customers.customerprofile",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="queue",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="care.queue",
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="case",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="care.case",
            ),
        ),
        migrations.AlterField(
            model_name="csatresponse",
            name="case",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="care.case",
            ),
        ),
        migrations.AlterField(
            model_name="csatresponse",
            name="customer",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="customers.customerprofile",
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="author_identity",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="customers.identity",
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="case",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="messages",
                to="care.case",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="case",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="care.case",
            ),
        ),
        WorkspaceKeys(),
    ]
