from django.db import migrations, models

import cxm.encryption

STATUS_CHOICES = [
    ("none", "Not configured"),
    ("pending", "Pending"),
    ("sent", "Sent"),
    ("failed", "Failed"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("ads", "0003_comment_guard_alerts"),
    ]

    operations = [
        migrations.AddField(
            model_name="adcampaign",
            name="comment_alert_webhook_secret",
            field=cxm.encryption.EncryptedJSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="adcampaign",
            name="comment_guard_pauses",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="adcommentalert",
            name="email_status",
            field=models.CharField(choices=STATUS_CHOICES, default="none", max_length=8),
        ),
        migrations.AddField(
            model_name="adcommentalert",
            name="emailed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="adcommentalert",
            name="email_error",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="adcommentalert",
            name="webhook_status",
            field=models.CharField(choices=STATUS_CHOICES, default="none", max_length=8),
        ),
        migrations.AddField(
            model_name="adcommentalert",
            name="webhook_delivered_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="adcommentalert",
            name="webhook_error",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="adcommentalert",
            name="delivery_attempts",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="adcommentalert",
            name="delivery_lease_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="adcommentalert",
            name="delivery_retry_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
