"""Lead the keys with the workspace: the references from this app's tables to other tenant rows
become composite `(workspace_id, x_id) -> (workspace_id, id)` (WorkspaceReferences drops the plain
ones, WorkspaceKeys makes these), unique constraints gain the workspace, and each tenant table's
primary key becomes `(workspace_id, id)`. It runs before the same step of the apps it refers to
(`run_before`), as their keys can change only once no plain reference to them is left.
See docs/scale-out.md for the lock each step takes."""

import django.db.models.deletion
from django.db import migrations, models

from cxm.db.citus import WorkspaceKeys, WorkspaceReferences


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0008_webchat_platform"),
    ]
    run_before = [
        ("tenancy", "0005_workspace_keys"),
    ]

    operations = [
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
        WorkspaceReferences(
            {
                "channelaccount": ["brand", "business_unit"],
                "webchatmessage": ["visitor"],
                "webchatvisitor": ["widget"],
                "webhookdelivery": ["account"],
            }
        ),
        WorkspaceKeys(),
    ]
