from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "cxm.tenancy"
    label = "tenancy"
    verbose_name = "Workspaces and roles"
