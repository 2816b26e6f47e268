"""Lead the keys with the workspace: the references from this app's tables to other tenant rows
become composite `(workspace_id, x_id) -> (workspace_id, id)` (WorkspaceReferences drops the plain
ones, WorkspaceKeys makes these), unique constraints gain the workspace, and each tenant table's
primary key becomes `(workspace_id, id)`. It runs before the same step of the apps it refers to
(`run_before`), as their keys can change only once no plain reference to them is left.
See docs/scale-out.md for the lock each step takes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from cxm.db.citus import WorkspaceKeys, WorkspaceReferences

APPROVERS_WORKSPACE = """
ALTER TABLE publishing_approvalrule_approvers ADD COLUMN workspace_id bigint;
UPDATE publishing_approvalrule_approvers p SET workspace_id = r.workspace_id
    FROM publishing_approvalrule r WHERE r.id = p.approvalrule_id;
ALTER TABLE publishing_approvalrule_approvers ALTER COLUMN workspace_id SET NOT NULL;
ALTER TABLE publishing_approvalrule_approvers ADD CONSTRAINT publishing_approvalr_workspace_id_fk_tenancy_w
    FOREIGN KEY (workspace_id) REFERENCES tenancy_workspace (id) DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX publishing_approvalrule_approvers_workspace_id ON publishing_approvalrule_approvers (workspace_id);
ALTER TABLE publishing_approvalrule_approvers DROP CONSTRAINT publishing_approvalr_approvalrule_id_4770228b_fk_publishin;
ALTER TABLE publishing_approvalrule_approvers DROP CONSTRAINT publishing_approvalrule__approvalrule_id_user_id_1710c748_uniq;
"""

APPROVERS_WORKSPACE_REVERSE = """
ALTER TABLE publishing_approvalrule_approvers ADD CONSTRAINT publishing_approvalrule__approvalrule_id_user_id_1710c748_uniq
    UNIQUE (approvalrule_id, user_id);
ALTER TABLE publishing_approvalrule_approvers ADD CONSTRAINT publishing_approvalr_approvalrule_id_4770228b_fk_publishin
    FOREIGN KEY (approvalrule_id) REFERENCES publishing_approvalrule (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE publishing_approvalrule_approvers DROP COLUMN workspace_id;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0005_post_thread"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    run_before = [
        ("channels", "0009_workspace_keys"),
        ("tenancy", "0005_workspace_keys"),
    ]

    operations = [
        # The approvers' pairs table is Django's own; it becomes a model so that each pair can carry
        # the rule's workspace. The table stays; only the column and its constraints change.
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(APPROVERS_WORKSPACE, APPROVERS_WORKSPACE_REVERSE)],
            state_operations=[
                migrations.CreateModel(
                    name="ApprovalRuleApprover",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                    ],
                    options={
                        "db_table": "publishing_approvalrule_approvers",
                    },
                ),
                migrations.AddField(
                    model_name="approvalruleapprover",
                    name="rule",
                    field=models.ForeignKey(
                        db_column="approvalrule_id",
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="publishing.approvalrule",
                    ),
                ),
                migrations.AddField(
                    model_name="approvalruleapprover",
                    name="user",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AddField(
                    model_name="approvalruleapprover",
                    name="workspace",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="tenancy.workspace"
                    ),
                ),
                migrations.AlterField(
                    model_name="approvalrule",
                    name="approvers",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="+",
                        through="publishing.ApprovalRuleApprover",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.RemoveConstraint(
            model_name="posttarget",
            name="post_target_once",
        ),
        migrations.AlterField(
            model_name="approvalrule",
            name="business_unit",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="approval_rule",
                to="tenancy.businessunit",
            ),
        ),
        migrations.AddConstraint(
            model_name="posttarget",
            constraint=models.UniqueConstraint(
                fields=("workspace", "post", "account"), name="post_target_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="approvalrule",
            constraint=models.UniqueConstraint(
                fields=("workspace", "business_unit"), name="approval_rule_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="approvalruleapprover",
            constraint=models.UniqueConstraint(
                fields=("workspace", "rule", "user"), name="approval_rule_approver_once"
            ),
        ),
        WorkspaceReferences(
            {
                "mediaattachment": ["post"],
                "pause": ["account", "business_unit"],
                "post": ["campaign"],
                "postcomment": ["post"],
                "posttarget": ["account", "held_by_pause", "post"],
            }
        ),
        WorkspaceKeys(),
    ]
