"""An identity's phone number (E.164) as evidence for linking profiles, like its email address.

WhatsApp identities stored before carry their number in `platform_id` ("+<wa_id>"): it is copied
into `phone` (the same rule as cxm.customers.evidence.evidence_phone), so an agent recording that
number elsewhere links them. Nothing is merged here; linking happens when evidence is recorded.
"""

from django.db import migrations, models

BACKFILL = r"""
UPDATE customers_identity
SET phone = '+' || ltrim(platform_id, '+')
WHERE platform = 'whatsapp' AND phone = '' AND platform_id ~ '^\+?[1-9][0-9]{7,14}$';
"""


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_merges_and_evidence"),
    ]

    operations = [
        migrations.AddField(
            model_name="identity",
            name="phone",
            field=models.CharField(blank=True, db_default="", default="", max_length=16),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="identity",
            index=models.Index(
                condition=models.Q(("phone", ""), _negated=True),
                fields=["workspace", "phone"],
                name="identity_ws_phone",
            ),
        ),
    ]
