from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("transformation", "0001_initial"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="raciassignment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("letter", "A")),
                fields=("workspace", "capability"),
                name="transformation_raci_one_accountable",
            ),
        ),
    ]
