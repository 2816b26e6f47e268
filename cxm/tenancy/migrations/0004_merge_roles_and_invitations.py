from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0003_leader_role_and_admin_self_approval"),
        ("tenancy", "0003_user_default_workspace_invitations"),
    ]

    operations = []
