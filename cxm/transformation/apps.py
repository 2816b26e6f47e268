from django.apps import AppConfig


class TransformationConfig(AppConfig):
    name = "cxm.transformation"
    label = "transformation"
    verbose_name = "Transformation models"
