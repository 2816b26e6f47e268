from django.apps import AppConfig


class DbConfig(AppConfig):
    name = "cxm.db"
    label = "cxm_db"
    verbose_name = "Database distribution"

    def ready(self) -> None:
        from django.core import checks

        from cxm.db.checks import tenant_keys_check

        checks.register(tenant_keys_check, checks.Tags.models)
