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


class Migration(migrations.Migration):
    dependencies = [
        ("ads", "0005_comment_alert_webhook_secret_rotation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    run_before = [
        ("publishing", "0006_workspace_keys"),
        ("channels", "0009_workspace_keys"),
        ("tenancy", "0005_workspace_keys"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="adcampaign",
            name="ads_campaign_extid",
        ),
        migrations.RemoveConstraint(
            model_name="adcommentalert",
            name="ads_comment_alert_once",
        ),
        migrations.RemoveConstraint(
            model_name="adinsight",
            name="ads_insight_once",
        ),
        migrations.RemoveConstraint(
            model_name="campaignstop",
            name="ads_stop_once",
        ),
        migrations.RemoveConstraint(
            model_name="compliancewaiver",
            name="ads_waiver_once",
        ),
        migrations.RemoveConstraint(
            model_name="variant",
            name="ads_variant_once",
        ),
        migrations.AlterField(
            model_name="adaccountstate",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="ads_state",
                to="channels.channelaccount",
            ),
        ),
        migrations.AddConstraint(
            model_name="adaccountstate",
            constraint=models.UniqueConstraint(
                fields=("workspace", "account"), name="ads_account_state_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="adcampaign",
            constraint=models.UniqueConstraint(
                condition=models.Q(("external_id", ""), _negated=True),
                fields=("workspace", "account", "external_id"),
                name="ads_campaign_extid",
            ),
        ),
        migrations.AddConstraint(
            model_name="adcommentalert",
            constraint=models.UniqueConstraint(
                fields=("workspace", "ad", "day"), name="ads_comment_alert_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="adinsight",
            constraint=models.UniqueConstraint(
                fields=("workspace", "ad", "date", "hour"), name="ads_insight_once", nulls_distinct=False
            ),
        ),
        migrations.AddConstraint(
            model_name="campaignstop",
            constraint=models.UniqueConstraint(
                fields=("workspace", "pause", "campaign"), name="ads_stop_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="compliancewaiver",
            constraint=models.UniqueConstraint(
                fields=("workspace", "variant", "rule_id"), name="ads_waiver_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="variant",
            constraint=models.UniqueConstraint(
                fields=("workspace", "template", "campaign", "key"),
                name="ads_variant_once",
                nulls_distinct=False,
            ),
        ),
        WorkspaceReferences(
            {
                "ad": ["ad_set", "campaign", "held_by_pause"],
                "adcampaign": ["account", "brand", "business_unit", "held_by_pause", "stopped_by_pause"],
                "adcommentalert": ["ad", "campaign"],
                "adinsight": ["ad", "ad_set", "campaign"],
                "adset": ["campaign", "held_by_pause"],
                "campaignstop": ["campaign", "pause"],
                "compliancewaiver": ["variant"],
                "optimizerproposal": ["campaign"],
                "variant": ["ad", "ad_set", "campaign", "feed", "template"],
            }
        ),
        WorkspaceKeys(),
    ]
