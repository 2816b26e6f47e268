import cxm.encryption
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ads', '0004_comment_alert_delivery'),
    ]

    operations = [
        migrations.AddField(
            model_name='adcampaign',
            name='comment_alert_webhook_previous_secret',
            field=cxm.encryption.EncryptedJSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='adcampaign',
            name='comment_alert_webhook_previous_secret_expires_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
