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
        ("channels", "0008_webchat_platform"),
    ]
    run_before = [
        ("tenancy", "0005_workspace_keys"),
    ]

    operations = [
        migrations.AlterField(
            model_name="channelaccount",
            name="brand",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenancy.brand",
            ),
        ),
        migrations.AlterField(
            model_name="channelaccount",
            name="business_unit",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenancy.businessunit",
            ),
        ),
        migrations.AlterField(
            model_name="webchatmessage",
            name="visitor",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="messages",
                to="channels.webchatvisitor",
            ),
        ),
        migrations.AlterField(
            model_name="webchatvisitor",
            name="public_id",
            field=models.CharField(max_length=40),
        ),
        migrations.AlterField(
            model_name="webchatvisitor",
            name="token_hash",
            field=models.CharField(max_length=64),
        ),
        migrations.AlterField(
            model_name="webchatvisitor",
            name="widget",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="channels.webchatwidget",
            ),
        ),
        migrations.AlterField(
            model_name="webchatwidget",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="channels.channelaccount",
            ),
        ),
        migrations.AlterField(
            model_name="webchatwidget",
            name="key",
            field=models.CharField(db_index=True, max_length=40),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="channels.channelaccount",
            ),
        ),
        migrations.AddConstraint(
            model_name="webchatvisitor",
            constraint=models.UniqueConstraint(
                fields=("workspace", "public_id"), name="webchat_visitor_public_id_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="webchatvisitor",
            constraint=models.UniqueConstraint(
                fields=("workspace", "token_hash"), name="webchat_visitor_token_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="webchatwidget",
            constraint=models.UniqueConstraint(
                fields=("workspace", "account"), name="webchat_widget_account_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="webchatwidget",
            constraint=models.UniqueConstraint(fields=("workspace", "key"), name="webchat_widget_key_once"),
        ),
        WorkspaceKeys(),
    ]
